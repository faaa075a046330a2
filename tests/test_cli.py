"""The ``fastoptim`` command: every subcommand in a subprocess on small data (exit status, the
printed summary, the pictures), bad arguments (status 2, one line naming the argument),
divergence, the demo's story, and the progress bars (terminal only, cheap)."""
import importlib.metadata
import io
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import cli, progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_command(*arguments, cwd, timeout=600):
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastoptim", *arguments], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def without_compile_notices(text):
    """stderr's lines less the one-line notices of a compile (which depend on the cache's state)."""
    return [line for line in text.strip().splitlines() if not line.startswith("fastoptim: compiling")]


def png_size(path):
    with open(path, "rb") as file:
        header = file.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def assert_picture(path, min_size=(400, 300), max_size=(1600, 800)):
    assert os.path.exists(path), f"{path} was not written"
    width, height = png_size(path)
    assert min_size[0] <= width <= max_size[0] and min_size[1] <= height <= max_size[1], (width, height)


# --- subcommands in a subprocess ------------------------------------------------------------------

def test_train_prints_a_summary_saves_the_run_and_its_picture(tmp_path):
    result = run_command("train", "--optimizer", "adam", "--lr", "0.1", "--data", "synthetic", "--n", "2000",
                         "--batch-size", "25", "--epochs", "2", "--seed", "3", "--out", "run.npz",
                         "--plot", "run.png", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("Adam(lr=0.1")
    assert "synthetic (2,000 points), batch 25, 2 epochs, mean loss" in out
    final = float(re.search(r"final loss\s+(\S+)", out).group(1))
    w, b = map(float, re.search(r"theta\s+w = (\S+), b = (\S+)", out).groups())
    assert re.search(r"steps\s+160\n", out)
    assert re.search(r"time\s+\S+ m?s \([\d,]+ updates/s\)", out)
    saved = fo.load_run(tmp_path / "run.npz")
    expected = fo.train(fo.data.synthetic(2000, seed=3), fo.Adam(lr=0.1), epochs=2, batch_size=25,
                        init=[-2.0, -2.0], seed=3)
    assert saved.steps == 160 and final == pytest.approx(expected.loss[-1], rel=1e-5)
    np.testing.assert_allclose([w, b], expected.theta, rtol=1e-5)
    np.testing.assert_array_equal(saved.theta, expected.theta)
    assert png_size(tmp_path / "run.png") == (1080, 432)


def test_train_takes_a_schedule_positional_or_by_name(tmp_path):
    for text in ("cosine:0.5,0.01,20", "cosine:max_lr=0.5,min_lr=0.01,period=20"):
        result = run_command("train", "--optimizer", "momentum", "--beta", "0.5", "--epochs", "20",
                             "--schedule", text, "--out", "run.npz", "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "schedule cosine(max_lr=0.5, min_lr=0.01, period=20)" in result.stdout
        saved = fo.load_run(tmp_path / "run.npz")
        np.testing.assert_allclose(saved.lr, fo.schedules.cosine(0.5, 0.01, 20)(np.arange(20)))
        assert saved.settings["optimizer_arguments"]["beta"] == 0.5


def test_compare_ranks_the_optimizers_and_draws_them(tmp_path):
    result = run_command("compare", "--optimizers", "gd,momentum,nesterov,adam", "--lr", "gd=1,momentum=1,nesterov=1,adam=0.1",
                         "--epochs", "60", "--out-dir", "pictures", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s+\d+\s+[A-Z]", line)]
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert sorted(row[1] for row in rows) == ["Adam", "GD", "Momentum", "Nesterov"]
    losses = [float(row[3]) for row in rows]
    assert losses == sorted(losses)
    assert rows[-1][1] == "GD"  # 60 epochs: GD is still on the plateau
    assert_picture(tmp_path / "pictures" / "contours.png")
    assert_picture(tmp_path / "pictures" / "loss.png")


def test_surface_prints_the_best_point_and_writes_two_pictures(tmp_path):
    result = run_command("surface", "--data", "sparse", "--n", "300", "--resolution", "61", "--out-dir", "out",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    best = re.search(r"best: \(w, b\) = \((\S+), (\S+)\)", result.stdout)
    assert (float(best.group(1)), float(best.group(2))) == (2.0, -1.0)  # y = σ(2x − 1) exactly
    assert "3,721 loss evaluations" in result.stdout
    assert_picture(tmp_path / "out" / "surface.png")
    assert_picture(tmp_path / "out" / "contours.png")
    result = run_command("surface", "--no-plots", "--format", "svg", "--out-dir", "none", cwd=tmp_path)
    assert result.returncode == 0 and not (tmp_path / "none").exists()
    assert "best: (w, b) = (1.8, -2.3)" in result.stdout


def table_rows(text, names):
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[0] in names and parts[0] not in rows:
            rows[parts[0]] = parts
    return rows


def test_python_m_fastoptim_runs_the_demo_which_tells_the_lecture_story(tmp_path):
    """The command end to end; what the text says is held to its runs' numbers in tests/test_demo.py."""
    result = run_command(cwd=tmp_path)  # no arguments: the demo
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("5.1  The error surface", "5.2-5.5  Gradient descent, momentum and Nesterov",
                    "5.6  Stochastic, mini-batch and batch", "5.6 at scale  Mini-batch gradient descent on 1,000,000",
                    "5.7  Learning-rate schedules", "5.8  Line search", "5.9  A sparse feature",
                    "5.9, every rule"):
        assert heading in out
    assert "0.50   0.00   0.0731" in out and "finds (w, b) = (1.80, -2.30)" in out
    speed = re.search(r"the compiled run is (\d+)x faster", out)
    assert speed and int(speed.group(1)) > 1
    folder = tmp_path / "fastoptim-demo"
    names = ["surface", "two-points-contours", "batch-sizes", "minibatch", "schedules", "line-search",
             "sparse-contours", "sparse-loss", "every-rule"]
    for name in names:
        assert_picture(folder / f"{name}.png", max_size=(1600, 700))
        assert os.path.getsize(folder / f"{name}.png") < 600_000
    index = (folder / "index.html").read_text()
    assert all(f'src="{name}.png"' in index for name in names)


def test_demo_without_pictures(tmp_path):
    result = run_command("demo", "--no-plots", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Done in" in result.stdout and not (tmp_path / "fastoptim-demo").exists()


def test_a_diverging_run_says_so_and_exits_1(tmp_path):
    result = run_command("train", "--lr", "1e308", "--reduction", "sum", "--data", "synthetic", "--n", "500",
                         "--epochs", "3", cwd=tmp_path)
    assert result.returncode == 1
    assert "DIVERGED     diverged at epoch 0, step 0" in result.stdout
    assert without_compile_notices(result.stderr) == [
        "fastoptim train: the run diverged at epoch 0, step 0: θ became non-finite (the last finite θ is kept)"]
    result = run_command("compare", "--optimizers", "gd,adam", "--lr", "gd=1e308,adam=0.1", "--reduction", "sum",
                         "--data", "synthetic", "--n", "500", "--epochs", "3", "--no-plots", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"2\s+GD .*DIVERGED", result.stdout)
    assert "fastoptim compare: GD diverged at epoch 0" in result.stderr


def test_bad_arguments_exit_2_in_a_subprocess(tmp_path):
    result = run_command("train", "--lr", "fast", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "fastoptim train: error: argument --lr: expected a number, got 'fast' (see fastoptim train --help)"]


def test_the_console_script_is_declared():
    (script,) = [entry for entry in importlib.metadata.entry_points(group="console_scripts")
                 if entry.name == "fastoptim"]
    assert script.value == "fastoptim.cli:main"


# --- arguments, in process ------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["train", "compare", "surface", "demo"])
def test_every_subcommand_has_help(command, capsys):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: fastoptim {command}")
    assert "--out-dir" in out or "--plot" in out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "train" in capsys.readouterr().out


BAD_ARGUMENTS = [
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--optimizer", "sgdx"], "--optimizer"),
    (["train", "--epochs", "-3"], "--epochs"),
    (["train", "--epochs", "two"], "--epochs"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--init", "1"], "--init"),
    (["train", "--data", "moons"], "--data"),
    (["train", "--n", "5"], "--n"),
    (["train", "--data", "sparse", "--n", "0"], "--n"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--schedule", "wobbly:1"], "--schedule"),
    (["train", "--schedule", "cosine:1"], "--schedule"),
    (["train", "--schedule", "cosine:0.1,0.2,-5"], "--schedule"),
    (["train", "--schedule", "cosine:max_lr=0.1,0.01,5"], "--schedule"),
    (["train", "--per", "week"], "--per"),
    (["train", "--beta", "1.5"], "--beta"),
    (["train", "--optimizer", "gd", "--beta", "0.5"], "--beta"),
    (["train", "--optimizer", "momentum", "--beta2", "0.9"], "--beta2"),
    (["train", "--weight-decay", "-0.1"], "--weight-decay"),
    (["train", "--reduction", "max"], "--reduction"),
    (["train", "--bogus"], "--bogus"),
    (["compare", "--optimizers", "gd,gd"], "--optimizers"),
    (["compare", "--optimizers", ""], "--optimizers"),
    (["compare", "--optimizers", "gd", "--lr", "adam=0.1"], "--lr"),
    (["compare", "--lr", "gd=x"], "--lr"),
    (["surface", "--w-range", "3,1"], "--w-range"),
    (["surface", "--b-range", "a,b"], "--b-range"),
    (["surface", "--resolution", "1"], "--resolution"),
    (["demo", "--format", "gif"], "--format"),
    (["frobnicate"], "COMMAND"),
]


@pytest.mark.parametrize("argv, argument", BAD_ARGUMENTS, ids=[" ".join(argv) for argv, _ in BAD_ARGUMENTS])
def test_bad_arguments_exit_2_with_one_line_naming_the_argument(argv, argument, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert argument in lines[0] and "error" in lines[0]


# --- progress bars --------------------------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_off_when_the_output_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    bar = progress.EpochBar(50)
    assert not bar.enabled and bar.next_check == 50
    assert progress.EpochBar(50, enabled=False, file=FakeTerminal()).next_check == 50
    with pytest.raises(TypeError, match="progress"):
        progress.EpochBar(5, enabled="yes")


def test_progress_bar_shows_epochs_loss_and_updates_per_second(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    run = fo.train(fo.data.synthetic(5000, seed=0), fo.Adam(lr=0.05), epochs=30, batch_size=10, init=[0.0, 0.0],
                   progress=True)
    text = terminal.getvalue()
    assert "train" in text and "epoch" in text and "updates/s" in text
    assert f"loss={run.loss[-1]:.4g}" in text and "30/30" in text


def test_short_runs_print_no_bar(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fo.train(fo.data.two_points(), fo.GD(lr=1.0), epochs=100, init=[0.0, 0.0], progress=True)
    assert terminal.getvalue() == ""


def test_progress_is_consulted_once_per_interval_not_per_epoch(monkeypatch):
    """Batch GD on two points has the cheapest epoch there is (~3 µs); the bar's update runs
    once per INTERVAL of the run, not once per epoch (its cost is measured, not asserted here:
    tests assert no wall-clock times)."""
    calls = []

    class Counting(progress.EpochBar):
        def update(self, *arguments):
            calls.append(1)
            return super().update(*arguments)

    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    monkeypatch.setattr(progress, "DELAY", 1e9)  # consulted, never drawn: what every epoch pays
    monkeypatch.setattr("fastoptim.training.EpochBar", Counting)
    run = fo.train(fo.data.two_points(), fo.GD(lr=1.0), epochs=200_000, init=[0.0, 0.0], progress=True)
    assert len(calls) <= 5 + 2 * run.seconds / progress.INTERVAL and len(calls) < 200_000 / 100


def test_bench_needs_the_source_checkout(tmp_path):
    result = run_command("bench", "--profile", "quick", cwd=tmp_path)
    assert result.returncode == 1 and "bench/report.py" in result.stderr and "source checkout" in result.stderr
    assert run_command("bench", "--profile", "huge", cwd=tmp_path).returncode == 2


# --- the command line on files (issue 14 item 5, issue 15 item 5) ---------------------------------

FEATURES = ["x1", "x2", "x3", "x4", "x5"]


def write_csv(path, n=4000, seed=0, weights=False, labels=True):
    """A CSV of ``n`` rows: five features x1 … x5, a label (0/1 from a noisy logistic model, or a
    value in (0, 1)), and with ``weights`` a column ``w`` of sample weights; doubles written in
    full (repr), so the file holds exactly the arrays drawn."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    z = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.3
    y = (z + rng.standard_normal(n) > 0).astype(float) if labels else 1.0 / (1.0 + np.exp(-z))
    columns = FEATURES + (["w"] if weights else []) + ["label"]
    with open(path, "w") as file:
        file.write(",".join(columns) + "\n")
        for k in range(n):
            row = X[k].tolist() + ([float(rng.integers(1, 4))] if weights else []) + [float(y[k])]
            file.write(",".join(repr(value) for value in row) + "\n")
    return path


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("csv") / "points.csv")


def run_json(capsys, *argv):
    """``main([...])`` in process; its exit status and the JSON it printed (stdout is only JSON)."""
    status = cli.main([*argv, "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out)


def assert_same_run(summary, run):
    """The JSON summary of a run holds the API run's numbers exactly (JSON floats round-trip)."""
    np.testing.assert_array_equal(np.array(summary["theta"]), run.theta.astype(np.float64))
    np.testing.assert_array_equal(np.array(summary["history"]["loss"]), run.loss)
    if run.validation_loss is not None:
        np.testing.assert_array_equal(np.array(summary["history"]["validation_loss"]), run.validation_loss)
        assert summary["validation_loss"] == run.validation_loss[-1]
    else:
        assert summary["validation_loss"] is None
    np.testing.assert_array_equal(np.array(summary["history"]["lr"]), run.lr)
    assert summary["final_loss"] == run.loss[-1]
    assert (summary["epochs"], summary["steps"]) == (run.epochs, run.steps)
    assert summary["diverged"] == run.diverged
    assert summary["settings"] == run.settings


def test_a_csv_trained_end_to_end_equals_fastoptim_train_bit_for_bit(csv_file, capsys):
    """Issue 14: a CSV of a few thousand rows × 6 columns through ``fastoptim train --data … --loss log
    --validation 0.2 --json``; on a file the defaults are the API's (GD's own lr, mean, init zeros)."""
    status, summary = run_json(capsys, "train", "--data", str(csv_file), "--target", "label", "--loss", "log",
                               "--validation", "0.2")
    assert status == 0
    data = fo.data.load(csv_file, target="label")
    run = fo.train(data, fo.GD(), epochs=10, init=np.zeros(6), loss="log", validation=0.2)
    assert_same_run(summary, run)
    assert summary["data"] == {"source": str(csv_file), "n": 4000, "d": 5, "dtype": "float64",
                               "features": FEATURES, "target": "label", "weighted": False}
    assert summary["optimizer"] == "GD" and summary["optimizer_arguments"]["lr"] == fo.GD().lr
    assert (summary["loss"], summary["reduction"], summary["batch_size"], summary["validation"]) == (
        "log", "mean", None, 0.2)
    assert summary["stopped"] is None and summary["saved"] is None and summary["resumed_from"] is None
    assert summary["seconds"] > 0 and summary["updates_per_second"] > 0


def test_mini_batch_adam_with_every_run_flag_equals_the_api(csv_file, capsys):
    schedule = "linear_warmup:0.05,20+cosine:0.05,0.001,300@20"
    status, summary = run_json(
        capsys, "train", "--data", str(csv_file), "--target", "label", "--loss", "log", "--validation", "0.25",
        "--optimizer", "adam", "--batch-size", "50", "--epochs", "4", "--shuffle", "--seed", "7", "--drop-last",
        "--schedule", schedule, "--per", "step", "--momentum-schedule", "sutskever_momentum:0.95,30",
        "--beta2", "0.99", "--eps", "1e-6", "--weight-decay", "0.01", "--decoupled", "--init", "0.1,0,0,0,0,-0.1",
        "--quiet")
    assert status == 0
    joined = fo.schedules.join([fo.schedules.linear_warmup(0.05, 20), fo.schedules.cosine(0.05, 0.001, 300)], [20])
    run = fo.train(fo.data.load(csv_file, target="label"),
                   fo.Adam(betas=(0.9, 0.99), eps=1e-6, weight_decay=0.01, decoupled=True), epochs=4, batch_size=50,
                   init=[0.1, 0, 0, 0, 0, -0.1], loss="log", shuffle=True, seed=7, drop_last=True, schedule=joined,
                   momentum_schedule=fo.schedules.sutskever_momentum(0.95, 30), validation=0.25)
    assert_same_run(summary, run)
    np.testing.assert_array_equal(summary["history"]["beta"], run.beta)
    assert summary["settings"]["schedule"] == repr(joined)
    assert summary["optimizer_arguments"] | {} == {"lr": 0.001, "betas": [0.9, 0.99], "eps": 1e-6,
                                                   "weight_decay": 0.01, "decoupled": True}
    steps_per_epoch = 3000 // 50
    assert run.steps == 4 * steps_per_epoch
    np.testing.assert_array_equal(run.lr, joined(np.arange(1, 5) * steps_per_epoch - 1))


@pytest.mark.parametrize("flags, options", [
    (["--line-search", "0.1,0.5,1,2"], dict(line_search=[0.1, 0.5, 1, 2])),
    (["--on-plateau", "halve", "--lr", "50"], dict(on_plateau=fo.schedules.halve_on_increase())),
    (["--on-plateau", "reduce:factor=0.5,patience=1", "--lr", "50"],
     dict(on_plateau=fo.schedules.ReduceOnPlateau(factor=0.5, patience=1))),
    (["--on-plateau", "reduce:0.25,0,lr=8"], dict(on_plateau=fo.schedules.ReduceOnPlateau(0.25, 0, lr=8))),
    (["--schedule", "step_decay:lr=2,factor=0.5,every=2", "--per", "epoch"],
     dict(schedule=fo.schedules.step_decay(2, 0.5, 2), per="epoch")),
])
def test_rate_sources_equal_the_api(flags, options, csv_file, capsys):
    """``--line-search``, ``--on-plateau halve|reduce:…`` and epoch schedules, each against ``train``."""
    status, summary = run_json(capsys, "train", "--data", str(csv_file), "--target", "label", "--loss", "log",
                               "--validation", "0.2", "--epochs", "8", "--batch-size", "500", *flags, "--quiet")
    assert status == 0
    lr = float(flags[flags.index("--lr") + 1]) if "--lr" in flags else 0.01
    run = fo.train(fo.data.load(csv_file, target="label"), fo.GD(lr=lr), epochs=8, batch_size=500,
                   init=np.zeros(6), loss="log", validation=0.2, **options)
    assert_same_run(summary, run)
    if "--on-plateau" in flags:
        assert min(run.lr) < max(run.lr)  # the controller acted


def test_early_stopping_stops_and_says_why_in_the_summary_and_the_json(csv_file, capsys):
    """Issue 15, item 5: ``--early-stopping PATIENCE`` and the stop reason. With ``--min-delta`` far
    above any change only the first epoch improves: the run stops ``patience`` epochs later and goes
    back to it."""
    argv = ["train", "--data", str(csv_file), "--target", "label", "--loss", "log", "--validation", "0.2",
            "--optimizer", "adam", "--lr", "0.05", "--epochs", "30", "--early-stopping", "3", "--min-delta", "1e9",
            "--quiet"]
    status, summary = run_json(capsys, *argv)
    assert status == 0
    run = fo.train(fo.data.load(csv_file, target="label"), fo.Adam(lr=0.05), epochs=30, init=np.zeros(6), loss="log",
                   validation=0.2, early_stopping=fo.EarlyStopping(patience=3, min_delta=1e9))
    assert_same_run(summary, run)
    stopped = summary["stopped"]
    assert stopped["reason"] == "early_stopping" and stopped["epoch"] == 3 and stopped["best_epoch"] == 0
    assert stopped["restored"] is True and len(stopped["discarded"]) == 3 and summary["epochs"] == 1
    assert "no improvement of the validation loss" in stopped["message"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"stopped      early stopping after epoch 3: no improvement of the validation loss by more "
                     r"than 1e\+09 for 3 epochs after epoch 0; epoch 0's θ restored\n", out), out
    # without --validation the training loss is watched (the API's monitor="loss")
    status, summary = run_json(capsys, *[a for a in argv if a not in ("--validation", "0.2")], "--no-restore-best")
    assert status == 0 and "loss by more than 1e+09" in summary["stopped"]["message"]
    assert summary["stopped"]["restored"] is False
    assert summary["epochs"] == 4 and summary["settings"]["early_stopping"] == (
        "EarlyStopping(patience=3, min_delta=1000000000.0, monitor='loss', restore_best=False)")


def test_resume_continues_a_saved_run_bit_for_bit(csv_file, tmp_path, capsys):
    common = ["train", "--data", str(csv_file), "--target", "label", "--loss", "log", "--optimizer", "nesterov",
              "--lr", "0.1", "--batch-size", "64", "--shuffle", "--validation", "0.2", "--quiet"]
    assert cli.main([*common, "--epochs", "3", "--out", str(tmp_path / "first.npz")]) == 0
    capsys.readouterr()
    status, summary = run_json(capsys, *common, "--epochs", "2", "--resume", str(tmp_path / "first.npz"),
                               "--out", str(tmp_path / "second.npz"))
    assert status == 0 and summary["resumed_from"] == str(tmp_path / "first.npz")
    assert summary["saved"] == str(tmp_path / "second.npz")
    whole = fo.train(fo.data.load(csv_file, target="label"), fo.Nesterov(lr=0.1), epochs=5, batch_size=64,
                     init=np.zeros(6), loss="log", shuffle=True, validation=0.2)
    assert_same_run(summary, whole)
    np.testing.assert_array_equal(fo.load_run(tmp_path / "second.npz").theta, whole.theta)
    assert cli.main([*common, "--epochs", "1", "--resume", str(tmp_path / "second.npz")]) == 0
    assert "resumed      " + str(tmp_path / "second.npz") + ": 5 epochs" in capsys.readouterr().out


def test_columns_weights_dtype_and_init_of_any_length(tmp_path, capsys):
    path = write_csv(tmp_path / "weighted.csv", n=600, seed=1, weights=True, labels=False)
    status, summary = run_json(capsys, "train", "--data", str(path), "--target", "label", "--features", "x3,x1",
                               "--weights", "w", "--dtype", "float32", "--init", "0.5,-0.5,0", "--optimizer", "rmsprop",
                               "--lr", "0.05", "--beta", "0.8", "--epochs", "5", "--batch-size", "100", "--quiet")
    assert status == 0
    data = fo.data.load(path, target="label", features=["x3", "x1"], weights="w", dtype="float32")
    run = fo.train(data, fo.RMSProp(lr=0.05, beta=0.8), epochs=5, batch_size=100, init=[0.5, -0.5, 0])
    assert_same_run(summary, run)
    assert summary["data"] | {} == {"source": str(path), "n": 600, "d": 2, "dtype": "float32",
                                    "features": ["x3", "x1"], "target": "label", "weighted": True}
    # columns by position: x3 is column 2, the label column 6
    status, again = run_json(capsys, "train", "--data", str(path), "--target", "6", "--features", "2,0",
                             "--weights", "5", "--dtype", "float32", "--init", "0.5,-0.5,0", "--optimizer", "rmsprop",
                             "--lr", "0.05", "--beta", "0.8", "--epochs", "5", "--batch-size", "100", "--quiet")
    assert status == 0 and again["theta"] == summary["theta"]


def test_a_validation_file_and_other_formats(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet

    train_csv = write_csv(tmp_path / "train.csv", n=800, seed=2)
    held_csv = write_csv(tmp_path / "held.csv", n=200, seed=3)
    status, summary = run_json(capsys, "train", "--data", str(train_csv), "--target", "label", "--loss", "log",
                               "--validation", str(held_csv), "--epochs", "3", "--quiet")
    assert status == 0
    run = fo.train(fo.data.load(train_csv, target="label"), fo.GD(), epochs=3, init=np.zeros(6), loss="log",
                   validation=fo.data.load(held_csv, target="label"))
    assert_same_run(summary, run)
    assert summary["validation"] == str(held_csv)
    data = fo.data.load(train_csv, target="label")
    table = np.column_stack([data.X, data.y])
    np.save(tmp_path / "points.npy", table)
    pyarrow.parquet.write_table(pa.table({**{name: data.X[:, j] for j, name in enumerate(FEATURES)},
                                          "label": data.y}), tmp_path / "points.parquet")
    for path, target in ((tmp_path / "points.npy", "5"), (tmp_path / "points.parquet", "label")):
        status, other = run_json(capsys, "train", "--data", str(path), "--target", target, "--loss", "log",
                                 "--epochs", "3", "--quiet")
        assert status == 0
        np.testing.assert_array_equal(other["history"]["loss"], fo.train(
            data, fo.GD(), epochs=3, init=np.zeros(6), loss="log").loss)


def test_the_text_summary_of_a_file_run(csv_file, tmp_path, capsys):
    assert cli.main(["train", "--data", str(csv_file), "--target", "label", "--loss", "log", "--validation", "0.2",
                     "--epochs", "2", "--plot", str(tmp_path / "run.png"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("GD(lr=0.01, ")
    assert (f"  on {csv_file} (4,000 points, 5 features ('x1', 'x2', 'x3', 'x4', …), target 'label'), full batch, "
            f"2 epochs, mean log loss, from θ = (0, 0, 0, 0, 0, 0), 800 of the points held out for validation\n") in out
    assert re.search(r"validation   \d\.\d+\n", out)
    assert re.search(r"theta        w = \[\S+, \S+, \S+, \S+, \S+\], b = \S+\n", out)
    assert png_size(tmp_path / "run.png") == (1080, 432)  # the loss and the rates: no (w, b) plane


def test_compare_and_surface_on_a_file(csv_file, tmp_path, capsys):
    status, summary = run_json(capsys, "compare", "--data", str(csv_file), "--target", "label", "--loss", "log",
                               "--optimizers", "gd,adam,rmsprop", "--lr", "adam=0.05", "--eps", "1e-7",
                               "--validation", "0.2", "--epochs", "5", "--batch-size", "200",
                               "--out-dir", str(tmp_path / "pictures"), "--quiet")
    assert status == 0
    data = fo.data.load(csv_file, target="label")
    options = dict(epochs=5, batch_size=200, init=np.zeros(6), loss="log", validation=0.2)
    runs = {"GD": fo.train(data, fo.GD(), **options), "Adam": fo.train(data, fo.Adam(lr=0.05, eps=1e-7), **options),
            "RMSProp": fo.train(data, fo.RMSProp(eps=1e-7), **options)}
    assert [entry["rank"] for entry in summary["runs"]] == [1, 2, 3]
    ranked = sorted(runs, key=lambda name: runs[name].validation_loss[-1])
    assert [entry["optimizer"] for entry in summary["runs"]] == ranked
    for entry in summary["runs"]:
        assert_same_run(entry, runs[entry["optimizer"]])
    assert summary["pictures"] == [str(tmp_path / "pictures" / "loss.png")]  # no contour map of 5 features
    assert_picture(tmp_path / "pictures" / "loss.png")
    status, grid = run_json(capsys, "surface", "--data", str(csv_file), "--target", "label", "--features", "x2",
                            "--loss", "log", "--resolution", "31", "--no-plots")
    assert status == 0
    want = fo.surface(fo.data.load(csv_file, target="label", features="x2"), resolution=31, reduction="mean",
                      loss="log")
    assert (grid["best_w"], grid["best_b"], grid["best_loss"], grid["evaluations"]) == (
        want.best_w, want.best_b, want.best_loss, 961)


def test_defaults_on_built_in_data_are_the_lecture_s(capsys):
    status, summary = run_json(capsys, "train", "--optimizer", "adam", "--epochs", "3", "--quiet")
    assert status == 0
    assert summary["optimizer_arguments"]["lr"] == 0.1 and summary["reduction"] == "sum"
    run = fo.train(fo.data.two_points(), fo.Adam(lr=0.1), epochs=3, init=[-2, -2], reduction="sum")
    assert_same_run(summary, run)


def test_help_says_where_the_defaults_differ_from_the_api_and_how_schedules_join(capsys):
    assert cli.main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ("where they differ from the API", "--reduction mean, --init zeros", "Adam 0.001",
                  "--batch-size full is the API's batch_size=None", "PART+PART@START",
                  "linear_warmup:0.1,500+cosine:0.1,0.001,9500@500", "reduce:factor=0.1,patience=10"):
        assert words in text, words


def test_train_announces_a_compile_on_stderr_unless_quiet(monkeypatch, capsys):
    """Issue 16, item 1: one line on stderr when a compile is about to happen (``progress=True``)."""
    from fastoptim import compiling

    monkeypatch.setattr(compiling, "_READY", set())  # (what this process found ready is not checked again)
    monkeypatch.setattr(compiling, "will_compile", lambda dispatcher, args: True)
    assert cli.main(["train", "--epochs", "1"]) == 0
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("fastoptim: compiling")]
    assert len(notices) == 1 and "GD training steps" in notices[0]
    assert cli.main(["train", "--epochs", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_warmup_passes_its_flags_to_fastoptim_warmup(monkeypatch, capsys):
    from fastoptim import compiling

    calls = []
    monkeypatch.setattr(compiling, "warmup", lambda *args, **kwargs: calls.append((args, kwargs)) or 12)
    assert cli.main(["warmup", "--optimizers", "adam,gd", "--losses", "squared,log", "--dtypes", "float32",
                     "--features", "1,5", "--batch-sizes", "1,full", "--shuffle", "yes", "--weights", "both",
                     "--line-search", "--sweep", "--quiet"]) == 0
    assert calls == [((["Adam", "GD"],), dict(losses=["squared", "log"], dtypes=["float32"], features=[1, 5],
                                              batch_sizes=[1, None], shuffle=(True,), weights=(False, True),
                                              line_search=True, sweep=True, progress=False))]
    assert capsys.readouterr().out.startswith("fastoptim warmup: 12 combinations of adam, gd ready in ")
    calls.clear()
    assert cli.main(["warmup"]) == 0  # the API's defaults
    assert calls == [((["Adam"],), dict(losses=["squared"], dtypes=["float64"], features=[1],
                                        batch_sizes=[1, 32, None], shuffle=(False, True), weights=(False,),
                                        line_search=False, sweep=False, progress=True))]


def test_warmup_compiles_for_real(capsys):
    assert cli.main(["warmup", "--optimizers", "gd", "--batch-sizes", "full", "--shuffle", "no", "--quiet"]) == 0
    assert "1 combination of gd ready" in capsys.readouterr().out


def test_the_demo_lives_in_its_own_module():
    """Issue 13, item 6: the demo in fastoptim/demo.py; ``fastoptim demo`` calls it."""
    from fastoptim import demo

    assert callable(demo.run) and not any(name.startswith("_demo") for name in vars(cli))
    assert len(demo.LECTURE_POINTS) == 6
