"""The ``fastoptim`` command: every subcommand in a subprocess on small data (exit status, the
printed summary, the pictures), bad arguments (status 2, one line naming the argument),
divergence, the demo's story, and the progress bars (terminal only, cheap)."""
import importlib.metadata
import io
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
    result = run_command(cwd=tmp_path)  # no arguments: the demo
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("1. The error surface", "2. Gradient descent, momentum, Nesterov", "3. A sparse feature",
                    "4. Mini-batch gradient descent on 1,000,000 points"):
        assert heading in out
    assert "0.50   0.00   0.0731" in out and "best (w, b) = (1.80, -2.30)" in out
    # two points: momentum runs further past the minimum than Nesterov, which converges first
    two = table_rows(out.split("2. Gradient")[1].split("3. A sparse")[0], {"GD", "Momentum", "Nesterov"})
    max_w, min_b = {name: float(row[6]) for name, row in two.items()}, {name: float(row[7]) for name, row in two.items()}
    assert max_w["Momentum"] > max_w["Nesterov"] > 1.79 > max_w["GD"]
    assert min_b["Momentum"] < min_b["Nesterov"] < -2.28
    assert float(two["Nesterov"][4]) < float(two["Momentum"][4]) < float(two["GD"][4])  # J after 100 epochs
    # sparse: AdaGrad's steps shrink by far more than RMSProp's
    sparse = table_rows(out.split("3. A sparse")[1].split("4. Mini-batch")[0], {"AdaGrad", "RMSProp", "Adam"})
    assert float(sparse["AdaGrad"][-3]) < float(sparse["AdaGrad"][-4]) / 50
    assert float(sparse["RMSProp"][-3]) > 0.1  # still stepping: oscillating around the minimum
    # the mini-batch run against the reference
    speed = re.search(r"the compiled run is (\d+)x faster", out)
    assert speed and int(speed.group(1)) > 1
    assert re.search(r"max \|Δθ\| = (\S+)\.", out)
    folder = tmp_path / "fastoptim-demo"
    names = ["two-points-contours", "two-points-loss", "surface", "sparse-contours", "sparse-loss", "minibatch"]
    for name in names:
        assert_picture(folder / f"{name}.png", max_size=(1300, 500) if name != "surface" else (600, 500))
        assert os.path.getsize(folder / f"{name}.png") < 400_000


def test_demo_without_pictures(tmp_path):
    result = run_command("demo", "--no-plots", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Done in" in result.stdout and not (tmp_path / "fastoptim-demo").exists()


def test_a_diverging_run_says_so_and_exits_1(tmp_path):
    result = run_command("train", "--lr", "1e308", "--reduction", "sum", "--data", "synthetic", "--n", "500",
                         "--epochs", "3", cwd=tmp_path)
    assert result.returncode == 1
    assert "DIVERGED     diverged at epoch 0, step 0" in result.stdout
    assert result.stderr.strip().splitlines() == [
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
