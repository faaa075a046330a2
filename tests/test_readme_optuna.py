"""Issue 15, item 4: the README's Optuna objective runs and prunes trials.

The snippet (the README's Python block that imports optuna) runs alone in a fresh process, as a
reader would paste it; its last line's values, the best parameters and the pruned trials, are
printed and checked: at least one trial was pruned through the callback's ``fo.STOP``.
"""
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("optuna")

ROOT = pathlib.Path(__file__).resolve().parents[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_the_optuna_example_prunes_trials(tmp_path):
    (snippet,) = [snippet for snippet in SNIPPETS if "import optuna" in snippet]
    code = snippet + "\nprint(len(pruned), len(study.trials))\n"
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    pruned, trials = map(int, result.stdout.split())
    assert trials == 12 and 1 <= pruned < trials
