"""The golden bits (tests/golden.py): every stored digest of losses, gradients, update steps and
training runs is reproduced bit for bit. A failure here means some result changed in its last
bits (summation order, block size, widening, a formula's grouping, an orchestration decision):
if the change is deliberate, regenerate with ``python -m tests.golden --write`` in a commit of
its own that says why; if not, it is a bug the tolerance-based tests cannot see."""
import pytest

from tests import golden

STORED = golden.stored()
SAME_POW = golden.pow_fingerprint() == STORED["pow_fingerprint"]
PARTS = ("model", "update", "train")


def test_the_inputs_are_the_stored_ones():
    """numpy's generator streams are stable; if they were not, every entry would differ for that
    reason and not the kernels'."""
    assert golden.input_digests() == STORED["inputs"]


@pytest.mark.parametrize("part", PARTS)
def test_golden_bits(part):
    want = {key: entry for key, entry in STORED["entries"].items() if key.startswith(part + "/")}
    got = golden.compute((part,))
    assert set(got) == set(want), "the entries changed: regenerate the golden file (python -m tests.golden --write)"
    compared = {key for key in want if SAME_POW or not want[key]["pow"]}
    differ = sorted(key for key in compared if got[key][1] != want[key]["sha256"])
    assert not differ, f"{len(differ)} of {len(compared)} {part} results changed bits: {differ[:12]}"
    if not SAME_POW:
        pytest.skip(f"libm's pow gives other bits on this machine than where the golden file was made: "
                    f"{len(want) - len(compared)} entries that use it were not compared ({len(compared)} were)")
