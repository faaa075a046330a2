"""Measure how much of each tolerance of ``tests/tolerances.py`` the tests actually use.

    python -m tests.measure_tolerances              # the files that use the tolerances (2-20 min)
    python -m tests.measure_tolerances tests/test_model.py ...   # some of them

It runs pytest with this module as a plugin. The plugin gives every tolerance value a tag (it
multiplies it by ``1 + k·2^-40``, a different k for each name and dtype: the same tolerance to
12 digits, but a float the recorder can recognise), wraps ``tests.helpers.assert_relative`` and
``test_optimizers.excess``, and records, for every comparison, the smallest tolerance that would
have passed it: ``max |a − b| / max(|b|, floor)`` for ``assert_relative`` (the floor as the test
passes it), and for the update comparisons the relative and the absolute part separately (each
element judged by the part that bounds it). At the end it prints, per tolerance, the value, the
largest measured error, their ratio (the slack) and the number of comparisons. A comparison with
an untagged tolerance (a literal in a test) is listed by its value.

``tests/tolerances.py`` records the result beside each tolerance; no tolerance should be more
than ~100x its measured maximum.
"""
import collections
import os
import sys

import numpy as np

FILES = ["tests/test_model.py", "tests/test_surface.py", "tests/test_logistic.py", "tests/test_optimizers.py",
         "tests/test_training.py", "tests/test_orchestration.py"]
NAMES = ["MODEL_RTOL", "UPDATE_RTOL", "UPDATE_ABSOLUTE", "TRAIN_RTOL", "NAIVE_RTOL", "NAIVE_LR_RTOL", "FD_RTOL",
         "LOG_LOSS_EXTREME_RTOL"]

_TAGS = {}  # tagged float -> "NAME[dtype]"
_MEASURED = collections.defaultdict(lambda: [0.0, 0])  # label -> [max needed, comparisons]


def _tag(module):
    k = 1
    for name in NAMES:
        value = getattr(module, name)
        if isinstance(value, dict):
            tagged = {}
            for dtype, v in value.items():
                tagged[dtype] = v * (1.0 + k * 2.0**-40)
                _TAGS[tagged[dtype]] = f"{name}[{dtype}]"
                k += 1
            setattr(module, name, tagged)
        else:
            tagged = value * (1.0 + k * 2.0**-40)
            _TAGS[tagged] = name
            k += 1
            setattr(module, name, tagged)


def _record(label, needed):
    entry = _MEASURED[label]
    entry[0] = max(entry[0], float(needed))
    entry[1] += 1


def _label(rtol):
    return _TAGS.get(rtol, f"untagged rtol={rtol:.3g}")


def pytest_configure(config):
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import tolerances as bare  # test_optimizers imports it so: a module of its own
    import tests.tolerances as packaged
    for module in {id(bare): bare, id(packaged): packaged}.values():
        _tag(module)
    import tests.helpers as helpers
    original = helpers.assert_relative

    def assert_relative(actual, expected, rtol, scale=None):
        a = np.asarray(actual, dtype=np.float64)
        b = np.asarray(expected, dtype=np.float64)
        if a.shape == b.shape and a.size:
            floor = np.maximum(np.abs(b), 0.0 if scale is None else scale)
            error = np.abs(a - b)
            with np.errstate(invalid="ignore", divide="ignore"):
                needed = np.where(error == 0, 0.0, error / floor)
            finite = needed[np.isfinite(needed)]
            _record(_label(rtol), finite.max() if finite.size else 0.0)
        return original(actual, expected, rtol, scale)

    helpers.assert_relative = assert_relative


def pytest_collection_modifyitems(session, config, items):
    module = sys.modules.get("test_optimizers") or sys.modules.get("tests.test_optimizers")
    if module is None or not hasattr(module, "excess"):
        return
    original = module.excess

    def excess(actual, expected, dtype, before=None, factor=1.0):
        a, b = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
        if b.size:
            scale = np.max(np.abs(b))
            if before is not None:
                scale = max(scale, np.max(np.abs(before)))
            relative = module.UPDATE_RTOL[dtype] * np.abs(b)
            absolute = module.UPDATE_ABSOLUTE[dtype] * scale
            error = np.abs(a - b)
            by_relative = relative >= absolute
            suffix = "" if factor == 1.0 else " x UPDATE_TRAJECTORY_FACTOR"
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(error == 0, 0.0, error / np.abs(b))[by_relative & np.isfinite(b)]
                ab = np.where(error == 0, 0.0, error / scale)[~by_relative & np.isfinite(b)] if scale > 0 else []
            if np.size(rel):
                _record(f"UPDATE_RTOL[{dtype}]{suffix}", np.max(rel))
            if np.size(ab):
                _record(f"UPDATE_ABSOLUTE[{dtype}]{suffix}", np.max(ab))
        return original(actual, expected, dtype, before, factor)

    module.excess = excess


def _value(label):
    import tests.tolerances as t  # (tagged: the values differ from the file's in the 12th digit)
    name, _, rest = label.partition("[")
    dtype = rest.split("]")[0]
    value = getattr(t, name, None)
    if isinstance(value, dict):
        value = value.get(dtype)
    if value is not None and label.endswith("UPDATE_TRAJECTORY_FACTOR"):
        value = value * t.UPDATE_TRAJECTORY_FACTOR[dtype]
    return value


def pytest_terminal_summary(terminalreporter):
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "measured tolerances")
    write(f"{'tolerance':58} {'value':>9} {'measured max':>13} {'slack':>9} {'comparisons':>12}")
    for label in sorted(_MEASURED):
        measured, count = _MEASURED[label]
        value = _value(label) if not label.startswith("untagged") else None
        slack = f"{value / measured:9.3g}" if value and measured else f"{'-':>9}"
        write(f"{label:58} {value if value is not None else float('nan'):9.3g} {measured:13.3e} {slack} {count:12d}")


if __name__ == "__main__":
    import pytest
    files = sys.argv[1:] or FILES
    sys.exit(pytest.main(["-q", "-p", "tests.measure_tolerances", "-p", "no:cacheprovider", *files]))
