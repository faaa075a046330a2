"""``fastoptim sweep`` and ``fastoptim lr-search`` (issue 18): the table printed and written as
CSV, the pictures (what is drawn, not only that a file exists), the same numbers as the API, and
bad arguments refused naming the flag."""
import csv
import re

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import cli


def run_cli(capsys, *arguments):
    status = cli.main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sweep_prints_the_grid_writes_the_csv_and_the_heatmap(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    table, picture = tmp_path / "grid.csv", tmp_path / "grid.png"
    status, out, err = run_cli(capsys, "sweep", "--optimizer", "adam", "--grid", "lr=0.001,0.01,0.1",
                               "--grid", "eps=1e-8,1e-4", "--seeds", "0,1", "--data", "synthetic", "--n", "600",
                               "--batch-size", "50", "--epochs", "3", "--validation", "0.25", "--csv", str(table),
                               "--plot", str(picture), "--quiet")
    assert status == 0, err
    assert out.startswith("12 runs of Adam (3 lr × 2 eps × 2 seeds) on synthetic (600 points), batch 50, 3 epochs")
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+0\.\d+\s+\d", line)]
    assert len(rows) == 12 and sum("←" in line for line in out.splitlines()) == 1
    expected = fo.sweep(fo.data.synthetic(600), fo.grid(fo.Adam, lr=[0.001, 0.01, 0.1], eps=[1e-8, 1e-4]),
                        seeds=(0, 1), epochs=3, batch_size=50, init=(-2.0, -2.0), validation=0.25)
    np.testing.assert_allclose([float(row[3]) for row in rows], expected.final_loss, rtol=1e-4)
    with open(table, newline="") as file:
        written = list(csv.DictReader(file))
    assert len(written) == 12
    np.testing.assert_array_equal([float(row["final_loss"]) for row in written], expected.final_loss)
    assert f"table        {table}" in out and f"picture      {picture}" in out
    assert picture.stat().st_size > 10_000


def test_sweep_picture_is_the_heatmap_and_the_curves(tmp_path, capsys, monkeypatch):
    """The figure the command draws, looked at through matplotlib (its savefig intercepted)."""
    from matplotlib.figure import Figure

    drawn = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *args, **kwargs: drawn.append(self))
    status, _, err = run_cli(capsys, "sweep", "--optimizer", "gd", "--grid", "lr=0.1,1", "--grid",
                             "weight_decay=0,0.01", "--data", "sparse", "--n", "200", "--epochs", "4",
                             "--csv", str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.png"), "--quiet")
    assert status == 0, err
    (figure,) = drawn
    heatmap, curves, colorbar = figure.axes
    assert heatmap.images[0].get_array().shape == (2, 2)
    assert (heatmap.get_xlabel(), heatmap.get_ylabel()) == ("lr", "weight_decay")
    assert len([line for line in curves.lines if line.get_gid() == "loss"]) == 4
    assert "J" in curves.get_ylabel() and colorbar.get_ylabel() == "final loss"


def test_lr_search_ranks_the_candidates_and_draws_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    picture = tmp_path / "lr.png"
    status, out, err = run_cli(capsys, "lr-search", "--optimizer", "gd", "--data", "synthetic", "--n", "1000",
                               "--batch-size", "25", "--lrs", "0.001,0.01,0.1,1", "--plot", str(picture), "--quiet")
    assert status == 0, err
    found = fo.lr_search(fo.data.synthetic(1000), fo.GD(), lrs=(0.001, 0.01, 0.1, 1), batch_size=25,
                         init=[-2.0, -2.0])
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\d+\s+\S+\s+(coarse|fine)", line)]
    assert [float(row[1]) for row in rows] == pytest.approx(list(found.lrs), rel=1e-3)
    assert [row[2] for row in rows] == [candidate["stage"] for candidate in found.candidates]
    assert f"best η       {found.best_lr:.4g}" in out
    assert "200 of the points held out for validation" in out
    assert picture.stat().st_size > 10_000


def test_lr_search_runs_on_its_defaults(capsys):
    """Its default data holds out the default validation fraction (two points could not)."""
    status, out, err = run_cli(capsys, "lr-search", "--quiet", "--epochs", "1", "--no-refine")
    assert status == 0, err
    assert "200,000 of the points held out for validation" in out and len(re.findall(r"coarse", out)) == 5


def test_lr_search_without_refining(capsys):
    status, out, _ = run_cli(capsys, "lr-search", "--lrs", "0.1,1", "--no-refine", "--data", "sparse", "--n", "200",
                             "--quiet")
    assert status == 0 and "fine" not in out and len(re.findall(r"coarse", out)) == 2


@pytest.mark.parametrize("arguments, flag", [
    (["sweep", "--grid", "lr=fast"], "--grid"),
    (["sweep", "--grid", "lr"], "--grid"),
    (["sweep", "--grid", "momentum=0.1,0.2"], "--grid"),
    (["sweep", "--grid", "lr=-1,0.1"], "--grid"),
    (["sweep", "--grid", "lr=0.1", "--grid", "lr=0.2"], "--grid"),
    (["sweep", "--grid", "lr=0.1", "--y", "eps"], "--y"),
    (["sweep", "--grid", "lr=0.1", "--csv", "table.txt"], "--csv"),
    (["sweep", "--grid", "lr=0.1", "--plot", "grid.doc"], "--plot"),
    (["sweep", "--grid", "lr=0.1", "--epochs", "-1"], "--epochs"),
    (["lr-search", "--lrs", "0,1"], "--lrs"),
    (["lr-search", "--refine", "-2"], "--refine"),
    (["lr-search", "--validation", "1.5"], "--validation"),
])
def test_bad_arguments_name_their_flag(tmp_path, capsys, monkeypatch, arguments, flag):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(capsys, *arguments, "--quiet")
    assert status == 2 and out == ""
    assert f"argument {flag}" in err, err
    assert not (tmp_path / "sweep.csv").exists()


@pytest.mark.parametrize("command", [["sweep", "--grid", "lr=0.1"], ["lr-search"]])
def test_plot_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    status, out, err = run_cli(capsys, *command, "--plot", str(tmp_path / "p.png"), "--quiet")
    assert status == 1 and out == ""
    assert 'python -m pip install "fastoptim[plot]"' in err
