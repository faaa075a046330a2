"""The demo (issue 18): each module's text says what its run measured, the lecture's claims hold
in those runs (checked against runs trained here, independently of the demo), and index.html
shows every picture the demo wrote."""
import html.parser
import os
import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import fastoptim as fo  # noqa: E402
from fastoptim import demo  # noqa: E402


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return demo.run(str(folder / "pictures"), progress=False)


def text_of(story, number):
    return " ".join(story.section(number).text)


def number_after(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in: {text}"
    return match.group(1)


def first_below(run, level):
    below = np.flatnonzero(run.loss < level)
    return int(below[0]) + 1 if below.size else None


def test_every_module_of_the_lecture_is_told(story):
    assert [section.number for section in story.sections] == [
        "5.1", "5.2-5.5", "5.6", "5.6 at scale", "5.7", "5.8", "5.9", "5.9, every rule"]
    for section in story.sections:
        assert section.table and 2 <= len(section.text) <= 4, section.number
        assert section.pictures, f"{section.number} has no picture"


def test_the_brute_force_text_is_the_grids(story):
    grid = fo.surface(fo.data.two_points())
    text = text_of(story, "5.1")
    assert f"{grid.evaluations:,} evaluations" in text
    assert f"finds (w, b) = ({grid.best_w:.2f}, {grid.best_b:.2f})" in text
    assert f"J = {grid.best_loss:.1e}" in text


def test_momentum_converges_before_gd_despite_its_u_turns_and_nesterov_first(story):
    """The lecture's claims of 5.4 and 5.5, in runs trained here with the demo's settings, and the
    text saying exactly those epochs."""
    data = fo.data.two_points()
    runs = {optimizer.name: fo.train(data, optimizer, epochs=demo.MOMENTUM_EPOCHS, init=[-2.0, -2.0],
                                     reduction="sum", record="step")
            for optimizer in (fo.GD(lr=1.0), fo.Momentum(lr=1.0, beta=0.9), fo.Nesterov(lr=1.0, beta=0.9))}
    epochs = {name: first_below(run, demo.CONVERGED) for name, run in runs.items()}
    assert None not in epochs.values()
    assert epochs["Nesterov"] < epochs["Momentum"] < epochs["GD"]
    max_w = {name: run.trajectory[:, 0].max() for name, run in runs.items()}
    assert max_w["Momentum"] > max_w["Nesterov"] > demo._W_STAR > max_w["GD"]  # momentum overshoots furthest
    text = text_of(story, "5.2-5.5")
    assert int(number_after(r"GD crawls .*? at epoch (\d+)", text)) == epochs["GD"]
    assert int(number_after(r"Momentum .*? at epoch (\d+), sooner than GD", text)) == epochs["Momentum"]
    assert int(number_after(r"Nesterov .*? at epoch (\d+), sooner than momentum", text)) == epochs["Nesterov"]
    assert float(number_after(r"past the minimum to w = (\S+),", text)) == pytest.approx(max_w["Momentum"], abs=5e-3)
    turns = story.section("5.2-5.5").facts
    assert turns["Momentum"]["u_turns"] > turns["Nesterov"]["u_turns"]
    assert f"({turns['Momentum']['u_turns']} u-turns" in text and f"({turns['Nesterov']['u_turns']} u-turns)" in text


def test_bigger_batches_give_smoother_paths(story):
    data = fo.data.synthetic(200, noise=0.1, seed=0)
    turns = {}
    for size in (None, 20, 1):
        run = fo.train(data, fo.GD(lr=1.0), epochs=40, batch_size=size, init=[-2.0, -2.0], shuffle=True, seed=0,
                       record="step")
        turns[size] = demo._turning(run.trajectory)[0]
    assert turns[1] > turns[20] > turns[None]
    text = text_of(story, "5.6")
    assert float(number_after(r"it turns by (\d+)° a step", text)) == pytest.approx(turns[1], abs=0.5)
    assert float(number_after(r"mini-batches of 20 turn by (\d+)°", text)) == pytest.approx(turns[20], abs=0.5)
    assert float(number_after(r"the full batch by (\S+)°", text)) == pytest.approx(turns[None], abs=0.05)
    assert text.endswith("the bigger the batch, the smoother the path.")


def test_the_schedules_text_ranks_what_it_measured(story):
    facts = story.section("5.7").facts
    finals = {name: f["final"] for name, f in facts.items() if isinstance(f, dict) and "final" in f}
    text = text_of(story, "5.7")
    decaying = {name: value for name, value in finals.items() if name != "constant"}
    best = min(decaying, key=decaying.get)
    assert f"best {best} ({decaying[best]:.1e})" in text
    assert f"J − J* = {finals['constant']:.1e} after 20 epochs" in text
    lower = sum(value < finals["constant"] for value in decaying.values())
    assert f"{lower} of the {len(decaying)} schedules end lower" in text


def test_the_line_search_text_counts_its_choices(story):
    run = fo.train(fo.data.two_points(), fo.GD(lr=1.0), epochs=100, init=[-2.0, -2.0], reduction="sum",
                   line_search=[0.1, 0.5, 1.0, 2.0, 10.0], record="step")
    chosen, counts = np.unique(run.step_lr, return_counts=True)
    text = text_of(story, "5.8")
    assert f"picks η = {chosen[np.argmax(counts)]:g} in {counts.max()} of the 100 steps" in text
    assert int(number_after(r"below 1e-04 at epoch (\d+)", text)) == first_below(run, 1e-4)


def test_the_sparse_text_and_every_rule(story):
    facts = story.section("5.9").facts
    text = text_of(story, "5.9")
    assert facts["AdaGrad"]["late"] < facts["AdaGrad"]["early"] / 50  # AdaGrad's steps shrink
    assert facts["RMSProp"]["late"] > 0.1  # RMSProp still oscillates
    assert f"slows down near the optimum: its steps go from {facts['AdaGrad']['early']:.2f} to " \
           f"{facts['AdaGrad']['late']:.1e}" in text
    assert facts["RMSProp"]["below"] == min(f["below"] for f in facts.values() if isinstance(f, dict)
                                            and f.get("below") is not None)
    assert "RMSProp decays that sum and gets there first" in text and "then oscillates" in text
    assert f"to w = {facts['Adam']['max_w']:.2f}, and back" in text
    every = story.section("5.9, every rule").facts
    names = set(fo.optimizers.OPTIMIZERS)
    assert names <= set(every)
    text = text_of(story, "5.9, every rule")
    reached = [name for name in names if every[name]["converged"] is not None]
    assert f"{len(reached)} of the {len(names)} rules" in text
    for name in every["never"]:
        assert every[name]["converged"] is None and name in text
    assert every["adamp_is_adam"] and "AdamP ends exactly where Adam does" in text


class _Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.captions, self._caption = [], [], False

    def handle_starttag(self, tag, attributes):
        if tag == "img":
            self.sources.append(dict(attributes)["src"])
        self._caption = tag == "figcaption"

    def handle_endtag(self, tag):
        self._caption = False

    def handle_data(self, data):
        if self._caption:
            self.captions.append(data)


def test_index_html_shows_every_picture_with_its_caption(story):
    written = sorted(name for name in os.listdir(story.out_dir) if name.endswith(".png"))
    assert written == sorted(story.pictures) and len(written) == 9
    with open(story.index, encoding="utf-8") as file:
        page = file.read()
    parser = _Images()
    parser.feed(page)
    assert sorted(parser.sources) == written  # relative paths: opens from disk, no server
    assert len(parser.captions) == len(written) and all(caption.strip() for caption in parser.captions)
    for section in story.sections:
        assert section.text[0].split(":")[0].replace("'", "&#x27;")[:30] in page
    assert page.count("<pre>") == len(story.sections)  # the tables
