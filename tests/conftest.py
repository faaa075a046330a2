"""Shared test settings.

``SCIPY_ARRAY_API=1`` before SciPy is first imported: scikit-learn's ``check_array_api_input``
(in its estimator checks, tests/test_estimators.py) skips itself without it.
"""
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")


def pytest_terminal_summary(terminalreporter):
    """The fuzz suite's count (tests/test_fuzz.py): examples run, by entry point, so that CI's log
    shows how much was tried."""
    import sys

    support = sys.modules.get("fuzz_support")
    examples = getattr(support, "EXAMPLES", None)
    if not examples:
        return
    profile = os.environ.get("FASTOPTIM_FUZZ_PROFILE", "ci")
    terminalreporter.write_sep("-", "fuzz")
    terminalreporter.write_line(f"fuzz: {sum(examples.values())} examples over {len(examples)} entry points "
                                f"(profile {profile})")
    terminalreporter.write_line("  " + ", ".join(f"{entry} {number}" for entry, number in sorted(examples.items())))
    outcomes = getattr(support, "OUTCOMES", {})
    terminalreporter.write_line("  outcomes: " + "; ".join(
        f"{entry} " + ", ".join(f"{how} {number}" for how, number in sorted(counts.items()))
        for entry, counts in sorted(outcomes.items())))
