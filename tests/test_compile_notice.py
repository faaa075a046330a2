"""What a run compiles, said once and before it happens (issue 16, item 1), and what
``Run.seconds`` counts: ``train(progress=True)`` lists every kernel the run compiles (the steps,
the per-epoch loss, the schedules' loops) in one line on stderr, compiles them before the first
step, and a second process, which loads them from numba's disk cache, prints nothing and compiles
nothing. ``fastoptim.warmup`` checks all its arguments before it compiles anything and says
"compiling" only for what compiles.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import compiling

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Two runs that between them use every kind of kernel a run compiles: the steps (Nesterov's
#: look-ahead shuffled with every step recorded; GD with line search and batches on threads), the
#: per-epoch loss on one thread and on several (training and validation sets), the loops of a
#: joined η schedule and of a β schedule. Every compile numba starts is recorded, and whether it
#: started inside ``compiling.prepare`` (before the run's first step) or later.
SCRIPT = textwrap.dedent("""
    import json, sys, time, warnings
    import numpy as np
    from numba.core import event
    import fastoptim as fo
    from fastoptim import compiling
    from fastoptim.kernels.model import PARALLEL_THRESHOLD

    S = fo.schedules
    small = fo.data.synthetic(2000, seed=0)
    big = fo.data.synthetic(2 * PARALLEL_THRESHOLD, seed=1)
    preparing, compiles = [False], []
    original = compiling.prepare

    def prepare(*arguments, **keywords):
        preparing[0] = True
        try:
            return original(*arguments, **keywords)
        finally:
            preparing[0] = False

    compiling.prepare = prepare

    class Compiles(event.Listener):
        def on_start(self, happening):
            compiles.append([happening.data["dispatcher"].py_func.__qualname__, preparing[0]])

        def on_end(self, happening):
            pass

    event.register("numba:compile", Compiles())
    runs = [(small, fo.Nesterov(lr=0.1), dict(batch_size=25, shuffle=True, validation=0.2, record="step",
                                              schedule=S.join([S.linear_warmup(0.1, 10), S.cosine(0.1, 0.01, 100)], [10]),
                                              momentum_schedule=S.sutskever_momentum(0.9, every=20))),
            (big, fo.GD(lr=0.5), dict(line_search=[0.1, 1.0], validation=0.5))]
    report = []
    for data, optimizer, options in runs:
        started = time.perf_counter()
        run = fo.train(data, optimizer, epochs=2, init=np.zeros(2), progress=True, **options)
        report.append({"wall": time.perf_counter() - started, "seconds": run.seconds, "theta": run.theta.tolist()})
        print("fastoptim test: run done", file=sys.stderr, flush=True)
    print(json.dumps({"compiles": compiles, "runs": report}))
""")


def run_script(path, cache):
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS="2",
                       PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(path)], env=environment, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("fastoptim")], json.loads(result.stdout)


def test_a_run_says_once_what_it_compiles_and_a_second_process_compiles_nothing(tmp_path):
    script = tmp_path / "runs.py"
    script.write_text(SCRIPT)
    cache = tmp_path / "numba-cache"  # empty: everything compiles in the first process
    lines, first = run_script(script, cache)
    # one line per run, before it, listing every kind of kernel it compiles
    assert [line.startswith("fastoptim: compiling") for line in lines] == [True, False, True, False], lines
    nesterov, gd = lines[0], lines[2]
    for words in ("the Nesterov look-ahead training steps (squared loss, float64 data of shape (N,), shuffled, "
                  "every step recorded)", "the per-epoch loss", "the linear_warmup schedule", "the cosine schedule",
                  "the sutskever_momentum schedule"):
        assert words in nesterov, (words, nesterov)
    assert "the GD training steps (squared loss, float64 data of shape (N,), line search, batches on threads)" in gd
    assert "the per-epoch loss" in gd and "schedule" not in gd
    assert nesterov.count("per-epoch loss") == 1  # each description once
    # every compile started before the run's first step, inside prepare: the line covered them all
    assert first["compiles"] and all(inside for _, inside in first["compiles"]), first["compiles"]
    names = {name for name, _ in first["compiles"]}
    assert {"run_steps", "range_sums", "block_sums", "combine", "linear_warmup", "cosine",
            "sutskever_momentum"} <= names, names
    # Run.seconds counts the run, not the compile before it
    for run in first["runs"]:
        assert run["wall"] > 1.0 and run["seconds"] < 0.25 * run["wall"], run
    # a second process loads everything from the disk cache: no line, no compile, the same runs
    lines, second = run_script(script, cache)
    assert lines == ["fastoptim test: run done"] * 2
    assert second["compiles"] == []
    assert [run["theta"] for run in second["runs"]] == [run["theta"] for run in first["runs"]]


def test_prepare_lists_what_compiles_once_and_compiles_it_before_the_call(monkeypatch, capsys):
    """``compiling.prepare``: one line for all of a run's calls that compile, each description
    once; nothing when nothing compiles; calls it found ready are not typed again."""
    from fastoptim.kernels import model

    data = fo.data.synthetic(100, seed=0)
    calls = [(dispatcher, arguments, "the per-epoch loss") for dispatcher, arguments in
             fo.model.total_loss_calls(data, fo.kernels.layout.LOSSES["squared"])] * 2
    monkeypatch.setattr(compiling, "_READY", set())
    monkeypatch.setattr(compiling, "will_compile", lambda dispatcher, arguments: True)
    assert compiling.prepare(calls, announce=True) == ("the per-epoch loss",)
    err = capsys.readouterr().err
    assert err == "fastoptim: compiling the per-epoch loss (first use with these types; a few seconds, then " \
                  "cached on disk) ...\n"
    assert compiling.prepare(calls, announce=True) == () and capsys.readouterr().err == ""  # ready now
    monkeypatch.setattr(compiling, "_READY", set())
    monkeypatch.setattr(compiling, "will_compile", lambda dispatcher, arguments: False)
    assert compiling.prepare(calls, announce=True) == () and capsys.readouterr().err == ""
    assert model.range_sums in {dispatcher for dispatcher, _, _ in calls}


def test_the_kernel_calls_of_a_run_have_the_types_the_run_passes(monkeypatch):
    """The stand-in arguments of ``CompiledEngine.calls`` (and ``model.total_loss_calls``,
    ``schedules.kernel_calls``) have the numba types of the run's own calls: with every kernel
    prepared, running the plan adds no specialisation to any of them."""
    from fastoptim import plan as plans, training

    data = fo.data.synthetic(500, d=3, seed=0, dtype="float32")
    data = fo.data.Dataset(data.X, data.y, weights=np.ones(data.n, dtype=np.float32))
    S = fo.schedules
    plan = plans.plan_run(data, fo.Adam(lr=0.1), epochs=2, batch_size=7, init=np.zeros(4), shuffle=True,
                          validation=0.3, record="step", schedule=S.step_decay(0.1, every=3),
                          momentum_schedule=S.sutskever_momentum(0.9))
    engine = training.CompiledEngine(plan)
    record = training._Record(plan)
    order = np.empty(plan.data.n, dtype=training.order_dtype(plan.data.n))
    calls = engine.calls(plan.theta.copy(), training._copy_state(plan.state), order, record.arrays(0, 1))
    compiling.prepare(calls)
    before = {id(dispatcher): len(dispatcher.overloads) for dispatcher, _, _ in calls}
    training.run_plan(plan, training.CompiledEngine)
    assert {id(dispatcher): len(dispatcher.overloads) for dispatcher, _, _ in calls} == before
    assert len(calls) >= 4  # the steps, the loss (training and validation), two schedules


def test_seconds_count_the_run_from_its_first_step(monkeypatch):
    """``Run.seconds`` starts after the kernels are loaded or compiled (``engine.prepare``)."""
    from fastoptim import training

    slow = []

    def prepare(self, *arguments, **keywords):
        import time

        time.sleep(0.5)  # as a compile would
        slow.append(True)
        return ()

    monkeypatch.setattr(training.CompiledEngine, "prepare", prepare)
    run = fo.train(fo.data.two_points(), fo.GD(lr=1.0), epochs=3, init=(0, 0))
    assert slow == [True] and run.seconds < 0.25


# --- fastoptim.warmup -------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, argument, words", [
    (dict(optimizers=["Adam", "SGD"]), "optimizers", "must name fastoptim optimizers"),
    (dict(optimizers=[]), "optimizers", "must name at least one"),
    (dict(losses=["squared", "hinge"]), "losses", "Invalid losses: 'hinge' (must be one of 'squared', 'log')"),
    (dict(losses="hinge"), "losses", "Invalid losses: 'hinge'"),
    (dict(losses=[]), "losses", "must name at least one"),
    (dict(dtypes=["float16"]), "dtypes", "Invalid dtypes: 'float16' (must be one of 'float64', 'float32')"),
    (dict(features=[1, 0]), "features", "Invalid features: 0 (must be an integer >= 1)"),
    (dict(features=[2.5]), "features", "Invalid features: 2.5"),
    (dict(batch_sizes=[32, -4]), "batch_sizes", "Invalid batch_sizes: -4 (must be an integer >= 1)"),
    (dict(batch_sizes=[True]), "batch_sizes", "Invalid batch_sizes: True"),
    (dict(shuffle=["yes"]), "shuffle", "Invalid shuffle: 'yes' (must be True or False)"),
    (dict(weights=(False, 1)), "weights", "Invalid weights: 1 (must be True or False)"),
    (dict(line_search="no"), "line_search", "Invalid line_search: 'no' (must be True or False)"),
    (dict(sweep=None), "sweep", "Invalid sweep: None"),
    (dict(progress=1), "progress", "Invalid progress: 1"),
])
def test_warmup_checks_every_argument_before_it_compiles_anything(arguments, argument, words, monkeypatch):
    """Issue: ``warmup`` checked only ``optimizers`` up front; a bad loss, dtype or batch size
    raised from inside a run after earlier combinations had compiled (minutes, in CI)."""
    from fastoptim import training

    def refuse(*positional, **keywords):
        raise AssertionError("a combination ran before every argument was checked")

    monkeypatch.setattr(training, "train", refuse)
    monkeypatch.setattr(training, "run_plan", refuse)
    arguments = dict(dict(optimizers=["GD", "Adam"], losses=["squared", "log"], features=[1, 3]), **arguments)
    with pytest.raises((ValueError, TypeError)) as raised:
        fo.warmup(**arguments)
    assert isinstance(raised.value, (fo._checks.InvalidValue, fo._checks.InvalidType))
    assert raised.value.argument == argument and words in str(raised.value), str(raised.value)


def test_warmup_says_compiling_only_when_something_compiles(monkeypatch, capsys):
    """One line per combination that compiles (the training path's own line and check,
    ``compiling.prepare``), none for one loaded from the cache, however long it took."""
    options = dict(optimizers="GD", batch_sizes=[None], shuffle=[False])
    assert fo.warmup(**options) == 1  # compiled (or loaded) now, whatever the cache held
    capsys.readouterr()
    assert fo.warmup(**options) == 1
    assert capsys.readouterr().err == ""  # ready: no line, even if the run took long
    monkeypatch.setattr(compiling, "_READY", set())
    monkeypatch.setattr(compiling, "will_compile", lambda dispatcher, arguments: True)
    assert fo.warmup(**options) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastoptim: compiling the GD training steps (squared loss, "
                                                   "float64 data of shape (N,), batches on threads)"), lines
    assert fo.warmup(**options, progress=False) == 1 and capsys.readouterr().err == ""


SWEEP_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from numba.core import event
    import fastoptim as fo
    from fastoptim import compiling

    preparing, compiles = [False], []
    original = compiling.prepare

    def prepare(*arguments, **keywords):
        preparing[0] = True
        try:
            return original(*arguments, **keywords)
        finally:
            preparing[0] = False

    compiling.prepare = prepare

    class Compiles(event.Listener):
        def on_start(self, happening):
            compiles.append([happening.data["dispatcher"].py_func.__qualname__, preparing[0]])

        def on_end(self, happening):
            pass

    event.register("numba:compile", Compiles())
    data = fo.data.synthetic(1000, seed=0)
    result = fo.sweep(data, [fo.Adam(lr=0.01), fo.GD(lr=0.1)], seeds=(0, 1), epochs=2, batch_size=10,
                      init=(0.0, 0.0), shuffle=True, validation=fo.data.synthetic(100, seed=1), progress=True)
    print(json.dumps({"compiles": compiles, "theta": result.theta.tolist()}))
""")


def test_a_sweep_says_what_it_compiles_and_a_second_process_compiles_nothing(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP_SCRIPT)
    cache = tmp_path / "numba-cache"
    lines, first = run_script(script, cache)
    text = "\n".join(lines)
    for words in ("compiling the shuffle", "compiling the sweep's Adam steps", "compiling the sweep's GD steps",
                  "compiling the sweep's per-epoch loss"):
        assert text.count(words) == 1, (words, lines)
    assert first["compiles"] and all(inside for _, inside in first["compiles"]), first["compiles"]
    lines, second = run_script(script, cache)
    assert not any("compiling" in line for line in lines), lines
    assert second["compiles"] == [] and second["theta"] == first["theta"]


def test_a_kernel_loaded_from_the_cache_can_be_called_by_another_kernel(tmp_path):
    """``will_compile`` loads a cached kernel as numba does (made known to the target context):
    when ``train`` had loaded its steps from the disk cache, a sweep kernel that calls those
    steps with the same types failed to lower the call ("No definition for lowering run_steps")."""
    fill = tmp_path / "fill.py"
    fill.write_text("import numpy as np, fastoptim as fo\n"
                    "fo.train(fo.Dataset(np.zeros(4), np.zeros(4)), fo.GD(), epochs=1, init=(0.0, 0.0))\n")
    both = tmp_path / "both.py"
    both.write_text("import numpy as np, fastoptim as fo\n"
                    "data = fo.Dataset(np.zeros(4), np.zeros(4))\n"
                    "fo.train(data, fo.GD(), epochs=1, init=(0.0, 0.0))\n"
                    "print(fo.lr_search(data, fo.GD(), epochs=1, validation=0.5).best_lr)\n")
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"),
                       PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for script in (fill, both):
        result = subprocess.run([sys.executable, str(script)], env=environment, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip()) > 0
