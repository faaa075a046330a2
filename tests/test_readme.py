"""Issue 12, item 10: every name the README documents is real, and its Python snippets run.

Issue: the README's ``fastoptim.sweep.lr_range_test`` did not exist (``fastoptim.sweep`` is the
function; the module is ``fastoptim.sweeps``). The snippets run in order, in one fresh
process, in a temporary folder (they write contours.png, sweep.csv, run.npz ...), as a reader
would paste them; one substitution: the Dask snippet's ``Client("tcp://SCHEDULER:8786")``, a
cluster's address, becomes an in-process ``Client(processes=False)``.
"""
import importlib
import inspect
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from fastoptim import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)
#: The one change made to a snippet before it runs, and why: no cluster in a test.
SUBSTITUTIONS = {'Client("tcp://SCHEDULER:8786")': "Client(processes=False)"}
#: The shell examples of the command: indented lines that start with ``fastoptim``, joined where
#: a line ends in a backslash.
SHELL = [re.sub(r"\\\n\s*", " ", match) for match in re.findall(r"^    (fastoptim (?:[^\n]*\\\n)*[^\n]*)", README, re.M)]
#: Inline code (outside fenced blocks), which may wrap over a line.
INLINE = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", README, flags=re.S))

RUNNER = """
import sys, time
snippets = sys.argv[1:]
namespace = {}
for index, snippet in enumerate(snippets):
    started = time.perf_counter()
    try:
        exec(compile(snippet, f"README snippet {index + 1}", "exec"), namespace)
    except BaseException:
        print(f"README snippet {index + 1} of {len(snippets)} failed:\\n{snippet}", file=sys.stderr)
        raise
    print(f"snippet {index + 1}: {time.perf_counter() - started:.2f} s")
"""


def test_the_readme_has_its_snippets():
    assert len(SNIPPETS) >= 6
    for old in SUBSTITUTIONS:
        assert any(old in snippet for snippet in SNIPPETS), f"{old} is no longer in the README: update the test"


def test_the_readme_python_snippets_run(tmp_path):
    snippets = []
    for snippet in SNIPPETS:
        for old, new in SUBSTITUTIONS.items():
            snippet = snippet.replace(old, new)
        snippets.append(snippet)
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", RUNNER, *snippets], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("snippet ") == len(SNIPPETS)
    for written in ("contours.png", "loss.svg", "sweep.csv", "loss.csv", "state.npz", "run.npz"):
        assert (tmp_path / written).is_file(), written
    # the shell examples on the files the snippets wrote (points.csv, X.npy …) run as written
    ran = 0
    for example in SHELL:
        argv = shlex.split(example)[1:]
        data = argv[argv.index("--data") + 1] if "--data" in argv else None
        if argv[0] not in ("train", "compare", "surface") or data is None or not (tmp_path / data).is_file():
            continue
        quiet = ["--quiet"] if argv[0] != "surface" else []
        done = subprocess.run([sys.executable, "-m", "fastoptim", *argv, *quiet], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{example}\n{done.stderr[-2000:]}"
        if "--json" in argv:
            json.loads(done.stdout)
        ran += 1
    assert ran >= 4


def test_the_readme_shell_examples_parse():
    """Every ``fastoptim …`` example of the README is a valid command line (parsed by the
    command's own parser, values and all: a schedule is built, a number read)."""
    assert len(SHELL) >= 10
    parser = cli.build_parser()
    for example in SHELL:
        argv = shlex.split(example)[1:]
        try:
            parser.parse_args(cli._join_negative_values(parser, argv))
        except SystemExit as stop:
            pytest.fail(f"the README's example does not parse ({stop.code}): {example}")


def resolve(dotted):
    """The object a dotted name ``fastoptim.a.b`` (or ``fo.a.b``) names, importing modules."""
    parts = dotted.split(".")
    parts[0] = "fastoptim"
    value = importlib.import_module("fastoptim")
    for index, part in enumerate(parts[1:], 1):
        try:
            value = getattr(value, part)
        except AttributeError:
            value = importlib.import_module(".".join(parts[:index + 1]))
    return value


NAMES = sorted({match[1] for code in INLINE
                for match in re.finditer(r"(?<![\w/.-])((?:fastoptim|fo)(?:\.\w+)+)", code)})
CALLS = sorted({(match[1], match[2]) for code in INLINE
                for match in [re.match(r"((?:fastoptim|fo)(?:\.\w+)+)\(([\w\s,]+)\)$", code.strip())] if match})


def test_the_readme_names_fastoptim_things():
    assert "fastoptim.lr_range_test" in NAMES and "fastoptim.sweep" in NAMES
    assert "fo.schedules.halve_on_increase" in NAMES
    assert len(NAMES) >= 10 and len(CALLS) >= 2


def test_a_name_that_does_not_exist_is_caught():
    """The issue's own case: ``fastoptim.sweep`` is the function, it has no ``lr_range_test``."""
    with pytest.raises(ModuleNotFoundError):
        resolve("fastoptim.sweep.lr_range_test")


@pytest.mark.parametrize("name", NAMES)
def test_every_fastoptim_name_in_the_readme_exists(name):
    resolve(name)


@pytest.mark.parametrize("name, arguments", CALLS, ids=[name for name, _ in CALLS])
def test_documented_arguments_are_the_real_ones(name, arguments):
    """``fastoptim.kernels.adam_update(params, grads, m, v, ...)``: the README's argument list
    is the function's own, in order."""
    function = resolve(name)
    function = getattr(function, "py_func", function)
    parameters = list(inspect.signature(function).parameters)
    documented = [argument.strip() for argument in arguments.split(",")]
    assert parameters[:len(documented)] == documented


PATHS = sorted({code.strip() for code in INLINE
                if re.fullmatch(r"\.?[\w.-]+(/[\w.-]*)+", code.strip())})


@pytest.mark.parametrize("path", PATHS)
def test_every_path_in_the_readme_exists(path):
    if path.startswith("fastoptim-demo/"):  # written by `fastoptim demo`
        return
    assert (ROOT / path).exists(), path


def test_the_readme_documents_the_methods_it_calls():
    import fastoptim as fo

    assert callable(fo.lr_range_test) and hasattr(fo.search, "lr_range_test")
    assert hasattr(fo.schedules, "halve_on_increase") and hasattr(fo.schedules, "ReduceOnPlateau")
