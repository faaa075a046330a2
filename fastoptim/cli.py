"""The ``fastoptim`` command: ``train``, ``compare``, ``surface``, ``warmup``, ``sweep``, ``lr-search``,
``demo`` and ``bench``.

    fastoptim train --optimizer adam --lr 0.1 --data synthetic --n 1000000 --batch-size 25 --epochs 10
    fastoptim train --data points.csv --target label --loss log --validation 0.2 --json
    fastoptim compare --optimizers gd,momentum,nesterov,adagrad,rmsprop,adam --data two-points
    fastoptim surface --data sparse
    fastoptim warmup --optimizers adam,gd --losses squared,log
    fastoptim sweep --optimizer adam --grid lr=1e-3,1e-2,1e-1 --grid eps=1e-8,1e-6 --csv sweep.csv --plot sweep.png
    fastoptim lr-search --optimizer gd --data synthetic --n 10000 --batch-size 32 --plot lr.png
    fastoptim demo

Exit status: 0 done; 1 a run diverged (or matplotlib is missing for pictures, or a write failed
after the run); 2 bad arguments or a bad data file, reported on one line that names the flag
(and the file, the column and the row where the loader says them). ``python -m fastoptim`` with no
arguments runs ``demo``; ``fastoptim`` with none prints this help.

The command line validates nothing the library validates: it parses the syntax of each value,
hands the values to the library (``fastoptim.train``, the optimizer classes, the schedules …),
and maps a library error to its flag through ``error.argument`` (:data:`ARGUMENT_FLAGS`, and
``error.index`` where an argument's items come from several flags: :data:`INDEXED_FLAGS`), never
by reading the message. ``--schedule``, ``--momentum-schedule`` and ``--on-plateau`` are parsed
(``NAME:ARGS``: the name, and arguments that fit the function's parameters) and built after
parsing; the schedule's or controller's own error is reported against the flag that gave it.
A run's arguments are checked before the data is read or made, by
``fastoptim.check_train_arguments`` (every ``train`` argument that needs no data), so a bad
``--epochs`` or ``--validation 1.5`` is refused before a large file is loaded.

Defaults: on the built-in data sets (the lecture's two points, sparse, synthetic) the command
keeps the lecture's settings (η = 1 for gd, momentum, nesterov and adadelta, 0.1 for the
others; J summed on two-points and sparse; from (w, b) = (−2, −2)); on a data file it takes the
API's (each optimizer's own ``lr``, ``reduction="mean"``, ``init`` zeros), so that
``fastoptim train --data FILE …`` is ``fastoptim.train(fastoptim.data.load(FILE, …), …)`` with the
same arguments, bit for bit (see ``DEFAULTS_TEXT``).
"""
import argparse
import inspect
import json
import math
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
import warnings

from . import _checks
from . import data as _data
from . import progress as _progress
from . import runs as _runs
from . import schedules as _schedules
from ._figures import grid_around, plot_module
from .callbacks import EarlyStopping
from .error_surface import check_arguments as _check_surface_arguments
from .error_surface import surface as _surface
from .optimizers import OPTIMIZERS
from .plateau import ReduceOnPlateau, halve_on_increase
from .training import check_train_arguments as _check_train_arguments
from .training import train as _train

#: Command-line names of the optimizers (lower case class names).
OPTIMIZER_NAMES = {name.lower(): name for name in OPTIMIZERS}
#: Learning rates used on the built-in data sets when ``--lr`` is not given: the lecture's
#: η = 1 for gradient descent, momentum and Nesterov (modules 5.2-5.5), η = 0.1 for the
#: adaptive methods (module 5.9); AdaDelta's η multiplies a step that is already scaled (SPEC §3:
#: default 1). On a data file the optimizer's own default is used (the API's).
LECTURE_LR = {"GD": 1.0, "Momentum": 1.0, "Nesterov": 1.0, "AdaDelta": 1.0}
DEFAULT_ADAPTIVE_LR = 0.1
#: The lecture's start on its one-feature data sets.
LECTURE_INIT = (-2.0, -2.0)
SCHEDULES = {
    "constant": _schedules.constant, "step_decay": _schedules.step_decay,
    "exponential": _schedules.exponential, "inverse_time": _schedules.inverse_time,
    "cyclic": _schedules.cyclic, "cosine": _schedules.cosine,
    "warm_restarts": _schedules.warm_restarts, "linear_warmup": _schedules.linear_warmup,
    "transformer_warmup": _schedules.transformer_warmup,
}
#: Schedules of β (``--momentum-schedule``): any learning-rate schedule whose values lie in
#: [0, 1), and Sutskever et al.'s.
MOMENTUM_SCHEDULES = {**SCHEDULES, "sutskever_momentum": _schedules.sutskever_momentum,
                      "sutskever": _schedules.sutskever_momentum}
#: ``--on-plateau`` controllers.
CONTROLLERS = {"halve": halve_on_increase, "halve_on_increase": halve_on_increase,
               "reduce": ReduceOnPlateau, "reduce_on_plateau": ReduceOnPlateau}
DATA_SETS = ("two-points", "sparse", "synthetic")
DEFAULT_N = {"sparse": 500, "synthetic": 1_000_000}
DTYPES = ("float32", "float64")
LOSSES = ("squared", "log")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: The library's argument names (``error.argument`` of ``fastoptim._checks.InvalidValue`` /
#: ``InvalidType``) and the flags that give them: the one table by which an error is reported
#: against its flag. ``COMMAND_FLAGS`` overrides it per command.
ARGUMENT_FLAGS = {
    # the optimizer
    "lr": "--lr", "beta": "--beta", "betas": "--beta", "eps": "--eps", "weight_decay": "--weight-decay",
    "decoupled": "--decoupled",
    # fastoptim.train
    "epochs": "--epochs", "record": "--epochs", "batch_size": "--batch-size", "init": "--init", "loss": "--loss",
    "reduction": "--reduction", "schedule": "--schedule", "per": "--per", "momentum_schedule": "--momentum-schedule",
    "shuffle": "--shuffle", "seed": "--seed", "drop_last": "--drop-last", "line_search": "--line-search",
    "validation": "--validation", "on_plateau": "--on-plateau", "early_stopping": "--early-stopping",
    "resume": "--resume", "data": "--data",
    # fastoptim.EarlyStopping
    "patience": "--early-stopping", "min_delta": "--min-delta", "monitor": "--monitor",
    "restore_best": "--restore-best",
    # the built-in data sets and the surface
    "n": "--n", "w_range": "--w-range", "b_range": "--b-range", "resolution": "--resolution",
}
#: Arguments whose items come from different flags: ``(error.argument, error.index)`` → the flag
#: (``betas[0]`` is β1 of ``--beta``, ``betas[1]`` β2 of ``--beta2``; ``fastoptim._checks``'s rule).
INDEXED_FLAGS = {("betas", 0): "--beta", ("betas", 1): "--beta2"}
COMMAND_FLAGS = {
    "compare": {"optimizers": "--optimizers"},
    "sweep": {"seeds": "--seeds", "configs": "--grid"},
    "lr-search": {"lrs": "--lrs", "refine": "--refine"},
    "warmup": {"optimizers": "--optimizers", "losses": "--losses", "dtypes": "--dtypes", "features": "--features",
               "batch_sizes": "--batch-sizes", "shuffle": "--shuffle", "weights": "--weights",
               "line_search": "--line-search", "sweep": "--sweep"},
}

DEFAULTS_TEXT = """\
defaults, and where they differ from the API (fastoptim.train and the optimizer classes):
  on the built-in data sets (two-points, sparse, synthetic) the lecture's settings, to retell it:
    --lr 1 for gd, momentum, nesterov, adadelta and 0.1 for the others (the classes' own defaults,
    e.g. GD 0.01, Adam 0.001, are PyTorch's, meant for long runs); --reduction sum on two-points
    and sparse (the lecture's J), mean on synthetic; --init -2,-2 (the lecture's start).
  on a data file (--data FILE) the API's: each optimizer's own lr, --reduction mean, --init zeros,
    so the run is fastoptim.train(fastoptim.data.load(FILE, ...), ...) with the same arguments.
  everywhere: --batch-size full is the API's batch_size=None; --epochs 10 for train and 100 for
    compare (the API has no default);
    --loss squared, --per step, --seed 0 as in the API; --early-stopping monitors the validation
    loss with --validation and the training loss without (the API's monitor="validation" needs
    validation data)."""

SCHEDULE_TEXT = """\
schedules (--schedule, --momentum-schedule): NAME:ARGS, the arguments of fastoptim.schedules.NAME
  by position or by name: cosine:0.1,0.001,1000 = cosine:max_lr=0.1,min_lr=0.001,period=1000.
  Joined schedules (fastoptim.schedules.join): PART+PART@START+..., each later part starting at the
  counter START (steps, or epochs with --per epoch), where it sees its counter again from 0:
    --schedule linear_warmup:0.1,500+cosine:0.1,0.001,9500@500
  is 500 steps of warm-up to 0.1, then a cosine decay to 0.001 over 9500 steps.
  --momentum-schedule also takes sutskever_momentum:BETA_MAX,EVERY (Sutskever et al. 2013).
plateau controllers (--on-plateau, need --validation): halve (the lecture's: halve η after an epoch
  whose validation loss rose) or reduce:factor=0.1,patience=10,threshold=1e-4,min_lr=0 (by
  position or name; lr=η to start elsewhere than the optimizer's lr)."""


class UsageError(Exception):
    """A bad argument found after parsing: ``flag`` names it (None: no single flag), the message
    says why."""

    def __init__(self, flag, message):
        super().__init__(f"argument {flag}: {message}" if flag else message)
        self.flag = flag


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error: ``fastoptim train: error: argument --lr: ...``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --- argument types: syntax only (the library checks the ranges) ----------------------------------

def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _integer(text):
    """An integer, also written ``1e6`` or ``1_000_000``."""
    try:
        return int(text.replace("_", ""))
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value == int(value)):
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        return int(value)


def _batch_size(text):
    if text.lower() in ("full", "all", "none"):
        return None
    return _integer(text)


def _numbers(text):
    """``a,b,c`` -> a tuple of floats (any length)."""
    parts = text.split(",")
    if not all(part.strip() for part in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return tuple(_number(part) for part in parts)


def _pair(text):
    parts = _numbers(text)
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers 'a,b', got {text!r}")
    return parts


def _list_of(item, what):
    def parse(text):
        values = [item(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}")
        return values
    return parse


def _choice_of(options, what):
    def parse(text):
        value = text.strip().lower()
        if value not in options:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; choose from {', '.join(options)}")
        return value
    return parse


def _optimizer_name(text):
    name = OPTIMIZER_NAMES.get(text.strip().lower())
    if name is None:
        raise argparse.ArgumentTypeError(f"unknown optimizer {text!r}; choose from {', '.join(OPTIMIZER_NAMES)}")
    return name


def _optimizer_list(text):
    names = [_optimizer_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of optimizers")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"an optimizer is listed twice in {text!r}")
    return names


def _learning_rates(text):
    """``0.1`` (for every optimizer) or ``gd=1,adam=0.1``: a dict, key None for all."""
    if "=" not in text:
        return {None: _number(text)}
    rates = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        rates[_optimizer_name(name)] = _number(value)
    return rates


def _column(text):
    """A column: its name, or its 0-based position written as an integer (``.npy``: an index,
    or the path of a second ``.npy`` file)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _columns(text):
    return _list_of(_column, "columns")(text)


def _validation(text):
    """A fraction of the data (a number) or a file with the same columns."""
    try:
        return float(text)
    except ValueError:
        return text


def _scalar(text):
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _call_arguments(text, where):
    """``a,b,key=value,...`` -> (positional, keywords) of scalars."""
    positional, keywords = [], {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        if "=" in part:
            field, _, value = part.partition("=")
            keywords[field.strip()] = _scalar(value)
        elif keywords:
            raise argparse.ArgumentTypeError(f"positional value {part!r} after key=value in {where!r}")
        else:
            positional.append(_scalar(part))
    return positional, keywords


class _Call:
    """``NAME:ARGS`` as argparse leaves it: the function the name picks and the arguments, which
    fit its parameters (the syntax); :meth:`build` calls it, and the library's own checks decide
    the values (its error, carrying ``.argument``, is reported against the flag by
    :func:`_build_values`)."""

    def __init__(self, name, function, positional, keywords):
        self.name, self.function, self.positional, self.keywords = name, function, positional, keywords

    def build(self):
        try:
            return self.function(*self.positional, **self.keywords)
        except (_checks.InvalidValue, _checks.InvalidType) as error:
            raise _BuildError(self.name, error) from None


class _Joined:
    """``PART+PART@START+...``: the parts (each a :class:`_Call`) and their starts, joined by
    ``fastoptim.schedules.join`` when built."""

    def __init__(self, parts, starts):
        self.parts, self.starts = parts, starts

    def build(self):
        parts = [part.build() for part in self.parts]
        return _Call("join", _schedules.join, [parts, self.starts], {}).build()


class _BuildError(Exception):
    """A library error (``error``, with ``.argument``) from building the value of one flag, and
    the function that raised it (``where``, as the message says it: ``cosine: Invalid …``)."""

    def __init__(self, where, error):
        super().__init__(where, error)
        self.where, self.error = where, error


def _call_of(text, table, whole, what):
    """``NAME:ARGS`` → a :class:`_Call` of ``table[NAME]``: the name known, the arguments in the
    function's signature (a missing, extra or unknown one is a syntax error, said here)."""
    name, _, rest = text.partition(":")
    key = name.strip().lower().replace("-", "_")
    function = table.get(key)
    if function is None:
        raise argparse.ArgumentTypeError(f"unknown {what} {name.strip()!r}; choose from {', '.join(table)}")
    positional, keywords = _call_arguments(rest, whole)
    try:
        inspect.signature(function).bind(*positional, **keywords)
    except TypeError as error:  # (the signature's own words: "missing a required argument: 'period'")
        raise argparse.ArgumentTypeError(f"{key}: {error}") from None
    return _Call(key, function, positional, keywords)


#: ``+`` between two parts of a joined schedule: before a name, never inside a number (``1e+3``).
_JOIN = re.compile(r"\+(?=\s*[A-Za-z_])")


def _schedule_from(table):
    def parse(text):
        """``NAME:ARGS`` or ``NAME:ARGS+NAME:ARGS@START+...`` -> what builds the schedule (:class:`_Call`
        or :class:`_Joined`: the values are checked by ``fastoptim.schedules`` once the flags are parsed)."""
        parts, starts = [], []
        for index, part in enumerate(_JOIN.split(text)):
            body, at, start = part.rpartition("@") if "@" in part else (part, "", "")
            if index > 0 and not at:
                raise argparse.ArgumentTypeError(f"the joined part {part!r} needs @START, the counter where it "
                                                 f"begins (e.g. cosine:0.1,0.001,900@100)")
            if at:
                try:
                    start = _integer(start)
                except argparse.ArgumentTypeError:
                    raise argparse.ArgumentTypeError(f"@{start} in {part!r}: expected an integer START") from None
                if index == 0 and start != 0:
                    raise argparse.ArgumentTypeError(f"the first part starts at 0, not @{start}")
                if index > 0:
                    starts.append(start)
            parts.append(_call_of(body, table, text, "schedule"))
        return parts[0] if len(parts) == 1 else _Joined(parts, starts)
    return parse


def _controller(text):
    """``halve`` or ``reduce:factor=0.5,patience=2`` -> what builds a ``fastoptim.plateau`` controller."""
    return _call_of(text, CONTROLLERS, text, "controller")


#: The flags whose values the library builds from ``NAME:ARGS`` (schedules, a controller), by the
#: name of the ``fastoptim.train`` argument each gives.
BUILT_ARGUMENTS = ("schedule", "momentum_schedule", "on_plateau")


def _build_values(args):
    """Build the values of :data:`BUILT_ARGUMENTS` (in place of what argparse left); a library
    error (an ``InvalidValue``/``InvalidType``, whose ``.argument`` names the schedule's or the
    controller's argument) is one line against the flag that gave the value: ``argument
    --schedule: cosine: Invalid max_lr: -1 (…)``. Any other exception is not a usage error and
    is not caught."""
    for name in BUILT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, (_Call, _Joined)):
            try:
                setattr(args, name, value.build())
            except _BuildError as failed:
                raise UsageError(_flag_of(args.command, name), f"{failed.where}: {failed.error}") from None


# --- the parser -----------------------------------------------------------------------------------

def _data_options(parser, *, default="two-points", validation=True):
    group = parser.add_argument_group("data")
    group.add_argument("--data", default=default, metavar="NAME|FILE",
                       help=f"a built-in data set (default: {default}): two-points (the lecture's), sparse (x 80%% "
                            "zeros, lecture 5.9), synthetic (y = σ(2x − 1) + noise); or a data file: .csv, .tsv, "
                            ".parquet (pyarrow, the 'files' extra), .npy, .npz (fastoptim.data.load)")
    group.add_argument("--target", type=_column, metavar="COL",
                       help="a file's target column y: its name, or its 0-based position; for .npy a column "
                            "index, or the path of y's own .npy")
    group.add_argument("--features", type=_columns, metavar="A,B,...",
                       help="a file's feature columns, in order (default: every column but the target and weights)")
    group.add_argument("--weights", type=_column, metavar="COL", help="a file's sample-weights column")
    group.add_argument("--dtype", choices=DTYPES, help="a file's data type (default: float32 for float32 columns, "
                                                       "else float64; CSV text reads as float64)")
    group.add_argument("--n", type=_integer, metavar="N",
                       help="points of sparse (default 500) or synthetic (default 1000000) data")
    group.add_argument("--seed", type=_integer, default=0,
                       help="seed of the built-in data, the shuffling and the validation split (default: 0)")
    group.add_argument("--loss", choices=LOSSES, default="squared",
                       help="squared: the lecture's ½ (f − y)² (default); log: cross-entropy, targets in [0, 1]")
    group.add_argument("--reduction", choices=("sum", "mean"),
                       help="J summed (the lecture's J; default on two-points and sparse) or averaged over the "
                            "points (default on synthetic and files, as fastoptim.train; fastoptim.surface sums "
                            "by default)")
    if validation:
        group.add_argument("--validation", type=_validation, metavar="FRACTION|FILE",
                           help="hold out this fraction of the data (split with --seed), or a file with the same "
                                "columns; its loss is recorded per epoch")


def _optimizer_options(group, compare=False):
    where = " (on the optimizers that have it)" if compare else ""
    group.add_argument("--beta", type=_number, metavar="β", help=f"β of momentum, Nesterov, RMSProp, AdaDelta; β1 of the Adam family{where}")
    group.add_argument("--beta2", type=_number, metavar="β2", help=f"β2 of the Adam family (default 0.999){where}")
    group.add_argument("--eps", type=_number, metavar="ε", help=f"ε of the adaptive methods (default: the optimizer's, "
                                                                f"1e-8; AdaDelta 1e-6){where}")
    group.add_argument("--weight-decay", type=_number, metavar="λ",
                       help="weight decay λ (default: the optimizer's, 0; 0.01 for the W presets)")
    group.add_argument("--decoupled", action=argparse.BooleanOptionalAction, default=None,
                       help="decoupled weight decay θ ← θ(1 − ηλ) (AdamW's), or --no-decoupled: coupled "
                            "(default: the optimizer's; True for the W presets and AdamP)")


def _run_options(parser, epochs, compare=False):
    group = parser.add_argument_group("run")
    group.add_argument("--epochs", type=_integer, default=epochs, help=f"epochs (default: {epochs})")
    group.add_argument("--batch-size", type=_batch_size, default=None, metavar="B",
                       help="points per step: 'full' for batch GD (default; the API's None), 1 for stochastic GD, "
                            "B for mini-batches")
    group.add_argument("--drop-last", action="store_true", help="drop each epoch's last, shorter batch")
    group.add_argument("--init", type=_numbers, metavar="W,...,B",
                       help="starting θ = (w_1, …, w_d, b) (default: -2,-2 on the built-in data sets, the "
                            "lecture's; zeros on a file)")
    group.add_argument("--shuffle", action="store_true", help="visit the points in a new order each epoch")
    _optimizer_options(group, compare)
    group.add_argument("--schedule", type=_schedule_from(SCHEDULES), metavar="NAME:ARGS[+NAME:ARGS@START...]",
                       help="learning-rate schedule replacing --lr, e.g. cosine:0.1,0.001,1000 or "
                            "step_decay:lr=1,factor=0.5,every=5; joined: linear_warmup:0.1,500+cosine:0.1,0.001,"
                            f"9500@500 (below); one of {', '.join(SCHEDULES)}")
    group.add_argument("--per", choices=("step", "epoch"), default="step",
                       help="the schedules count steps (default) or epochs")
    group.add_argument("--momentum-schedule", type=_schedule_from(MOMENTUM_SCHEDULES), metavar="NAME:ARGS",
                       help="β of every step (momentum, Nesterov, β1 of the Adam family), e.g. "
                            "sutskever_momentum:0.99,250")
    group.add_argument("--line-search", type=_numbers, metavar="η1,η2,...",
                       help="each step takes the candidate rate with the lowest batch loss after it (lecture 5.7); "
                            "excludes --schedule and --on-plateau")
    group.add_argument("--on-plateau", type=_controller, metavar="halve|reduce:ARGS",
                       help="set η after each epoch from the validation loss (needs --validation; below)")
    group.add_argument("--early-stopping", type=_integer, metavar="PATIENCE",
                       help="stop after PATIENCE epochs without improvement, and go back to the best epoch's θ")
    group.add_argument("--min-delta", type=_number, metavar="Δ",
                       help="with --early-stopping: the improvement that counts (default: 0)")
    group.add_argument("--monitor", choices=("validation", "loss"),
                       help="with --early-stopping: the loss watched (default: validation with --validation, "
                            "else the training loss)")
    group.add_argument("--restore-best", action=argparse.BooleanOptionalAction, default=True,
                       help="with --early-stopping: return the best epoch's θ (default) or the last one's")
    group.add_argument("--quiet", action="store_true", help="no progress bars and no compile notices on stderr")


def _search_run_options(parser, epochs):
    """The run flags of ``sweep`` and ``lr-search`` (no schedules, controllers or early stopping)."""
    group = parser.add_argument_group("run")
    group.add_argument("--epochs", type=_integer, default=epochs, help=f"epochs of every run (default: {epochs})")
    group.add_argument("--batch-size", type=_batch_size, default=None, metavar="B",
                       help="points per step: 'full' for batch GD (default), 1 for stochastic GD, B for mini-batches")
    group.add_argument("--init", type=_numbers, metavar="W,...,B",
                       help="starting θ (default: -2,-2 on the built-in data sets, zeros on a file)")
    group.add_argument("--shuffle", action="store_true", help="visit the points in a new order each epoch")
    group.add_argument("--quiet", action="store_true", help="no progress bar and no compile notices on stderr")


def _grid_axis(text):
    """``NAME=V1,V2,...`` → ``(name, [values])``."""
    name, equals, values = text.partition("=")
    if not equals or not name.strip() or not values.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,... (e.g. lr=1e-3,1e-2), got {text!r}")
    return name.strip(), _numbers(values)


def _output_options(parser, folder):
    group = parser.add_argument_group("output")
    group.add_argument("--out-dir", default=folder, metavar="DIR", help=f"folder for the pictures (default: {folder})")
    group.add_argument("--format", choices=("png", "svg"), default="png", help="picture format (default: png)")
    group.add_argument("--no-plots", action="store_true", help="print only; write no pictures")
    return group


def _paragraph(text):
    """A description filled to the width of the help (the epilog's layout is kept as written,
    so the parser that has one cannot fill its description itself)."""
    return textwrap.fill(text, max(40, shutil.get_terminal_size().columns - 2))  # argparse's own width


def build_parser():
    parser = _Parser(prog="fastoptim", description=(
        "Gradient-descent optimizers for a sigmoid neuron, compiled with Numba: train, compare "
        "and look at them on the lecture's data or your own files. 'fastoptim demo' tells the lecture's story."))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    epilog = DEFAULTS_TEXT + "\n\n" + SCHEDULE_TEXT

    train = commands.add_parser("train", help="train one optimizer and print a summary",
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
                                description=_paragraph(
                                    "Train the sigmoid neuron with one optimizer on a built-in data set or a "
                                    "data file; print the final loss, θ, steps, time and updates per second "
                                    "(or, with --json, one JSON object)."))
    train.add_argument("--optimizer", type=_optimizer_name, default="GD", metavar="NAME",
                       help=f"one of {', '.join(OPTIMIZER_NAMES)} (default: gd)")
    train.add_argument("--lr", type=_number, metavar="η",
                       help="learning rate (default: on the built-in data 1 for gd, momentum, nesterov, adadelta "
                            "and 0.1 for the others; on a file the optimizer's own, as the API)")
    _data_options(train)
    _run_options(train, epochs=10)
    group = train.add_argument_group("output")
    group.add_argument("--resume", metavar="RUN.npz",
                       help="continue a saved run for --epochs more epochs (repeat the run's other options)")
    group.add_argument("--out", metavar="RUN.npz", help="save the run (fastoptim.load_run reads it)")
    group.add_argument("--plot", metavar="RUN.png", help="picture of the run: its path on the contour map (one "
                                                         "feature) and its loss")
    group.add_argument("--json", action="store_true",
                       help="print one JSON object: final and validation loss, θ, steps, epochs, seconds, "
                            "diverged, stopped and why, the files written, the per-epoch record")

    compare = commands.add_parser("compare", help="run several optimizers on the same data and start",
                                  formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
                                  description=_paragraph(
                                      "Run several optimizers on the same data from the same start; print them "
                                      "ranked by final loss (the validation loss with --validation); draw all "
                                      "paths on one contour map (one feature) and all losses on one plot. "
                                      "--beta, --beta2 and --eps apply to the optimizers that have them."))
    compare.add_argument("--optimizers", type=_optimizer_list, metavar="A,B,...",
                         default=["GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"],
                         help="comma-separated (default: gd,momentum,nesterov,adagrad,rmsprop,adam)")
    compare.add_argument("--lr", type=_learning_rates, default={}, metavar="η|NAME=η,...",
                         help="one learning rate for all, or per optimizer (gd=1,adam=0.1); default as train's --lr")
    _data_options(compare)
    _run_options(compare, epochs=100, compare=True)
    _output_options(compare, "fastoptim-compare").add_argument(
        "--json", action="store_true", help="print one JSON object: the runs ranked, each as train --json has it")

    surface = commands.add_parser("surface", help="draw a data set's error surface; print its brute-force best point",
                                  description="Evaluate J(w, b) on a grid (lecture 5.1's 'guess work'), print the "
                                              "best grid point and write the 3-D surface and its contour map. Needs "
                                              "one feature (a file: choose it with --features).")
    _data_options(surface, validation=False)
    surface.add_argument("--w-range", type=_pair, default=(-6.0, 6.0), metavar="LOW,HIGH",
                         help="range of w (default: -6,6)")
    surface.add_argument("--b-range", type=_pair, default=(-6.0, 6.0), metavar="LOW,HIGH",
                         help="range of b (default: -6,6)")
    surface.add_argument("--resolution", type=_integer, default=121, help="grid points per axis, at least 2 (default: 121)")
    _output_options(surface, "fastoptim-surface").add_argument(
        "--json", action="store_true", help="print one JSON object: the best point, its loss, the evaluations")

    warmup = commands.add_parser("warmup", help="compile the training kernels ahead of time (CI, container builds)",
                                 description="Compile (or load from Numba's disk cache) the kernels fastoptim.train "
                                             "uses for every combination of the options below, so that later runs "
                                             "start at once (fastoptim.warmup). Each combination is one short run "
                                             "on a small synthetic data set; one line on stderr for each that "
                                             "compiled. The defaults are the API's.")
    warmup.add_argument("--optimizers", type=_list_of(_optimizer_name, "optimizers"), default=["Adam"],
                        metavar="A,B,...", help="default: adam")
    warmup.add_argument("--losses", type=_list_of(_choice_of(LOSSES, "loss"), "losses"), default=["squared"],
                        metavar="squared,log", help="default: squared")
    warmup.add_argument("--dtypes", type=_list_of(_choice_of(DTYPES, "dtype"), "dtypes"), default=["float64"],
                        metavar="float64,float32", help="default: float64")
    warmup.add_argument("--features", type=_list_of(_integer, "feature counts"), default=[1], metavar="D,...",
                        help="numbers of features d (default: 1)")
    warmup.add_argument("--batch-sizes", type=_list_of(_batch_size, "batch sizes"), default=[1, 32, None],
                        metavar="B,...", help="batch sizes, 'full' for batch GD (default: 1,32,full)")
    warmup.add_argument("--shuffle", choices=("no", "yes", "both"), default="both",
                        help="unshuffled runs, shuffled ones, or both (default: both)")
    warmup.add_argument("--weights", choices=("no", "yes", "both"), default="no",
                        help="data without sample weights, with, or both (default: no)")
    warmup.add_argument("--line-search", action="store_true", help="runs with line search")
    warmup.add_argument("--sweep", action="store_true", help="also the sweep kernels (fastoptim.sweep)")
    warmup.add_argument("--quiet", action="store_true", help="no compile notices on stderr")

    sweep = commands.add_parser("sweep", help="train every combination of a grid of hyperparameters; table, CSV, heatmap",
                                description=_paragraph(
                                    "Train one optimizer with every combination of the --grid values (and every "
                                    "seed of --seeds) on the same data (fastoptim.sweep: the pairs of one rule run "
                                    "in one compiled kernel); print the table (final loss, validation loss, best "
                                    "epoch, diverged), write it as CSV, and with --plot draw the heatmap of the "
                                    "final loss over the first two --grid names and every run's loss curve. A run "
                                    "that diverges is marked and the others go on; the exit status is 1 only if "
                                    "every run diverged."))
    sweep.add_argument("--optimizer", type=_optimizer_name, default="Adam", metavar="NAME",
                       help=f"one of {', '.join(OPTIMIZER_NAMES)} (default: adam)")
    sweep.add_argument("--grid", type=_grid_axis, action="append", required=True, metavar="NAME=V1,V2,...",
                       help="a hyperparameter and its values, e.g. --grid lr=1e-3,1e-2,1e-1 --grid eps=1e-8,1e-6 "
                            "(repeat for each; numbers only; the last varies fastest)")
    sweep.add_argument("--seeds", type=_list_of(_integer, "seeds"), default=[0], metavar="S,...",
                       help="each combination runs once per seed (shuffling, validation split; default: 0)")
    _data_options(sweep)
    _search_run_options(sweep, epochs=10)
    group = sweep.add_argument_group("output")
    group.add_argument("--csv", default="sweep.csv", metavar="FILE.csv", help="the table as CSV (default: sweep.csv)")
    group.add_argument("--plot", metavar="SWEEP.png", help="the heatmap of the final loss and the loss curves")
    group.add_argument("--x", metavar="NAME", help="the heatmap's x axis (default: the first --grid name)")
    group.add_argument("--y", metavar="NAME", help="the heatmap's y axis (default: the second --grid name, if any)")

    search = commands.add_parser("lr-search", help="the lecture's learning-rate search: a coarse grid, then a finer one",
                                 description=_paragraph(
                                     "Run the optimizer with each η of --lrs for --epochs epochs, keep the best "
                                     "by validation loss, then try best × each --refine factor "
                                     "(fastoptim.lr_search, lecture 5.7's tips); print every candidate ranked "
                                     "and, with --plot, draw them."))
    search.add_argument("--optimizer", type=_optimizer_name, default="GD", metavar="NAME",
                        help=f"one of {', '.join(OPTIMIZER_NAMES)} (default: gd)")
    search.add_argument("--lrs", type=_numbers, default=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], metavar="η1,η2,...",
                        help="the coarse grid (default: 1e-4,1e-3,1e-2,1e-1,1)")
    search.add_argument("--refine", type=_numbers, default=[0.5, 2.0, 3.0], metavar="F1,F2,...",
                        help="factors of the finer grid around the best (default: 0.5,2,3)")
    search.add_argument("--no-refine", action="store_true", help="the coarse grid only")
    _data_options(search, default="synthetic")  # two points cannot hold out a validation part
    search.set_defaults(validation=0.2)
    _search_run_options(search, epochs=3)
    search.add_argument_group("output").add_argument(
        "--plot", metavar="LR.png", help="each candidate's validation loss against η, the best marked")

    demo = commands.add_parser("demo", help="the lecture's story on built-in data, with tables and pictures",
                               description="Retell the lecture module by module: the error surface (5.1); GD, "
                                           "momentum and Nesterov (5.2-5.5); batch, mini-batch and stochastic "
                                           "paths, and a mini-batch run on 10^6 points against the numpy "
                                           "reference (5.6); the learning-rate schedules (5.7); line search "
                                           "(5.8); AdaGrad, RMSProp and Adam on sparse data, then every rule of "
                                           "the library (5.9). Prints tables and text written from the runs, "
                                           "writes the pictures and an index.html showing them into a folder.")
    _output_options(demo, "fastoptim-demo")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    bench = commands.add_parser("bench", help="run the benchmark suite and print its report (from a source checkout)",
                                description="Run bench/ (every kernel against its numpy reference, measured in one "
                                            "run) and write bench/results/<UTC time>-<commit>-<profile>.json, .md and .png: the "
                                            "same as `python -m bench.report`. The suite ships with the source "
                                            "repository, not the installed package: run it from the repository root.")
    bench.add_argument("--profile", choices=("quick", "full"), default="quick",
                       help="quick: a few sizes, ~1 minute; full: sizes up to 10^6 points and 10^7 parameters")
    return parser


# --- library errors, reported against their flags -------------------------------------------------

def _flag_of(command, argument, index=None):
    """The flag that gives the library argument ``argument`` (its item ``index``, if the items
    come from different flags: :data:`INDEXED_FLAGS`); None if none does."""
    if (argument, index) in INDEXED_FLAGS:
        return INDEXED_FLAGS[argument, index]
    return COMMAND_FLAGS.get(command, {}).get(argument, ARGUMENT_FLAGS.get(argument))


def _library_error(command, error, note=""):
    """A ``UsageError`` for a library ``InvalidValue``/``InvalidType``, naming the flag of its
    ``argument`` (and ``index``)."""
    flag = _flag_of(command, error.argument, error.index)
    if error.argument == "record":
        note = note or " (pictures record every step: fewer --epochs, or no picture)"
    return UsageError(flag, f"{error}{note}")


# --- data -----------------------------------------------------------------------------------------

#: Peak bytes per point while a built-in data set is made (synthetic: X and y in float64,
#: generated in chunks; sparse: x, a uniform draw, the mask, 2x − 1 and y).
DATA_BYTES_PER_POINT = {"sparse": 41, "synthetic": 16}
_FILE_ONLY = ("target", "features", "weights", "dtype")


def _is_builtin(args):
    return args.data in DATA_SETS


def _fits(flag, name, value, nbytes, what):
    """Exit 2 naming ``flag`` if ``nbytes`` cannot fit in memory (before anything is allocated)."""
    try:
        _checks.fits_in_memory(name, value, nbytes, what)
    except ValueError as error:
        raise UsageError(flag, str(error)) from None


def _check_data_options(args):
    """The data flags that belong together, checked before anything is read or made."""
    if _is_builtin(args):
        for name in _FILE_ONLY:
            if getattr(args, name) is not None:
                raise UsageError(f"--{name}", f"only with --data FILE: the built-in data set {args.data} has its "
                                              f"own columns")
        if isinstance(getattr(args, "validation", None), str):
            raise UsageError("--validation", "a validation file needs --data FILE (its columns are read as --data's)")
        if args.data == "two-points" and args.n is not None and args.n != 2:
            raise UsageError("--n", f"two-points has exactly 2 points, got {args.n}")
        return
    if not os.path.exists(args.data):
        raise UsageError("--data", f"{args.data}: no such file (a data file, or one of {', '.join(DATA_SETS)})")
    if args.n is not None:
        raise UsageError("--n", "only for the built-in sparse and synthetic data: a data file has its own size")
    if args.target is None:
        raise UsageError("--target", f"--data {args.data} needs --target COLUMN, the column of y")


def _load_file(path, args, flag):
    """``fastoptim.data.load`` with the column flags; a bad file (or a missing pyarrow) is a
    ``UsageError`` naming ``flag``, in the loader's words (the file, the column, the row)."""
    try:
        return _data.load(path, target=args.target, features=args.features, weights=args.weights, dtype=args.dtype)
    except ImportError as error:
        raise UsageError(flag, str(error)) from None
    except FileNotFoundError as error:  # (loading's MissingFileError)
        hint = f" (a data file, or one of {', '.join(DATA_SETS)})" if flag == "--data" else ""
        raise UsageError(flag, f"{error}{hint}") from None
    except (ValueError, TypeError) as error:
        raise UsageError(flag, str(error)) from None
    except OSError as error:
        raise UsageError(flag, f"{path}: {error.strerror or error}") from None


def _dataset(args):
    """The data set of ``--data`` (made, or read from the file)."""
    if args.data == "two-points":
        return _data.two_points()
    if not _is_builtin(args):
        return _load_file(args.data, args, "--data")
    n = args.n if args.n is not None else DEFAULT_N[args.data]
    _fits("--n", "n", n, n * DATA_BYTES_PER_POINT[args.data], f"{args.data} data of {n:,} points")
    try:
        if args.data == "sparse":
            return _data.sparse(n, seed=args.seed)
        return _data.synthetic(n, seed=args.seed)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise _library_error(args.command, error) from None


def _validation_data(args):
    """``--validation``: a fraction (for ``train`` to split off), a Dataset read from a file, or None."""
    if args.validation is None or isinstance(args.validation, float):
        return args.validation
    return _load_file(args.validation, args, "--validation")


def _check_labels(args, data, validation):
    """``--loss log`` needs targets in [0, 1]: a file's bad target is named with the file."""
    if args.loss != "log":
        return
    for path, part in ((args.data, data), (getattr(args, "validation", None), validation)):
        if isinstance(part, _data.Dataset):
            try:
                part.check_labels("log")
            except ValueError as error:
                raise UsageError("--loss", f"{path}: {error}") from None


def _reduction(args):
    if args.reduction is not None:
        return args.reduction
    return "sum" if args.data in ("two-points", "sparse") else "mean"


def _init(args, data):
    if args.init is not None:
        return list(args.init)
    if _is_builtin(args) and data.d == 1:
        return list(LECTURE_INIT)
    return [0.0] * (data.d + 1)


def _describe_data(data, args):
    if _is_builtin(args):
        names = {"two-points": "the lecture's two points", "sparse": "sparse x", "synthetic": "synthetic"}
        return f"{names[args.data]} ({data.n:,} points)"
    features = f"{data.d} feature{'s' if data.d > 1 else ''}"
    if data.feature_names is not None:
        shown = ", ".join(repr(name) for name in data.feature_names[:4]) + (", …" if data.d > 4 else "")
        features += f" ({shown})"
    target = f", target {data.target_name!r}" if data.target_name is not None else ""
    weighted = ", weighted" if data.weights is not None else ""
    return f"{args.data} ({data.n:,} points, {features}{target}{weighted})"


def _describe_validation(validation, data, args):
    if validation is None:
        return ""
    if isinstance(validation, float):
        held = int(round(validation * data.n))
        return f", {held:,} of the points held out for validation"
    return f", validation on {args.validation} ({validation.n:,} points)"


def _data_record(data, args):
    """The data set as the JSON summary has it."""
    return {"source": args.data, "n": data.n, "d": data.d, "dtype": str(data.dtype),
            "features": list(data.feature_names) if data.feature_names is not None else None,
            "target": data.target_name, "weighted": data.weights is not None}


# --- output paths, checked before a run starts ----------------------------------------------------

def _check_writable_folder(flag, folder):
    """Create a file in ``folder`` and remove it: the one sure test of writability."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fastoptim-check-"):
            pass
    except OSError as error:
        raise UsageError(flag, f"cannot write in {folder or '.'}: {error.strerror or error}") from None


def _check_output_file(flag, path, extensions=None):
    """``path`` names a file that can be written: not a folder, its folder exists and is
    writable, and (for a picture) its extension is a format matplotlib writes."""
    if os.path.isdir(path):
        raise UsageError(flag, f"{path} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(flag, f"the folder {folder} does not exist")
    if extensions is not None:
        extension = os.path.splitext(path)[1].lstrip(".").lower()
        if extension not in extensions:
            raise UsageError(flag, f"{path!r} must end in one of .{', .'.join(sorted(extensions))} "
                                   "(the picture is written to exactly this path)")
    _check_writable_folder(flag, folder)


def _check_output_folder(flag, folder):
    """``folder`` exists as a writable folder, or is created now (before the run)."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(flag, f"{folder} exists and is not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(flag, f"cannot create the folder {folder}: {error.strerror or error}") from None
    _check_writable_folder(flag, folder)


def _picture_extensions():
    from matplotlib.figure import Figure

    return set(Figure().canvas.get_supported_filetypes())


def _need_matplotlib(command):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"fastoptim {command}: pictures need matplotlib, in the 'plot' extra: "
              'python -m pip install "fastoptim[plot]" (or pass --no-plots)', file=sys.stderr)
        return False
    return True


# --- the optimizer and the run's options ----------------------------------------------------------

def _default_lr(name, args):
    """The learning rate when ``--lr`` is not given: the lecture's on the built-in data sets,
    None (the optimizer's own, the API's) on a file."""
    if not _is_builtin(args):
        return None
    return LECTURE_LR.get(name, DEFAULT_ADAPTIVE_LR)


#: Optimizer flags and the constructor fields they set.
_HYPER_FLAGS = (("eps", "--eps", "ε"), ("weight_decay", "--weight-decay", "λ"), ("decoupled", "--decoupled", None))


def _optimizer_arguments(cls, lr, args, strict):
    """The constructor arguments the flags give ``cls``; with ``strict``, a flag the optimizer
    has no use for is an error (``train``), else it is left out (``compare``)."""
    fields = set(cls.__dataclass_fields__)
    name = cls.__name__.lower()
    arguments = {} if lr is None else {"lr": lr}
    if args.beta is not None:
        if "beta" in fields:
            arguments["beta"] = args.beta
        elif "betas" not in fields and strict:
            raise UsageError("--beta", f"{name} has no β")
    if "betas" in fields and (args.beta is not None or args.beta2 is not None):
        default = cls().betas
        arguments["betas"] = (args.beta if args.beta is not None else default[0],
                              args.beta2 if args.beta2 is not None else default[1])
    elif args.beta2 is not None and strict:
        raise UsageError("--beta2", f"{name} has no β2")
    for field, flag, symbol in _HYPER_FLAGS:
        value = getattr(args, field)
        if value is None:
            continue
        if field in fields:
            arguments[field] = value
        elif strict:
            raise UsageError(flag, f"{name} has no {symbol}")
    return arguments


def _optimizer(name, lr, args, strict=True):
    """The optimizer of the flags; its own checks' errors name their flags."""
    cls = OPTIMIZERS[name]
    arguments = _optimizer_arguments(cls, lr if lr is not None else _default_lr(name, args), args, strict)
    try:
        return cls(**arguments)
    except (_checks.InvalidValue, _checks.InvalidType) as error:  # betas[0] is --beta's, betas[1] --beta2's
        raise _library_error(args.command, error) from None


def _check_unused(args, optimizers):
    """In ``compare``: a flag that none of the optimizers has is an error."""
    uses = {"beta": ("beta", "betas"), "beta2": ("betas",), "eps": ("eps",)}
    for option, fields in uses.items():
        if getattr(args, option) is not None and not any(
                set(fields) & set(OPTIMIZERS[name].__dataclass_fields__) for name in optimizers):
            raise UsageError(f"--{option.replace('_', '-')}", f"none of {', '.join(n.lower() for n in optimizers)} "
                                                               f"has it")


def _early_stopping(args):
    """``fastoptim.EarlyStopping`` of ``--early-stopping`` (and its companions), or None."""
    if args.early_stopping is None:
        for flag, value in (("--min-delta", args.min_delta), ("--monitor", args.monitor)):
            if value is not None:
                raise UsageError(flag, "only with --early-stopping PATIENCE")
        return None
    monitor = args.monitor or ("validation" if args.validation is not None else "loss")
    try:
        return EarlyStopping(patience=args.early_stopping, min_delta=0.0 if args.min_delta is None else args.min_delta,
                             monitor=monitor, restore_best=args.restore_best)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise _library_error(args.command, error) from None


def _run_options_of(args, record, early_stopping, resume=None):
    """``fastoptim.train``'s keyword arguments from the flags (``init`` and ``validation`` are
    filled in once the data is known)."""
    return dict(epochs=args.epochs, batch_size=args.batch_size, loss=args.loss, reduction=_reduction(args),
                schedule=args.schedule, per=args.per, momentum_schedule=args.momentum_schedule, shuffle=args.shuffle,
                seed=args.seed, drop_last=args.drop_last, line_search=args.line_search, record=record,
                validation=args.validation, on_plateau=args.on_plateau, early_stopping=early_stopping,
                resume=resume, progress=not args.quiet)


def _check_run(args, optimizer, options):
    """The library's own checks of every run argument that needs no data
    (``fastoptim.check_train_arguments``), before the data is read or made: ``--validation``'s
    fraction, not its file (read with the data); ``init``'s length, whether the fraction leaves
    both parts non-empty, ``--resume``'s settings and the log loss's targets are checked by the
    run itself."""
    validation = options["validation"]
    if isinstance(validation, str):  # a file, read with the data: a data set stands in for it
        validation = _data.two_points()
    try:
        _check_train_arguments(optimizer, **dict(options, validation=validation))
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise _library_error(args.command, error) from None


def _train_run(data, optimizer, options):
    """``train`` with the command's options; the divergence warning becomes ``run.diverged``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        return _train(data, optimizer, **options)


def _load_resume(path):
    try:
        return _runs.load_run(path)
    except FileNotFoundError:
        raise UsageError("--resume", f"{path}: no such file") from None
    except (ValueError, TypeError) as error:
        raise UsageError("--resume", str(error)) from None
    except OSError as error:
        raise UsageError("--resume", f"{path}: {error.strerror or error}") from None


# --- what a run prints ----------------------------------------------------------------------------

def _batch_text(batch_size):
    return "full batch" if batch_size is None else ("stochastic (B = 1)" if batch_size == 1 else f"batch {batch_size}")


def _loss_text(args):
    return f"{_reduction(args)} {'log ' if args.loss == 'log' else ''}loss"


def _diverged_text(run):
    where = run.diverged
    return (f"diverged at epoch {where['epoch']}, step {where['step']}: θ became non-finite "
            f"(the last finite θ is kept)")


def _stopped_text(run):
    stopped = run.stopped
    if stopped["reason"] == "early_stopping":
        restored = f"; epoch {stopped['best_epoch']}'s θ restored" if stopped.get("restored") else ""
        return f"early stopping after epoch {stopped['epoch']}: {stopped['message']}{restored}"
    return f"after epoch {stopped['epoch']}: {stopped['message']}"


def _values_text(values, limit=6):
    shown = ", ".join(f"{value:g}" for value in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _init_text(init):
    if len(init) == 2:
        return f"(w, b) = ({init[0]:g}, {init[1]:g})"
    return f"θ = ({_values_text(init)})"


def _theta_text(theta):
    if theta.size == 2:
        return f"w = {theta[0]:.6g}, b = {theta[1]:.6g}"
    return f"w = [{', '.join(f'{value:.6g}' for value in theta[:-1])}], b = {theta[-1]:.6g}"


def _seconds_text(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _rate(run):
    return run.steps / run.seconds if run.seconds > 0 else float("inf")


def _final(values):
    return float(values[-1]) if values is not None and values.size else None


def _plain(value):
    """``value`` as JSON: numpy numbers and arrays as Python ones, a non-finite float as null."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _run_record(run, optimizer):
    """One run as the JSON summary has it."""
    return {"optimizer": optimizer.name, "optimizer_arguments": run.settings["optimizer_arguments"],
            "final_loss": _final(run.loss), "validation_loss": _final(run.validation_loss),
            "theta": run.theta, "epochs": run.epochs, "steps": run.steps, "seconds": run.seconds,
            "updates_per_second": _rate(run), "diverged": run.diverged, "stopped": run.stopped,
            "history": {"loss": run.loss, "validation_loss": run.validation_loss, "lr": run.lr, "beta": run.beta},
            "settings": run.settings}


def _print_json(document):
    print(json.dumps(_plain(document), indent=2, allow_nan=False))


# --- train ----------------------------------------------------------------------------------------

def _command_train(args):
    _check_data_options(args)
    optimizer = _optimizer(args.optimizer, args.lr, args)
    early_stopping = _early_stopping(args)
    if args.plot is not None and not _need_matplotlib("train"):
        return EXIT_FAILED
    if args.out is not None:
        try:
            args.out = _runs.check_save_path(args.out)
        except (TypeError, ValueError) as error:
            raise UsageError("--out", str(error)) from None
        _check_output_file("--out", args.out)
    if args.plot is not None:
        _check_output_file("--plot", args.plot, _picture_extensions())
    resume = _load_resume(args.resume) if args.resume is not None else None
    # the trajectory for the contour map needs every step (one feature: decided once the data is known)
    options = _run_options_of(args, "step" if args.plot else "epoch", early_stopping, resume)
    _check_run(args, optimizer, options)
    data = _dataset(args)
    options.update(init=_init(args, data), validation=_validation_data(args))
    _check_labels(args, data, options["validation"])
    if args.plot and data.d != 1:
        options["record"] = "epoch"
    run = _train_run(data, optimizer, options)
    if args.out:
        saved = run.save(args.out)
    picture = None
    if args.plot:
        _picture_of_run(plot_module(), data, run, args, args.plot)
        picture = args.plot
    if args.json:
        _print_json({"command": "train", "data": _data_record(data, args), "validation": args.validation,
                     "loss": args.loss, "reduction": _reduction(args), "batch_size": args.batch_size,
                     "resumed_from": args.resume, **_run_record(run, optimizer),
                     "saved": saved if args.out else None, "picture": picture})
    else:
        _print_summary(run, optimizer, data, options, args, saved if args.out else None, picture)
    if run.diverged is not None:
        print(f"fastoptim train: the run {_diverged_text(run)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _print_summary(run, optimizer, data, options, args, saved, picture):
    print(f"{optimizer!r}")
    print(f"  on {_describe_data(data, args)}, {_batch_text(args.batch_size)}, {args.epochs} epochs, "
          f"{_loss_text(args)}, from {_init_text(options['init'])}"
          + (f", schedule {args.schedule!r}" if args.schedule is not None else "")
          + _describe_validation(options["validation"], data, args))
    if args.resume is not None:
        print(f"resumed      {args.resume}: {options['resume'].epochs} epochs, {options['resume'].steps:,} steps before")
    final = _final(run.loss)
    print(f"final loss   {final:.6g}" if final is not None else "final loss   -")
    if run.validation_loss is not None:
        value = _final(run.validation_loss)
        print(f"validation   {value:.6g}" if value is not None else "validation   -")
    print(f"theta        {_theta_text(run.theta)}")
    print(f"steps        {run.steps:,}")
    print(f"time         {_seconds_text(run.seconds)} ({_rate(run):,.0f} updates/s)")
    if run.stopped is not None:
        print(f"stopped      {_stopped_text(run)}")
    if run.diverged is not None:
        print(f"DIVERGED     {_diverged_text(run)}")
    if saved is not None:
        print(f"saved        {saved}")
    if picture is not None:
        print(f"picture      {picture}")


def _picture_of_run(plot, data, run, args, path):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12.0, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1.15, 1])
    if data.d == 1:
        grid, note = grid_around(data, [run], _reduction(args), resolution=101, loss=args.loss)
        plot.contours(grid, run, ax=left, title=f"{run.settings['optimizer']} on the contours of J{note}")
        plot.loss_curves(run, ax=right, x="step" if run.steps > run.epochs else "epoch",
                         logx=run.steps > 1000, title="Training loss")
    else:  # no (w, b) plane to draw on: the loss and the rates
        plot.loss_curves(run, ax=left, title=f"{run.settings['optimizer']}: loss on {data.d} features")
        plot.lr_curves(run, ax=right, title="Learning rate (and β)")
    figure.savefig(path, dpi=90)


# --- compare --------------------------------------------------------------------------------------

def _rank_key(run):
    loss = run.validation_loss if run.validation_loss is not None else run.loss
    final = _final(loss)
    return (run.diverged is not None, final if final is not None and math.isfinite(final) else math.inf)


def _command_compare(args):
    _check_data_options(args)
    extra = set(args.lr) - {None} - set(args.optimizers)
    if extra:
        raise UsageError("--lr", f"{', '.join(sorted(name.lower() for name in extra))} is not in --optimizers")
    _check_unused(args, args.optimizers)
    optimizers = [_optimizer(name, args.lr.get(name, args.lr.get(None)), args, strict=False)
                  for name in args.optimizers]
    early_stopping = _early_stopping(args)
    plots = not args.no_plots
    if plots and not _need_matplotlib("compare"):
        return EXIT_FAILED
    if plots:
        _check_output_folder("--out-dir", args.out_dir)
    options = _run_options_of(args, "step" if plots else "epoch", early_stopping)
    for optimizer in optimizers:
        _check_run(args, optimizer, options)
    data = _dataset(args)
    options.update(init=_init(args, data), validation=_validation_data(args))
    _check_labels(args, data, options["validation"])
    if data.d != 1:
        options["record"] = "epoch"  # no contour map of many features: the per-epoch record is drawn
    runs = [_train_run(data, optimizer, options) for optimizer in optimizers]
    order = sorted(range(len(runs)), key=lambda k: _rank_key(runs[k]))
    pictures = _pictures_of_comparison(data, runs, args) if plots else []
    if args.json:
        _print_json({"command": "compare", "data": _data_record(data, args), "validation": args.validation,
                     "loss": args.loss, "reduction": _reduction(args), "batch_size": args.batch_size,
                     "runs": [{"rank": rank, **_run_record(runs[k], optimizers[k])} for rank, k in enumerate(order, 1)],
                     "pictures": pictures})
    else:
        _print_comparison(runs, optimizers, order, data, options, args, pictures)
    for k in range(len(runs)):
        if runs[k].diverged is not None:
            print(f"fastoptim compare: {optimizers[k].name} {_diverged_text(runs[k])}", file=sys.stderr)
    return EXIT_FAILED if any(run.diverged is not None for run in runs) else EXIT_OK


def _print_comparison(runs, optimizers, order, data, options, args, pictures):
    print(f"{len(runs)} optimizers on {_describe_data(data, args)}, {_batch_text(args.batch_size)}, "
          f"{args.epochs} epochs, {_loss_text(args)}, from {_init_text(options['init'])}"
          + _describe_validation(options["validation"], data, args) + "\n")
    validation = runs[0].validation_loss is not None
    weights = ("w", "b") if data.d == 1 else ("‖w‖", "b")
    header = (f"{'rank':>4}  {'optimizer':<10} {'η':>8} {'final loss':>12} "
              + (f"{'validation':>12} " if validation else "")
              + f"{weights[0]:>10} {weights[1]:>10} {'steps':>9} {'time':>9} {'updates/s':>12}")
    print(header)
    print("-" * len(header))
    for rank, k in enumerate(order, 1):
        run, optimizer = runs[k], optimizers[k]
        lr = optimizer.lr if not callable(optimizer.lr) else float("nan")
        loss, held = _final(run.loss), _final(run.validation_loss)
        w = run.theta[0] if data.d == 1 else math.sqrt(float((run.theta[:-1].astype(float) ** 2).sum()))
        status = "  DIVERGED" if run.diverged is not None else (
            f"  stopped after epoch {run.stopped['epoch']}" if run.stopped is not None else "")
        print(f"{rank:>4}  {optimizer.name:<10} {lr:>8.3g} {_cell(loss):>12} "
              + (f"{_cell(held):>12} " if validation else "")
              + f"{w:>10.4f} {run.theta[-1]:>10.4f} {run.steps:>9,} {_seconds_text(run.seconds):>9} "
                f"{_rate(run):>12,.0f}{status}")
    if pictures:
        print(f"\npictures: {', '.join(pictures)}")


def _cell(value):
    return f"{value:.4e}" if value is not None else "-"


def _pictures_of_comparison(data, runs, args):
    plot = plot_module()
    os.makedirs(args.out_dir, exist_ok=True)
    name = args.data if _is_builtin(args) else os.path.basename(args.data)
    written = []
    if data.d == 1:
        grid, note = grid_around(data, runs, _reduction(args), loss=args.loss)
        contours = os.path.join(args.out_dir, f"contours.{args.format}")
        plot.contours(grid, runs, title=f"{len(runs)} optimizers on {name}{note}", save=contours)
        written.append(contours)
    losses = os.path.join(args.out_dir, f"loss.{args.format}")
    plot.loss_curves(runs, x="step" if runs[0].steps > runs[0].epochs else "epoch",
                     logx=runs[0].steps > 1000, title=f"Training loss on {name}", save=losses)
    written.append(losses)
    return written


# --- surface --------------------------------------------------------------------------------------

def _command_surface(args):
    _check_data_options(args)
    reduction = _reduction(args)
    plots = not args.no_plots
    if plots and not _need_matplotlib("surface"):
        return EXIT_FAILED
    probe = _data.two_points()  # the grid's checks (ranges, memory) before the data is made
    try:
        _check_surface_arguments(probe, args.w_range, args.b_range, args.resolution, reduction, args.loss)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise _library_error(args.command, error) from None
    if plots:
        _check_output_folder("--out-dir", args.out_dir)
    data = _dataset(args)
    if data.d != 1:
        raise UsageError("--features", f"the surface J(w, b) needs one feature; {args.data} gives {data.d}: choose "
                                       f"one with --features COLUMN")
    _check_labels(args, data, None)
    started = time.perf_counter()
    grid = _surface(data, w_range=args.w_range, b_range=args.b_range, resolution=args.resolution,
                    reduction=reduction, loss=args.loss)
    seconds = time.perf_counter() - started
    pictures = []
    if plots:
        plot = plot_module()
        os.makedirs(args.out_dir, exist_ok=True)
        name = args.data if _is_builtin(args) else os.path.basename(args.data)
        surface_path = os.path.join(args.out_dir, f"surface.{args.format}")
        contours_path = os.path.join(args.out_dir, f"contours.{args.format}")
        plot.surface(grid, title=f"Error surface of {name}", save=surface_path)
        plot.contours(grid, title=f"Contours of J on {name}", save=contours_path)
        pictures = [surface_path, contours_path]
    if args.json:
        _print_json({"command": "surface", "data": _data_record(data, args), "loss": args.loss,
                     "reduction": reduction, "w_range": args.w_range, "b_range": args.b_range,
                     "resolution": args.resolution, "best_w": grid.best_w, "best_b": grid.best_b,
                     "best_loss": grid.best_loss, "evaluations": grid.evaluations, "seconds": seconds,
                     "pictures": pictures})
        return EXIT_OK
    step_w = (args.w_range[1] - args.w_range[0]) / (args.resolution - 1)
    print(f"Error surface of {_describe_data(data, args)}, J {'summed' if reduction == 'sum' else 'averaged'} over "
          f"the points{' (log loss)' if args.loss == 'log' else ''}, on "
          f"[{args.w_range[0]:g}, {args.w_range[1]:g}] × [{args.b_range[0]:g}, {args.b_range[1]:g}], "
          f"{args.resolution} × {args.resolution} points (step {step_w:.3g})")
    print(f"brute-force best: (w, b) = ({grid.best_w:.4g}, {grid.best_b:.4g}), J = {grid.best_loss:.4e}, "
          f"{grid.evaluations:,} loss evaluations in {seconds:.3f} s")
    if pictures:
        print(f"pictures: {', '.join(pictures)}")
    return EXIT_OK


# --- warmup ---------------------------------------------------------------------------------------

_BOTH = {"no": (False,), "yes": (True,), "both": (False, True)}


def _command_warmup(args):
    from .compiling import warmup

    started = time.perf_counter()
    try:  # (warmup checks every argument before it compiles anything)
        count = warmup(args.optimizers, losses=args.losses, dtypes=args.dtypes, features=args.features,
                       batch_sizes=args.batch_sizes, shuffle=_BOTH[args.shuffle], weights=_BOTH[args.weights],
                       line_search=args.line_search, sweep=args.sweep, progress=not args.quiet)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise _library_error(args.command, error) from None
    print(f"fastoptim warmup: {count} combination{'s' if count != 1 else ''} of "
          f"{', '.join(name.lower() for name in args.optimizers)} ready in {time.perf_counter() - started:.1f} s, "
          f"cached on disk for later processes")
    return EXIT_OK


# --- sweep and lr-search --------------------------------------------------------------------------

def _search_data(args, plot_flag="--plot"):
    """The checks shared by ``sweep`` and ``lr-search`` before any work, then the data:
    ``(data, init, validation)``."""
    _check_data_options(args)
    if args.plot is not None:
        if not _need_matplotlib(args.command):
            return None
        _check_output_file(plot_flag, args.plot, _picture_extensions())
    data = _dataset(args)
    validation = _validation_data(args)
    _check_labels(args, data, validation)
    return data, _init(args, data), validation


def _command_sweep(args):
    from .sweeps import grid, sweep

    names = [name for name, _ in args.grid]
    if len(set(names)) != len(names):
        raise UsageError("--grid", f"a name given twice: {', '.join(names)}")
    cls = OPTIMIZERS[args.optimizer]
    try:
        configs = grid(cls, **dict(args.grid))
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        raise UsageError("--grid", str(error)) from None
    x = args.x or names[0]
    y = args.y if args.y is not None else (names[1] if len(names) > 1 and names[1] != x else None)
    for flag, name in (("--x", x), ("--y", y)):
        if name is not None and name not in names:
            raise UsageError(flag, f"{name!r} is not a --grid name ({', '.join(names)})")
    if not args.csv.lower().endswith(".csv"):
        raise UsageError("--csv", f"{args.csv!r} must end in .csv")
    _check_output_file("--csv", args.csv)
    found = _search_data(args)
    if found is None:
        return EXIT_FAILED
    data, init, validation = found
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\d+ of \d+ runs of the sweep diverged", category=RuntimeWarning)
            result = sweep(data, configs, seeds=args.seeds, epochs=args.epochs, batch_size=args.batch_size, init=init,
                           loss=args.loss, reduction=_reduction(args), shuffle=args.shuffle, validation=validation,
                           progress=not args.quiet)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        flag = "--grid" if error.argument in names else None
        raise (UsageError(flag, str(error)) if flag else _library_error(args.command, error)) from None
    result.to_csv(args.csv)
    picture = None
    if args.plot is not None:
        plot = plot_module()
        from matplotlib.figure import Figure

        figure = Figure(figsize=(13.5, 5.0), layout="constrained")
        left, right = figure.subplots(1, 2)
        plot.sweep(result, x=x, y=y, ax=left, title=f"{cls.__name__}: final loss")
        plot.sweep_curves(result, ax=right)
        figure.savefig(args.plot, dpi=90)
        picture = args.plot
    _print_sweep(result, names, data, init, args, picture)
    return EXIT_FAILED if bool(result.diverged.all()) else EXIT_OK


def _print_sweep(result, names, data, init, args, picture):
    validation = result.validation_loss is not None
    print(f"{len(result)} runs of {args.optimizer} ({' × '.join(f'{len(values)} {name}' for name, values in args.grid)}"
          f"{f' × {len(args.seeds)} seeds' if len(args.seeds) > 1 else ''}) on {_describe_data(data, args)}, "
          f"{_batch_text(args.batch_size)}, {args.epochs} epochs, {_loss_text(args)}, from {_init_text(init)} "
          f"in {_seconds_text(result.seconds_total)}\n")
    header = ("  ".join(f"{name:>10}" for name in names) + f"  {'seed':>4}  {'final loss':>12}"
              + (f"  {'validation':>12}" if validation else "") + f"  {'best epoch':>10}")
    print(header)
    print("-" * len(header))
    best = int(result.ranked()[0])
    for k in range(len(result)):
        row = result.row(k)
        cells = "  ".join(f"{row[name]:>10.4g}" for name in names)
        final = _cell(row["final_loss"] if math.isfinite(row["final_loss"]) else None)
        held = row.get("final_validation_loss")
        status = "  DIVERGED" if row["diverged"] else ("  ← best" if k == best else "")
        print(f"{cells}  {row['seed']:>4}  {final:>12}"
              + (f"  {_cell(held if held is not None and math.isfinite(held) else None):>12}" if validation else "")
              + f"  {row['best_epoch']:>10}{status}")
    diverged = int(result.diverged.sum())
    print(f"\n{diverged} of {len(result)} runs diverged" if diverged else "")
    print(f"table        {args.csv}")
    if picture is not None:
        print(f"picture      {picture}")


def _command_lr_search(args):
    from .search import lr_search

    found = _search_data(args)
    if found is None:
        return EXIT_FAILED
    data, init, validation = found
    optimizer = OPTIMIZERS[args.optimizer]()
    refine = None if args.no_refine else args.refine
    try:
        result = lr_search(data, optimizer, lrs=args.lrs, epochs=args.epochs, refine=refine, validation=validation,
                           batch_size=args.batch_size, init=init, seed=args.seed, loss=args.loss,
                           reduction=_reduction(args), shuffle=args.shuffle, progress=not args.quiet)
    except (_checks.InvalidValue, _checks.InvalidType) as error:
        flag = {"lrs": "--lrs", "refine": "--refine"}.get(error.argument)
        raise (UsageError(flag, str(error)) if flag else _library_error(args.command, error)) from None
    except FloatingPointError as error:  # every η diverged
        print(f"fastoptim lr-search: {error}", file=sys.stderr)
        return EXIT_FAILED
    picture = None
    if args.plot is not None:
        plot_module().lr_search(result, title=f"{args.optimizer}: learning-rate search, {args.epochs} epochs each",
                                save=args.plot, dpi=90)
        picture = args.plot
    print(f"learning-rate search for {args.optimizer} on {_describe_data(data, args)}, {_batch_text(args.batch_size)}, "
          f"{args.epochs} epochs each, {_loss_text(args)}, from {_init_text(init)}"
          + _describe_validation(validation, data, args) + "\n")
    header = f"{'rank':>4}  {'η':>10}  {'stage':<6}  {'validation':>12}  {'training':>12}"
    print(header)
    print("-" * len(header))
    for rank, candidate in enumerate(result.candidates, 1):
        held = candidate["validation_loss"]
        print(f"{rank:>4}  {candidate['lr']:>10.4g}  {candidate['stage']:<6}  "
              f"{_cell(held if math.isfinite(held) else None):>12}  "
              f"{_cell(candidate['loss'] if math.isfinite(candidate['loss']) else None):>12}"
              + ("  DIVERGED" if candidate["diverged"] else ""))
    print(f"\nbest η       {result.best_lr:.4g}")
    if picture is not None:
        print(f"picture      {picture}")
    return EXIT_OK


# --- demo -----------------------------------------------------------------------------------------

def _command_demo(args):
    """``fastoptim.demo.run`` once the folder and matplotlib are checked."""
    plots = not args.no_plots
    if plots and not _need_matplotlib("demo"):
        return EXIT_FAILED
    if plots:
        _check_output_folder("--out-dir", args.out_dir)
    from . import demo

    demo.run(args.out_dir, args.format, plots=plots, progress=not args.quiet)
    return EXIT_OK


# --- entry point ----------------------------------------------------------------------------------

def _command_bench(args):
    """``python -m bench.report --profile P`` in the current folder, which must be the repository root."""
    if not os.path.isfile(os.path.join("bench", "report.py")):
        print(f"fastoptim bench: error: no bench/report.py in {os.getcwd()}: run it from the root of a fastoptim "
              "source checkout (the benchmarks are not installed with the package)", file=sys.stderr)
        return EXIT_FAILED
    import subprocess

    return subprocess.call([sys.executable, "-m", "bench.report", "--profile", args.profile])


COMMANDS = {"train": _command_train, "compare": _command_compare, "surface": _command_surface,
            "warmup": _command_warmup, "sweep": _command_sweep, "lr-search": _command_lr_search,
            "demo": _command_demo, "bench": _command_bench}


def main(argv=None):
    """Run the ``fastoptim`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_join_negative_values(parser, argv))
    except SystemExit as stop:  # --help (0) or a usage error (2), already printed
        return int(stop.code) if isinstance(stop.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        try:
            _build_values(args)
            return COMMANDS[args.command](args)
        except (_checks.InvalidValue, _checks.InvalidType) as error:  # from the run itself (init, resume ...)
            _progress.close_all()
            raise _library_error(args.command, error) from None
    except UsageError as error:
        print(f"fastoptim {args.command}: error: {error} (see fastoptim {args.command} --help)", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # writing a result failed after the checks (a full disk ...)
        _progress.close_all()
        print(f"fastoptim {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _progress.close_all()  # clears a progress bar's line, so the message has its own
        print(f"fastoptim {args.command}: interrupted", file=sys.stderr)
        return 130


#: A value that starts with "-" but is a number or a list of numbers: "-2,-2", "-3,5", "-1e-3".
_NEGATIVE_VALUE = re.compile(r"-(\d|\.\d|inf|nan)", re.IGNORECASE)


def _join_negative_values(parser, argv):
    """``--init -2,-2`` as ``--init=-2,-2``: argparse takes a value that starts with "-" and is
    not a plain negative number for an option, and then says "expected one argument"."""
    takes_value = set()
    for action in parser._actions + [sub for choice in _subparsers(parser) for sub in choice._actions]:
        if action.option_strings and action.nargs is None:
            takes_value.update(action.option_strings)
    joined, index = [], 0
    while index < len(argv):
        item = argv[index]
        if (item in takes_value and index + 1 < len(argv)
                and _NEGATIVE_VALUE.match(argv[index + 1])):
            joined.append(f"{item}={argv[index + 1]}")
            index += 2
        else:
            joined.append(item)
            index += 1
    return joined


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.values()
