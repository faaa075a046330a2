"""fastoptim.plot on the Agg backend: what is drawn (one trajectory per run, labelled axes, the
minimum marked), saving PNG and SVG, and the message when matplotlib is missing."""
import importlib
import struct
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import fastoptim as fo  # noqa: E402
from fastoptim import plot  # noqa: E402


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    with open(path, "rb") as file:
        header = file.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def two_points():
    return fo.data.two_points()


@pytest.fixture(scope="module")
def runs(two_points):
    return [fo.train(two_points, optimizer, epochs=30, init=[-2.0, -2.0], reduction="sum", record="step")
            for optimizer in (fo.GD(lr=1.0), fo.Momentum(lr=1.0), fo.Nesterov(lr=1.0))]


@pytest.fixture(scope="module")
def grid(two_points):
    return fo.surface(two_points, w_range=(-3, 5), b_range=(-7, 3), resolution=61)


def with_gid(artists, gid):
    return [artist for artist in artists if artist.get_gid() == gid]


def test_contours_draw_one_trajectory_per_run_with_start_end_and_minimum(grid, runs):
    figure = plot.contours(grid, runs)
    ax = figure.axes[0]
    lines = with_gid(ax.lines, "trajectory")
    assert [line.get_label() for line in lines] == ["GD", "Momentum", "Nesterov"]
    for line, run in zip(lines, runs):
        np.testing.assert_array_equal(line.get_xydata(), run.trajectory)  # 31 rows: not thinned
    assert len(with_gid(ax.lines, "end")) == 3
    (start,) = with_gid(ax.lines, "start")
    np.testing.assert_array_equal(start.get_xydata(), [[-2.0, -2.0]] * 3)
    (minimum,) = with_gid(ax.lines, "minimum")
    np.testing.assert_array_equal(minimum.get_xydata(), [[grid.best_w, grid.best_b]])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w", "b")
    assert ax.get_title()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert {"GD", "Momentum", "Nesterov", "start", "minimum (grid)"} <= set(legend)
    assert ax.get_xlim() == (grid.w[0], grid.w[-1]) and ax.get_ylim() == (grid.b[0], grid.b[-1])
    assert len(figure.axes) == 2  # the map and its colorbar


def test_contours_take_a_dataset_a_single_run_and_a_dict_of_labels(two_points, runs):
    figure = plot.contours(two_points, runs[0])
    assert [line.get_label() for line in with_gid(figure.axes[0].lines, "trajectory")] == ["GD"]
    figure = plot.contours(two_points, {"plain": runs[0], "heavy ball": runs[1]}, colorbar=False)
    assert [line.get_label() for line in with_gid(figure.axes[0].lines, "trajectory")] == ["plain", "heavy ball"]
    assert len(figure.axes) == 1
    figure = plot.contours(two_points)  # the map alone, minimum marked
    assert with_gid(figure.axes[0].lines, "trajectory") == []
    assert len(with_gid(figure.axes[0].lines, "minimum")) == 1


def test_long_trajectories_are_thinned_keeping_first_and_last(two_points):
    run = fo.train(two_points, fo.GD(lr=1.0), epochs=3 * plot.MAX_POINTS, init=[-2.0, -2.0],
                   reduction="sum", record="step")
    figure = plot.contours(two_points, run)
    (line,) = with_gid(figure.axes[0].lines, "trajectory")
    drawn = line.get_xydata()
    assert len(drawn) <= plot.MAX_POINTS + 2
    np.testing.assert_array_equal(drawn[0], run.trajectory[0])
    np.testing.assert_array_equal(drawn[-1], run.trajectory[-1])
    np.testing.assert_array_equal(drawn[1:11], run.trajectory[1:11])  # the start is kept step by step


def test_trajectory_needs_record_step_and_one_feature(two_points):
    run = fo.train(two_points, fo.GD(lr=1.0), epochs=3, init=[0.0, 0.0])
    with pytest.raises(ValueError, match="record='step'"):
        plot.contours(two_points, run)
    wide = fo.data.synthetic(50, d=2)
    run = fo.train(wide, fo.GD(lr=1.0), epochs=2, init=[0.0, 0.0, 0.0], record="step")
    with pytest.raises(ValueError, match="one-feature"):
        plot.contours(two_points, run)
    with pytest.raises(TypeError, match="Run"):
        plot.contours(two_points, ["not a run"])
    with pytest.raises(ValueError, match="labels"):
        plot.loss_curves([run], labels=["a", "b"])
    with pytest.raises(TypeError, match="Surface"):
        plot.contours(np.zeros((3, 3)))


def test_surface_3d_has_labelled_axes_paths_and_minimum(grid, runs):
    figure = plot.surface(grid, runs)
    ax = figure.axes[0]
    assert ax.name == "3d"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == ("w", "b", "J(w, b)")
    assert len(with_gid(ax.lines, "trajectory")) == 3
    assert len(with_gid(ax.collections, "minimum")) == 1
    # the path's height is J read off the grid: at the start, J(−2, −2) within the grid's error
    (line, *_) = with_gid(ax.lines, "trajectory")
    z = line.get_data_3d()[2]
    assert z[0] == pytest.approx(fo.model.loss(fo.data.two_points(), [-2.0, -2.0], reduction="sum"), abs=2e-3)


def test_loss_curves_one_line_per_run_log_scale(runs):
    figure = plot.loss_curves(runs)
    ax = figure.axes[0]
    lines = with_gid(ax.lines, "loss")
    assert [line.get_label() for line in lines] == ["GD", "Momentum", "Nesterov"]
    np.testing.assert_array_equal(lines[1].get_ydata(), runs[1].loss)
    np.testing.assert_array_equal(lines[1].get_xdata(), np.arange(1, 31))
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch" and ax.get_ylabel()
    figure = plot.loss_curves(runs, log=False, logx=True, x="step")
    assert figure.axes[0].get_yscale() == "linear" and figure.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="x must be"):
        plot.loss_curves(runs, x="time")


def test_loss_curves_against_steps_put_epoch_losses_at_their_last_step():
    data = fo.data.synthetic(1000, seed=1)
    run = fo.train(data, fo.Adam(lr=0.05), epochs=3, batch_size=100, init=[0.0, 0.0], record="step")
    ax = plot.loss_curves(run, x="step").axes[0]
    (line,) = with_gid(ax.lines, "loss")
    np.testing.assert_array_equal(line.get_xdata(), [10, 20, 30])
    assert len(ax.lines) == 2  # and the batch losses behind
    assert ax.get_xlabel() == "step"


def test_lr_curves_show_the_schedule_and_the_momentum():
    data = fo.data.synthetic(500, seed=2)
    schedule = fo.schedules.cosine(0.1, 0.001, 40)
    run = fo.train(data, fo.Momentum(lr=0.1), epochs=4, batch_size=50, init=[0.0, 0.0], schedule=schedule,
                   momentum_schedule=fo.schedules.sutskever_momentum(0.99, every=10), record="step")
    figure = plot.lr_curves(run)
    ax = figure.axes[0]
    (lr,) = with_gid(ax.lines, "lr")
    np.testing.assert_allclose(lr.get_ydata(), schedule(np.arange(40)))
    (momentum,) = with_gid(figure.axes[1].lines, "momentum")  # the run's record of β
    np.testing.assert_allclose(momentum.get_ydata(), fo.schedules.sutskever_momentum(0.99, every=10)(np.arange(40)))
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate η"
    by_epoch = plot.lr_curves(fo.train(data, fo.Momentum(lr=0.1), epochs=4, batch_size=50, init=[0.0, 0.0],
                                        schedule=schedule))  # record="epoch": each epoch's last step
    (lr,) = with_gid(by_epoch.axes[0].lines, "lr")
    np.testing.assert_allclose(lr.get_ydata(), schedule(np.arange(9, 40, 10)))
    assert by_epoch.axes[0].get_xlabel() == "epoch"
    # a constant β from the optimizer (β1 for Adam) is named in the legend, not drawn as a flat
    # line on its own axis (issue 18), unless asked for; none for AdaGrad
    adam = fo.train(data, fo.Adam(lr=0.1, betas=(0.8, 0.999)), epochs=1, batch_size=50, init=[0.0, 0.0])
    figure = plot.lr_curves(adam)
    assert len(figure.axes) == 1
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["Adam η (β = 0.8 throughout)"]
    (momentum,) = with_gid(plot.lr_curves(adam, beta=True).axes[1].lines, "momentum")
    assert set(momentum.get_ydata()) == {0.8}
    assert len(plot.lr_curves(run, beta=False).axes) == 1
    adagrad = fo.train(data, fo.AdaGrad(lr=0.1), epochs=1, batch_size=50, init=[0.0, 0.0])
    assert len(plot.lr_curves(adagrad).axes) == 1


def test_step_sizes_are_the_lengths_of_the_steps(runs):
    ax = plot.step_sizes(runs).axes[0]
    lines = with_gid(ax.lines, "step")
    assert len(lines) == 3
    expected = np.linalg.norm(np.diff(runs[0].trajectory, axis=0), axis=1)
    np.testing.assert_allclose(lines[0].get_ydata(), expected)


def test_figures_compose_into_given_axes(grid, runs):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    assert plot.contours(grid, runs, ax=left, colorbar=False) is figure
    assert plot.loss_curves(runs, ax=right) is figure
    assert len(with_gid(left.lines, "trajectory")) == 3 and len(with_gid(right.lines, "loss")) == 3


@pytest.mark.parametrize("function", ["surface", "contours", "loss_curves", "lr_curves", "step_sizes"])
def test_save_png_and_svg_with_default_sizes(tmp_path, grid, runs, function):
    first = grid if function in ("surface", "contours") else runs
    arguments = (runs,) if function in ("surface", "contours") else ()
    png = tmp_path / f"{function}.png"
    figure = getattr(plot, function)(first, *arguments, save=png)
    width, height = figure.get_size_inches() * 100
    assert png_size(png) == (round(width), round(height))
    assert 400 <= png_size(png)[0] <= 1000 and 300 <= png_size(png)[1] <= 800
    svg = tmp_path / f"{function}.svg"
    getattr(plot, function)(first, *arguments, save=svg)
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "fastoptim.plot")
    with pytest.raises(ImportError, match=r"fastoptim\[plot\]"):
        importlib.import_module("fastoptim.plot")
