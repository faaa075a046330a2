"""Issue 12, items 4, 5 and 13 (the progress line): the command line checks its output paths
and the memory a run needs before it starts (exit 2, one line naming the flag), accepts
negative pairs, and prints "interrupted" on a line of its own.

The commands run in-process through ``cli.main``; ``train`` is replaced by a function that
fails the test, to show that a refusal comes before any training."""
import io
import os
import sys

import pytest

import fastoptim as fo
from fastoptim import cli, progress


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*arguments, **keywords):
        raise AssertionError("a run started before the arguments were checked")
    monkeypatch.setattr(cli, "_train", refuse)
    monkeypatch.setattr(cli, "_surface", refuse)


def one_line_naming(capsys, flag, *words):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"fastoptim ") and f"argument {flag}: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


UNWRITABLE = "/proc/fastoptim-cannot-write-here"  # no file can be made in /proc, even by root


# --- item 4: output paths -------------------------------------------------------------------------

@pytest.mark.parametrize("out, words", [
    ("missing/run.npz", ["does not exist"]),             # issue: a traceback after training, exit 1
    ("run", ["must end in .npz"]),                        # issue: wrote run.npz, printed "saved run"
    (".", ["is a folder"]),
    (UNWRITABLE + ".npz", ["cannot write in /proc"]),
])
def test_train_out_is_checked_before_the_run(out, words, tmp_path, monkeypatch, capsys, no_training):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--out", out, "--quiet"]) == 2
    one_line_naming(capsys, "--out", *words)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("picture, words", [
    ("missing/run.png", ["does not exist"]),
    ("run", ["must end in one of", ".png", ".svg"]),
    ("run.npz", ["must end in one of"]),
    (".", ["is a folder"]),
    (UNWRITABLE + ".png", ["cannot write in /proc"]),
])
def test_train_plot_is_checked_before_the_run(picture, words, tmp_path, monkeypatch, capsys, no_training):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--plot", picture, "--quiet"]) == 2
    one_line_naming(capsys, "--plot", *words)


@pytest.mark.parametrize("command", ["compare", "surface", "demo"])
@pytest.mark.parametrize("folder, words", [("a-file", ["exists and is not a folder"]),
                                           ("a-file/below", ["cannot create the folder"]),
                                           (UNWRITABLE, ["cannot create the folder"])])
def test_out_dir_is_checked_before_the_run(command, folder, words, tmp_path, monkeypatch, capsys, no_training):
    """Issue: ``--out-dir`` on a file or an unwritable place: a traceback and exit 1."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")
    assert cli.main([command, "--out-dir", folder]) == 2
    one_line_naming(capsys, "--out-dir", *words)


def test_a_save_that_fails_after_the_run_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    def full_disk(self, path):
        raise OSError(28, f"could not save the run to {path} (No space left on device)")
    monkeypatch.setattr(fo.Run, "save", full_disk)
    assert cli.main(["train", "--epochs", "2", "--out", str(tmp_path / "run.npz"), "--quiet"]) == 1
    assert capsys.readouterr().err == (f"fastoptim train: error: [Errno 28] could not save the run to "
                                       f"{tmp_path / 'run.npz'} (No space left on device)\n")


def test_train_prints_the_path_it_saved(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--epochs", "2", "--out", "run.npz", "--quiet"]) == 0
    assert "saved        run.npz\n" in capsys.readouterr().out
    assert fo.load_run(tmp_path / "run.npz").epochs == 2


# --- item 4: sizes that cannot fit -----------------------------------------------------------------

@pytest.mark.parametrize("argv, flag, words", [
    (["train", "--data", "synthetic", "--n", "1e12"], "--n", ["Invalid n: 1000000000000 (synthetic data of "
                                                              "1,000,000,000,000 points needs about 14.6 TiB"]),
    (["train", "--data", "sparse", "--n", "1e12"], "--n", ["Invalid n: 1000000000000", "TiB"]),
    # the run's record is the library's estimate (fastoptim.plan: O(epochs), O(steps) only when every step is
    # recorded), checked on a stand-in data set before the data is made
    (["train", "--epochs", "1e12"], "--epochs", ["Invalid epochs: 1000000000000 (the record of "
                                                 "1,000,000,000,000 epochs needs about 29.1 TiB"]),
    (["train", "--epochs", "1e9", "--plot", "run.png"], "--epochs",
     ["Invalid record: 'step' (the record of 1,000,000,000 epochs and 1,000,000,000 steps", "GiB",
      "pictures record every step"]),
    (["compare", "--epochs", "1e11", "--no-plots"], "--epochs", ["Invalid epochs: 100000000000 (the record of"]),
    (["surface", "--resolution", "1e8"], "--resolution", ["Invalid resolution: 100000000 (a 100000000 × "
                                                          "100000000 grid needs about 71.1 PiB"]),
    (["surface", "--w-range=-1e308,1e308"], "--w-range", ["Invalid w_range: (-1e+308, 1e+308) (high - low"]),
    (["surface", "--b-range=-1e308,1e308"], "--b-range", ["Invalid b_range"]),
])
def test_sizes_that_cannot_fit_are_refused_naming_the_flag_and_the_size(argv, flag, words, tmp_path,
                                                                        monkeypatch, capsys, no_training):
    """Issue: ``--n 1e12``, ``--epochs 1e12``, ``surface --resolution 1e8``: a MemoryError traceback."""
    monkeypatch.chdir(tmp_path)
    assert cli.main([*argv, "--quiet"] if argv[0] != "surface" else argv) == 2
    line = one_line_naming(capsys, flag, *words)
    assert "of memory available" in line or "range" in flag


# --- item 5: negative pairs ------------------------------------------------------------------------

def test_negative_pairs_are_accepted(capsys):
    """Issue: ``--init -2,-2`` (the documented default's own form) and ``--w-range -3,5``:
    "expected one argument"."""
    assert cli.main(["train", "--init", "-2,-2", "--epochs", "1", "--quiet"]) == 0
    assert "from (w, b) = (-2, -2)" in capsys.readouterr().out
    assert cli.main(["train", "--init", "-.5,-1e-3", "--epochs", "1", "--quiet"]) == 0
    assert "from (w, b) = (-0.5, -0.001)" in capsys.readouterr().out
    assert cli.main(["surface", "--w-range", "-3,5", "--b-range", "-7,3", "--resolution", "5", "--no-plots"]) == 0
    assert "on [-3, 5] × [-7, 3], 5 × 5 points" in capsys.readouterr().out


@pytest.mark.parametrize("argv, flag", [(["train", "--lr", "-1"], "--lr"), (["train", "--init", "-2"], "--init"),
                                        (["surface", "--w-range", "-3,-5"], "--w-range"),
                                        (["train", "--n", "-5", "--data", "sparse"], "--n")])
def test_negative_values_that_are_wrong_name_their_flag(argv, flag, capsys):
    assert cli.main(argv) == 2
    one_line_naming(capsys, flag)


# --- item 13: "interrupted" on its own line ----------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_interrupted_is_not_printed_onto_a_progress_bar(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)

    def interrupted_run(*arguments, **keywords):
        bar = progress.EpochBar(100)
        bar.update(3, 30, 0.25)  # drawn, then Ctrl-C before the run's end closes it
        assert "3/100" in terminal.getvalue()
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_train_run", interrupted_run)
    assert cli.main(["train", "--epochs", "100"]) == 130
    text = terminal.getvalue()
    # the bar's line is cleared and the cursor back at its start before the message
    last_line = text.split("\r")[-1]
    assert last_line == "fastoptim train: interrupted\n", repr(text[-200:])
    assert not progress._OPEN
