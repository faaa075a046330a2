"""fastoptim.plot on the Agg backend: what is drawn (one trajectory per run, labelled axes, the
minimum marked), saving PNG and SVG, and the message when matplotlib is missing."""
import importlib
import warnings
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


# --- issue 18: a picture for every kind of result, from real results ------------------------------

def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture(scope="module", params=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture(scope="module")
def small(dtype):
    return fo.data.synthetic(400, seed=3, dtype=np.dtype(dtype))


@pytest.fixture(scope="module", params=[None, 0.25], ids=["no-validation", "validation"])
def validation(request):
    return request.param


@pytest.fixture(scope="module")
def grid_sweep(small, validation):
    """Adam over 3 × 2 (lr, eps) and 2 seeds, and one pair that diverges (GD at η = 1e308)."""
    configs = fo.grid(fo.Adam, lr=[1e-3, 1e-2, 1e-1], eps=[1e-8, 1e-4])
    with pytest.warns(RuntimeWarning, match="diverged"):
        return fo.sweep(small, configs + [fo.Adam(lr=1e308, eps=1e-8)], seeds=(0, 1), epochs=4, batch_size=40,
                        init=(0.0, 0.0), validation=validation, reduction="sum")


def test_loss_curves_draw_the_validation_loss_dashed_in_the_same_colour(small, validation):
    runs = [fo.train(small, optimizer, epochs=5, batch_size=50, init=[0.0, 0.0], validation=validation)
            for optimizer in (fo.GD(lr=0.5), fo.Adam(lr=0.05))]
    ax = plot.loss_curves(runs).axes[0]
    losses, held = with_gid(ax.lines, "loss"), with_gid(ax.lines, "validation")
    assert len(losses) == 2
    if validation is None:
        assert held == [] and legend_texts(ax) == ["GD", "Adam"]
        return
    assert len(held) == 2
    for loss, dashed, run in zip(losses, held, runs):
        assert dashed.get_linestyle() == "--" and loss.get_linestyle() == "-"
        assert dashed.get_color() == loss.get_color()
        np.testing.assert_allclose(dashed.get_ydata(), run.validation_loss)
    assert legend_texts(ax) == ["GD", "GD (validation)", "Adam", "Adam (validation)"]
    assert with_gid(plot.loss_curves(runs, validation=False).axes[0].lines, "validation") == []


def test_epoch_axes_have_whole_number_ticks(small):
    run = fo.train(small, fo.GD(lr=0.5), epochs=2, init=[0.0, 0.0])
    figure = plot.loss_curves(run)
    figure.canvas.draw()
    ticks = [tick for tick in figure.axes[0].get_xticks() if 1 <= tick <= 2]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    step_run = fo.train(small, fo.GD(lr=0.5), epochs=2, batch_size=100, init=[0.0, 0.0], record="step")
    for figure in (plot.lr_curves(step_run), plot.step_sizes(step_run)):
        figure.canvas.draw()
        assert all(float(tick).is_integer() for tick in figure.axes[0].get_xticks())


def test_a_log_axis_draws_what_is_below_its_floor_at_the_floor_and_says_so(two_points):
    run = fo.train(two_points, fo.Nesterov(lr=1.0), epochs=300, init=[-2.0, -2.0], reduction="sum")
    assert run.loss.min() < 1e-12
    ax = plot.loss_curves(run, floor=1e-8).axes[0]
    (line,) = with_gid(ax.lines, "loss")
    assert line.get_ydata().min() == 1e-8 and ax.get_ylim()[0] == 1e-8
    (marks,) = with_gid(ax.lines, "below-floor")
    assert len(marks.get_xdata()) == int(np.sum(run.loss < 1e-8))
    assert "below 1e-08: drawn at the floor" in legend_texts(ax)
    # a zero on a log axis (which matplotlib would drop) is drawn at a floor below the data
    zero = fo.train(two_points, fo.GD(lr=0.0), epochs=3, init=[-2.0, -2.0], reduction="sum", record="step")
    ax = plot.step_sizes(zero).axes[0]
    assert len(with_gid(ax.lines, "below-floor")[0].get_xdata()) == 3
    assert any("drawn at the floor" in text for text in legend_texts(ax))
    # nothing below: no marks, no entry
    ax = plot.loss_curves(run).axes[0]
    assert with_gid(ax.lines, "below-floor") == [] and not any("floor" in t for t in legend_texts(ax))


def test_contour_end_markers_and_diverged_runs_are_in_the_legend(grid, runs, two_points):
    ax = plot.contours(grid, runs).axes[0]
    assert "end (in the path's colour)" in legend_texts(ax)
    with pytest.warns(RuntimeWarning, match="diverged"):
        broken = fo.train(fo.data.synthetic(500), fo.GD(lr=1e308), epochs=3, init=[-2.0, -2.0], reduction="sum")
    ax = plot.loss_curves([runs[0], broken]).axes[0]
    assert len(with_gid(ax.lines, "diverged")) == 1
    assert ("diverged (last finite loss)" if np.isfinite(broken.loss).any() else
            "diverged in epoch 1 (at the top)") in legend_texts(ax)


def test_loss_curves_of_a_sweep_one_line_per_row(grid_sweep, validation):
    ax = plot.loss_curves(grid_sweep).axes[0]
    lines = with_gid(ax.lines, "loss")
    assert len(lines) == len(grid_sweep) == 14
    assert lines[0].get_label() == "lr=0.001, eps=1e-08, seed 0"
    assert lines[-1].get_label() == "lr=1e+308, eps=1e-08, seed 1"
    np.testing.assert_array_equal(lines[3].get_ydata(), grid_sweep.loss[3])
    assert len(with_gid(ax.lines, "validation")) == (14 if validation else 0)
    assert len(with_gid(ax.lines, "diverged")) == int(grid_sweep.diverged.sum()) == 2
    texts = legend_texts(ax)
    assert "diverged in epoch 1 (at the top)" in texts  # η = 1e308: no finite loss at all
    assert ("validation (dashed, same colour)" in texts) == (validation is not None)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss J"
    curves = plot.sweep_curves(grid_sweep).axes[0]
    assert len(with_gid(curves.lines, "loss")) == 14 and "14 runs" in curves.get_title()
    with pytest.raises(ValueError, match="per epoch"):
        plot.loss_curves(grid_sweep, x="step")
    with pytest.raises(TypeError, match="SweepResult"):
        plot.sweep_curves([runs for runs in ()])


def test_sweep_heatmap_of_the_final_loss_over_two_hyperparameters(grid_sweep, validation):
    figure = plot.sweep(grid_sweep, x="lr", y="eps")
    ax = figure.axes[0]
    assert len(figure.axes) == 2  # the map and its colorbar
    (image,) = [image for image in ax.images if image.get_gid() == "heatmap"]
    cells = image.get_array()
    assert cells.shape == (2, 4)  # eps × lr (1e-3, 1e-2, 1e-1, 1e308)
    # each cell is the mean over the seeds of the final loss
    rows = [k for k in range(len(grid_sweep)) if grid_sweep.lr[k] == 1e-2 and grid_sweep.eps[k] == 1e-4]
    assert cells[1, 1] == pytest.approx(grid_sweep.final_loss[rows].mean())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.01", "0.1", "1e+308"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1e-08", "0.0001"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "eps")
    assert len(with_gid(ax.lines, "diverged")) == 1  # the η = 1e308 cell (both seeds)
    assert legend_texts(ax) == ["diverged (hatched)"]
    assert "1 blank: not run" in ax.get_title()  # (1e308, 1e-4) was not in the sweep
    assert "mean of 2 seeds" in figure.axes[1].get_ylabel()
    assert len(ax.texts) == 6  # a number in every finite cell (the diverged one has none)
    if validation is not None:
        held = plot.sweep(grid_sweep, x="lr", y="eps", value="final_validation_loss").axes[0]
        assert held.images[0].get_array()[1, 1] == pytest.approx(grid_sweep.final_validation_loss[rows].mean())
    # a value of 0 on the log colour scale is drawn, and said in the title
    steps = plot.sweep(grid_sweep, x="lr", y="eps", value="stopped_epoch", log=False).axes[0]
    assert steps.images[0].get_array()[0, 0] == -1
    zero = plot.sweep(grid_sweep, x="lr", y="eps", value="best_epoch").axes[0]
    assert "drawn in the lowest colour" in zero.get_title() or grid_sweep.best_epoch.min() > 0
    one = plot.sweep(grid_sweep, x="lr").axes[0]
    assert one.images[0].get_array().shape == (1, 4)
    with pytest.raises(ValueError, match="no column 'beta'"):
        plot.sweep(grid_sweep, x="beta")
    with pytest.raises(ValueError, match="result of the sweep"):
        plot.sweep(grid_sweep, x="final_loss")


def test_lr_search_picture_marks_the_stages_the_best_and_the_diverged(small, validation):
    held = 0.25 if validation is None else validation  # lr_search needs validation data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = fo.lr_search(small, fo.GD(), lrs=(1e-3, 1e-2, 1e-1, 1.0, 1e308), epochs=2, batch_size=40,
                             validation=held, reduction="sum")
    ax = plot.lr_search(found).axes[0]
    (coarse,) = with_gid(ax.lines, "coarse")
    (fine,) = with_gid(ax.lines, "fine")
    (best,) = with_gid(ax.lines, "best")
    (broken,) = with_gid(ax.lines, "diverged")
    assert sorted(coarse.get_xdata()) == [1e-3, 1e-2, 1e-1, 1.0]
    assert len(fine.get_xdata()) == 3 and list(broken.get_xdata()) == [1e308]
    assert best.get_xdata()[0] == found.best_lr and best.get_ydata()[0] == found.validation_loss[0]
    assert legend_texts(ax) == ["coarse grid (4)", "fine grid (3)", "diverged (1), drawn at the top",
                                f"best η = {found.best_lr:.3g}"]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning rate η"
    with pytest.raises(TypeError, match="lr_search"):
        plot.lr_search(grid)


def test_range_test_picture_marks_the_suggested_lr(small):
    result = fo.lr_range_test(small, fo.GD(), min_lr=1e-4, max_lr=1e4, steps=120, batch_size=20)
    ax = plot.range_test(result).axes[0]
    (raw,) = with_gid(ax.lines, "loss")
    (smooth,) = with_gid(ax.lines, "smoothed")
    (suggested,) = with_gid(ax.lines, "suggested")
    assert len(raw.get_xdata()) == len(smooth.get_xdata()) == result.stopped
    assert suggested.get_xdata()[0] == result.suggest()
    texts = legend_texts(ax)
    assert texts[:2] == ["batch loss", "smoothed"] and f"suggested η = {result.suggest():.3g} (steepest)" in texts
    if result.stopped < result.lrs.size:
        assert len(with_gid(ax.lines, "stopped")) == 1 and any(t.startswith("after the stop") for t in texts)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    other = plot.range_test(result, method="minimum").axes[0]
    assert with_gid(other.lines, "suggested")[0].get_xdata()[0] == result.suggest("minimum")


@pytest.mark.parametrize("function", ["sweep", "sweep_curves"])
def test_sweep_pictures_save_png(tmp_path, grid_sweep, function):
    path = tmp_path / f"{function}.png"
    getattr(plot, function)(grid_sweep, save=path)
    assert 400 <= png_size(path)[0] <= 1000
