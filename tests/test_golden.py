"""The golden bits (tests/golden.py): every stored digest of losses, gradients, update steps and
training runs is reproduced bit for bit. A failure here means some result changed in its last
bits (summation order, block size, widening, a formula's grouping, an orchestration decision):
if the change is deliberate, regenerate with ``python -m tests.golden --write`` in a commit of
its own that says why; if not, it is a bug the tolerance-based tests cannot see.

One test per group (``model-float64``, ``update-Adam-float32``, ``train-GD-float64`` …), so
that ``-k`` can pick a few (the mutation check does)."""
import collections

import pytest

from tests import golden

STORED = golden.stored()
SAME_POW = golden.pow_fingerprint() == STORED["pow_fingerprint"]
GROUPS = collections.defaultdict(dict)
for _key, _entry in STORED["entries"].items():
    GROUPS[golden.group(_key)][_key] = _entry


def test_the_inputs_are_the_stored_ones():
    """numpy's generator streams are stable; if they were not, every entry would differ for that
    reason and not the kernels'."""
    assert golden.input_digests() == STORED["inputs"]


def test_every_rule_dtype_and_regime_has_entries():
    keys = set(STORED["entries"])
    for name in golden.RULES:
        for dtype in golden.DTYPES:
            assert f"update/{name}/{dtype}" in keys
            for regime in golden.REGIMES:
                assert f"train/{name}/{dtype}/{regime}" in keys


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_golden_bits(name):
    want = GROUPS[name]
    part, *rest = name.split("-")
    dtype = rest[-1]
    rule = "-".join(rest[:-1]) or None
    got = golden.compute((part,), rules=[rule] if rule else None, dtypes=[dtype])
    assert set(got) == set(want), "the entries changed: regenerate the golden file (python -m tests.golden --write)"
    compared = {key for key in want if SAME_POW or not want[key]["pow"]}
    differ = sorted(key for key in compared if got[key][1] != want[key]["sha256"])
    assert not differ, f"{len(differ)} of {len(compared)} results changed bits: {differ}"
    if len(compared) < len(want):
        pytest.skip(f"libm's pow gives other bits on this machine than where the golden file was made: "
                    f"{len(want) - len(compared)} entries that use it were not compared ({len(compared)} were)")
