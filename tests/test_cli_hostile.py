"""Issue 12, items 4, 5 and 13 (the progress line): the command line checks its output paths
and the memory a run needs before it starts (exit 2, one line naming the flag), accepts
negative pairs, and prints "interrupted" on a line of its own.

The commands run in-process through ``cli.main``; ``train`` is replaced by a function that
fails the test, to show that a refusal comes before any training."""
import inspect
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


# --- data files: a bad one is one line naming the flag, the file and the column (issue 14) ---------

BAD_FILES = [
    # name, content, extra flags, the flag and the words of the one line
    ("missing.csv", None, [], "--data", ["missing.csv: no such file"]),
    ("points.xlsx", "a,b\n1,2\n", [], "--data", ["Invalid path: 'points.xlsx'", "unknown file type '.xlsx'"]),
    ("empty.csv", "", [], "--data", ["Invalid path: 'empty.csv'", "the file is empty"]),
    ("target.csv", "x,y\n1,0\n", ["--target", "lable"], "--data", ["Invalid target: 'lable'", "target.csv: no such column",
                                                                  "'x', 'y'"]),
    ("feature.csv", "x,y\n1,0\n", ["--features", "x,z"], "--data", ["Invalid features: 'z'", "feature.csv: no such column"]),
    ("text.csv", "x,y\n1,0\nabc,1\n", [], "--data", ["Invalid features: 'abc'", "text.csv, column 'x', line 3: must be a number"]),
    ("nan.csv", "x,y\n1,0\nnan,1\n", [], "--data", ["nan.csv, column 'x', line 3"]),
    ("inf.csv", "x,y\n1,0\n2,inf\n", [], "--data", ["inf.csv, column 'y', line 3: must be finite"]),
    ("ragged.csv", "x,y\n1,0\n2\n", [], "--data", ["Invalid path: 'ragged.csv'", "line 3 has 1 fields"]),
    ("weights.csv", "x,w,y\n1,1,0\n2,-1,1\n", ["--weights", "w"], "--data", ["Invalid weights: -1.0", "weights.csv, column 'w', line 3: must be >= 0"]),
    ("labels.csv", "x,y\n1,0\n2,3\n", ["--loss", "log"], "--loss",
     ["labels.csv", "the log loss needs targets in [0, 1]; data.y[1] = 3.0"]),
]


@pytest.mark.parametrize("name, content, flags, flag, words", BAD_FILES, ids=[case[0] for case in BAD_FILES])
@pytest.mark.parametrize("command", ["train", "compare"])
def test_a_bad_data_file_exits_2_with_one_line_naming_the_file(command, name, content, flags, flag, words, tmp_path,
                                                             monkeypatch, capsys, no_training):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / name).write_text(content)
    target = [] if "--target" in flags else ["--target", "y"]
    assert cli.main([command, "--data", name, *target, *flags, "--no-plots" if command == "compare" else "--quiet"]) == 2
    one_line_naming(capsys, flag, *words)


def test_a_bad_validation_file_names_validation(tmp_path, monkeypatch, capsys, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("x,y\n1,0\n2,1\n")
    (tmp_path / "b.csv").write_text("x,z\n1,0\n")
    assert cli.main(["train", "--data", "a.csv", "--target", "y", "--validation", "b.csv"]) == 2
    one_line_naming(capsys, "--validation", "Invalid target: 'y'", "b.csv: no such column")
    assert cli.main(["train", "--data", "a.csv", "--target", "y", "--validation", "c.csv"]) == 2
    one_line_naming(capsys, "--validation", "Invalid path: 'c.csv' (no such file)")


def test_a_missing_pyarrow_exits_2_naming_the_extra(tmp_path, monkeypatch, capsys, no_training):
    """CSV, TSV and Parquet need pyarrow, the 'files' extra: without it, exit 2 and say so."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("x,y\n1,0\n2,1\n")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    assert cli.main(["train", "--data", "a.csv", "--target", "y"]) == 2
    one_line_naming(capsys, "--data", "reading a.csv needs pyarrow", "'files'", 'pip install "fastoptim[files]"')


@pytest.fixture
def no_loading(monkeypatch):
    def refuse(*arguments, **keywords):
        raise AssertionError("the data file was read before the arguments were checked")
    monkeypatch.setattr(fo.data, "load", refuse)


#: Bad flags (the data, the run, the optimizer, the rates, early stopping, resume): exit 2, one line
#: naming the flag, before any data file is read (the run's arguments are planned on a stand-in).
FILE = ["--data", "points.csv", "--target", "y"]
BAD_FLAGS = [
    (["train", "--target", "y"], "--target", ["only with --data FILE"]),
    (["train", "--data", "sparse", "--weights", "w"], "--weights", ["only with --data FILE"]),
    (["train", "--validation", "held.csv"], "--validation", ["a validation file needs --data FILE"]),
    (["train", "--data", "points.csv"], "--target", ["needs --target COLUMN"]),
    (["train", *FILE, "--n", "10"], "--n", ["a data file has its own size"]),
    (["train", *FILE, "--dtype", "float16"], "--dtype", ["invalid choice"]),
    (["train", *FILE, "--loss", "hinge"], "--loss", ["invalid choice"]),
    (["train", *FILE, "--epochs", "-1"], "--epochs", ["Invalid epochs: -1"]),
    (["train", *FILE, "--batch-size", "0"], "--batch-size", ["Invalid batch_size: 0"]),
    (["train", *FILE, "--seed", "-2"], "--seed", ["Invalid seed: -2"]),
    (["train", *FILE, "--lr", "-1"], "--lr", ["Invalid lr: -1.0"]),
    (["train", *FILE, "--optimizer", "gd", "--eps", "1e-3"], "--eps", ["gd has no ε"]),
    (["train", *FILE, "--optimizer", "adam", "--eps", "0"], "--eps", ["Invalid eps: 0.0"]),
    (["train", *FILE, "--optimizer", "momentum", "--beta2", "0.9"], "--beta2", ["momentum has no β2"]),
    (["train", *FILE, "--optimizer", "adam", "--beta2", "1"], "--beta2", ["Invalid betas[1]: 1.0"]),
    (["train", *FILE, "--optimizer", "adam", "--beta", "1", "--beta2", "0.5"], "--beta", ["Invalid betas[0]: 1.0"]),
    (["train", *FILE, "--optimizer", "adam", "--beta", "1", "--beta2", "1"], "--beta", ["Invalid betas[0]: 1.0"]),
    (["train", *FILE, "--optimizer", "nadam", "--beta", "0.5", "--beta2", "-1"], "--beta2", ["Invalid betas[1]: -1.0"]),
    (["compare", *FILE, "--optimizers", "gd,adam", "--beta2", "2"], "--beta2", ["Invalid betas[1]: 2.0"]),
    (["train", *FILE, "--weight-decay", "-1"], "--weight-decay", ["Invalid weight_decay: -1.0"]),
    (["train", *FILE, "--line-search", "0.1,x"], "--line-search", ["expected a number, got 'x'"]),
    (["train", *FILE, "--line-search", "0.1,-1"], "--line-search", ["Invalid line_search"]),
    (["train", *FILE, "--line-search", "1,2", "--schedule", "cosine:1,0.1,10"], "--line-search",
     ["schedule= and a schedule as the optimizer's lr are excluded"]),
    (["train", *FILE, "--on-plateau", "halve"], "--on-plateau", ["needs a validation set"]),
    # the fraction's range, before the file is read (whether it leaves both parts non-empty needs the data)
    (["train", *FILE, "--validation", "0"], "--validation", ["Invalid validation: 0.0 (must be a Dataset or a "
                                                            "fraction in (0, 1))"]),
    (["train", *FILE, "--validation", "1.5"], "--validation", ["Invalid validation: 1.5"]),
    (["train", *FILE, "--validation", "nan"], "--validation", ["Invalid validation: nan"]),
    (["compare", *FILE, "--validation", "1"], "--validation", ["Invalid validation: 1.0"]),
    (["train", *FILE, "--on-plateau", "reduce:factor=2", "--validation", "0.2"], "--on-plateau",
     ["reduce: Invalid factor: 2"]),
    (["train", *FILE, "--on-plateau", "wait"], "--on-plateau", ["unknown controller 'wait'"]),
    (["train", *FILE, "--on-plateau", "halve", "--validation", "0.2", "--line-search", "1,2"], "--on-plateau",
     ["line_search= and a schedule as the optimizer's lr are excluded"]),
    (["train", *FILE, "--optimizer", "rmsprop", "--momentum-schedule", "sutskever_momentum:0.9"],
     "--momentum-schedule", ["RMSProp has no momentum"]),
    (["train", *FILE, "--momentum-schedule", "sutskever_momentum:1.5"], "--momentum-schedule",
     ["Invalid beta_max: 1.5"]),
    (["train", *FILE, "--per", "epoch"], "--per", ["Invalid per: 'epoch'"]),
    (["train", *FILE, "--schedule", "linear_warmup:0.1,5+cosine:0.1,0.01,10"], "--schedule", ["needs @START"]),
    (["train", *FILE, "--schedule", "linear_warmup:0.1,5@3+cosine:0.1,0.01,10@5"], "--schedule",
     ["the first part starts at 0"]),
    (["train", *FILE, "--schedule", "constant:0.1+constant:0.2@9+constant:0.3@4"], "--schedule",
     ["Invalid boundaries", "strictly increasing"]),
    (["train", *FILE, "--schedule", "linear_warmup:0.1,50+cosine:0.1,0.01,10@5"], "--schedule",
     ["warm-up must fit in its phase"]),
    (["train", *FILE, "--schedule", "constant:0.1+wobbly:1@5"], "--schedule", ["unknown schedule 'wobbly'"]),
    (["train", *FILE, "--schedule", "constant:0.1+constant:0.2@x"], "--schedule", ["expected an integer START"]),
    (["train", *FILE, "--early-stopping", "0"], "--early-stopping", ["Invalid patience: 0"]),
    (["train", *FILE, "--early-stopping", "2.5"], "--early-stopping", ["expected an integer"]),
    (["train", *FILE, "--early-stopping", "2", "--min-delta", "-1"], "--min-delta", ["Invalid min_delta: -1.0"]),
    (["train", *FILE, "--min-delta", "0.1"], "--min-delta", ["only with --early-stopping"]),
    (["train", *FILE, "--early-stopping", "2", "--monitor", "validation"], "--early-stopping",
     ["monitors the validation loss"]),
    (["train", *FILE, "--resume", "missing.npz"], "--resume", ["missing.npz: no such file"]),
    (["train", *FILE, "--resume", "junk.npz"], "--resume", ["junk.npz"]),
    (["compare", *FILE, "--optimizers", "gd,momentum", "--eps", "1e-3"], "--eps", ["none of gd, momentum has it"]),
    (["compare", *FILE, "--optimizers", "gd,adam", "--momentum-schedule", "sutskever_momentum:0.9"],
     "--momentum-schedule", ["GD has no momentum"]),
    (["surface", *FILE, "--loss", "log", "--resolution", "1"], "--resolution", ["Invalid resolution: 1"]),
    (["warmup", "--optimizers", "sgd"], "--optimizers", ["unknown optimizer 'sgd'"]),
    (["warmup", "--losses", "squared,hinge"], "--losses", ["unknown loss 'hinge'"]),
    (["warmup", "--dtypes", "float16"], "--dtypes", ["unknown dtype 'float16'"]),
    (["warmup", "--features", "0"], "--features", ["Invalid features: 0"]),
    (["warmup", "--batch-sizes", "1,-4"], "--batch-sizes", ["Invalid batch_sizes: -4"]),
]


@pytest.mark.parametrize("argv, flag, words", BAD_FLAGS, ids=[" ".join(argv) for argv, _, _ in BAD_FLAGS])
def test_bad_flags_exit_2_naming_the_flag_before_the_data_is_read(argv, flag, words, tmp_path, monkeypatch, capsys,
                                                                   no_training, no_loading):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("x,y\n1,0\n2,1\n")
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive")
    if argv[0] == "warmup":  # fastoptim.warmup checks its arguments before it runs (compiles) anything
        monkeypatch.setattr("fastoptim.training.train", lambda *a, **k: pytest.fail("a warmup run started"))
    extra = {"train": ["--quiet"], "compare": ["--no-plots", "--quiet"], "surface": ["--no-plots"], "warmup": []}
    assert cli.main([*argv, *extra[argv[0]]]) == 2
    one_line_naming(capsys, flag, *words)


@pytest.mark.parametrize("argv, flag, words", [
    (["--init", "0,0"], "--init", ["Invalid init: [0.0, 0.0] (must have length d + 1 = 3"]),
    (["--validation", "0.0001"], "--validation", ["leaves an empty part of a data set of 4 points"]),
    (["--features", "a", "--resume", "first.npz"], "--resume", ["its data differs"]),
    (["--lr", "0.5", "--resume", "first.npz"], "--resume", ["its optimizer_arguments differs"]),
    (["--batch-size", "2", "--resume", "first.npz"], "--resume", ["its batch_size differs"]),
])
def test_arguments_that_depend_on_the_data_are_refused_by_the_run(argv, flag, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("a,b,y\n1,0,0\n2,1,1\n0,1,1\n1,1,0\n")
    assert cli.main(["train", "--data", "points.csv", "--target", "y", "--epochs", "1", "--out", "first.npz",
                     "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["train", "--data", "points.csv", "--target", "y", *argv, "--quiet"]) == 2
    one_line_naming(capsys, flag, *words)


def test_surface_of_several_features_names_features(tmp_path, monkeypatch, capsys, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("a,b,y\n1,0,0\n2,1,1\n")
    assert cli.main(["surface", "--data", "points.csv", "--target", "y", "--no-plots"]) == 2
    one_line_naming(capsys, "--features", "needs one feature; points.csv gives 2")


def test_errors_are_mapped_by_their_argument_not_their_text(monkeypatch, capsys, no_training):
    """Issue 13: the CLI routed an error to --lr or --beta by searching the message. Now only
    ``error.argument`` counts: an error about ``eps`` whose text speaks of learning rates is --eps's."""
    from fastoptim import _checks

    class Misleading(fo.Adam):
        def __init__(self, **arguments):
            raise _checks.InvalidValue("eps", "Invalid learning rate and beta: whatever the text says")

    monkeypatch.setitem(cli.OPTIMIZERS, "Adam", Misleading)
    assert cli.main(["train", "--optimizer", "adam"]) == 2
    one_line_naming(capsys, "--eps", "whatever the text says")

    built = []

    class SecondBeta(fo.Adam):  # betas[1] by its index, whatever the text says; built once, not again to find out
        def __init__(self, **arguments):
            built.append(arguments)
            raise _checks.InvalidValue("betas", "Invalid betas[0]: the text names the other one", index=1)

    monkeypatch.setitem(cli.OPTIMIZERS, "Adam", SecondBeta)
    assert cli.main(["train", "--optimizer", "adam", "--beta", "0.5", "--beta2", "0.5"]) == 2
    one_line_naming(capsys, "--beta2", "the text names the other one")
    assert len(built) == 1
    flags = {option for command in cli.build_parser()._subparsers._actions[1].choices.values()
             for action in command._actions for option in action.option_strings}
    assert set(cli.ARGUMENT_FLAGS.values()) <= flags  # every flag of the table exists
    assert {flag for table in cli.COMMAND_FLAGS.values() for flag in table.values()} <= flags


@pytest.mark.parametrize("table, key, argv, flag", [
    ("SCHEDULES", "cosine", ["--schedule", "cosine:0.1,0.01,5"], "--schedule"),
    ("SCHEDULES", "cosine", ["--schedule", "constant:0.1+cosine:0.1,0.01,5@3"], "--schedule"),  # a joined part
    ("MOMENTUM_SCHEDULES", "cosine", ["--momentum-schedule", "cosine:0.1,0.01,5", "--optimizer", "momentum"],
     "--momentum-schedule"),
    ("CONTROLLERS", "reduce", ["--on-plateau", "reduce:0.5", "--validation", "0.5"], "--on-plateau"),
])
def test_schedule_and_controller_errors_are_library_errors_reported_against_their_flag(table, key, argv, flag,
                                                                                      monkeypatch, capsys, no_training):
    """A schedule's or a controller's bad argument is the library's ``InvalidValue`` (its
    ``.argument`` names the schedule's argument); the command line builds the value after parsing
    and reports such an error against the flag that gave it, whatever its text says. An exception
    that is not the library's check (no ``.argument``) is not a usage error: it is not caught."""
    from fastoptim import _checks

    def refuses(*arguments, **keywords):
        raise _checks.InvalidValue("max_lr", "Invalid max_lr: the text speaks of --lr and --beta")

    def broken(*arguments, **keywords):
        raise ValueError("a bug, not a bad argument")

    for function, outcome in ((refuses, 2), (broken, ValueError)):
        function.__signature__ = inspect.signature(getattr(cli, table)[key])
        monkeypatch.setitem(getattr(cli, table), key, function)
        if outcome == 2:
            assert cli.main(["train", *argv, "--quiet"]) == 2
            one_line_naming(capsys, flag, f"{key}: Invalid max_lr: the text speaks of --lr and --beta")
        else:
            with pytest.raises(ValueError, match="a bug"):
                cli.main(["train", *argv, "--quiet"])


def test_a_real_schedule_error_carries_its_argument_and_the_command_names_the_flag(capsys, no_training):
    with pytest.raises(ValueError) as raised:
        fo.schedules.cosine(0.1, 0.2, 10)
    assert isinstance(raised.value, fo._checks.InvalidValue) and raised.value.argument == "min_lr"
    assert cli.main(["train", "--schedule", "cosine:0.1,0.2,10", "--quiet"]) == 2
    line = one_line_naming(capsys, "--schedule", "cosine: Invalid min_lr: 0.2 (must be <= max_lr=0.1)")
    assert line.endswith(str(raised.value) + " (see fastoptim train --help)")
    with pytest.raises(ValueError) as raised:
        fo.plateau.ReduceOnPlateau(patience=-1)
    assert raised.value.argument == "patience"
    assert cli.main(["train", "--on-plateau", "reduce:patience=-1", "--validation", "0.5", "--quiet"]) == 2
    one_line_naming(capsys, "--on-plateau", "reduce: Invalid patience: -1")
    assert cli.main(["train", "--schedule", "cosine:0.1,0.01", "--quiet"]) == 2  # the call's syntax: argparse's
    one_line_naming(capsys, "--schedule", "cosine: missing a required argument: 'period'")
