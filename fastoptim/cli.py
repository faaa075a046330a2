"""The ``fastoptim`` command: ``train``, ``compare``, ``surface`` and ``demo``.

    fastoptim train --optimizer adam --lr 0.1 --data synthetic --n 1000000 --batch-size 25 --epochs 10
    fastoptim compare --optimizers gd,momentum,nesterov,adagrad,rmsprop,adam --data two-points
    fastoptim surface --data sparse
    fastoptim demo

Exit status: 0 done; 1 a run diverged (or matplotlib is missing for pictures); 2 bad
arguments, reported on one line that names the argument. ``python -m fastoptim`` with no
arguments runs ``demo``; ``fastoptim`` with none prints this help.
"""
import argparse
import math
import os
import re
import sys
import tempfile
import time
import warnings


from . import _checks
from . import data as _data
from . import progress as _progress
from . import runs as _runs
from . import schedules as _schedules
from .error_surface import check_arguments as _check_surface_arguments
from .error_surface import surface as _surface
from ._figures import grid_around, plot_module
from .optimizers import OPTIMIZERS
from .training import train as _train

#: Command-line names of the optimizers (lower case class names).
OPTIMIZER_NAMES = {name.lower(): name for name in OPTIMIZERS}
#: Learning rates used when ``--lr`` is not given: the lecture's η = 1 for gradient descent,
#: momentum and Nesterov (modules 5.2-5.5), η = 0.1 for the adaptive methods (module 5.9);
#: AdaDelta's η multiplies a step that is already scaled (SPEC §3: default 1).
LECTURE_LR = {"GD": 1.0, "Momentum": 1.0, "Nesterov": 1.0, "AdaDelta": 1.0}
DEFAULT_ADAPTIVE_LR = 0.1
#: Optimizers whose β is a momentum (``--beta``) rather than a squared-gradient average.
SCHEDULES = {
    "constant": _schedules.constant, "step_decay": _schedules.step_decay,
    "exponential": _schedules.exponential, "inverse_time": _schedules.inverse_time,
    "cyclic": _schedules.cyclic, "cosine": _schedules.cosine,
    "warm_restarts": _schedules.warm_restarts, "linear_warmup": _schedules.linear_warmup,
    "transformer_warmup": _schedules.transformer_warmup,
}
DATA_SETS = ("two-points", "sparse", "synthetic")
DEFAULT_N = {"sparse": 500, "synthetic": 1_000_000}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad argument found after parsing: ``argument`` names it, the message says why."""

    def __init__(self, argument, message):
        super().__init__(f"argument {argument}: {message}")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error: ``fastoptim train: error: argument --lr: ...``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --- argument types -------------------------------------------------------------------------------

def _number(text, *, minimum=None, strict=False, below=None):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    if minimum is not None and (value < minimum or (strict and value == minimum)):
        raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum:g}, got {text}")
    if below is not None and value >= below:
        raise argparse.ArgumentTypeError(f"must be < {below:g}, got {text}")
    return value


def _positive_int(text):
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        try:
            value = float(text)  # 1e6
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
        if not (math.isfinite(value) and value == int(value)):
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
        value = int(value)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text):
    if text.strip() == "0":
        return 0
    return _positive_int(text)


def _resolution(text):
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {text}")
    return value


def _batch_size(text):
    if text.lower() in ("full", "all", "none"):
        return None
    return _positive_int(text)


def _pair(text):
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers 'a,b', got {text!r}")
    return tuple(_number(part) for part in parts)


def _interval(text):
    low, high = _pair(text)
    if not low < high:
        raise argparse.ArgumentTypeError(f"expected 'low,high' with low < high, got {text!r}")
    return low, high


def _beta(text):
    return _number(text, minimum=0.0, below=1.0)


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
        return {None: _number(text, minimum=0.0)}
    rates = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        rates[_optimizer_name(name)] = _number(value, minimum=0.0)
    return rates


def _scalar(text):
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _schedule(text):
    """``name:a,b,c`` or ``name:key=value,...`` -> a ``fastoptim.schedules`` schedule."""
    name, _, rest = text.partition(":")
    key = name.strip().lower().replace("-", "_")
    factory = SCHEDULES.get(key)
    if factory is None:
        raise argparse.ArgumentTypeError(f"unknown schedule {name!r}; choose from {', '.join(SCHEDULES)}")
    positional, keywords = [], {}
    for part in filter(None, (item.strip() for item in rest.split(","))):
        if "=" in part:
            field, _, value = part.partition("=")
            keywords[field.strip()] = _scalar(value)
        elif keywords:
            raise argparse.ArgumentTypeError(f"positional value {part!r} after key=value in {text!r}")
        else:
            positional.append(_scalar(part))
    try:
        return factory(*positional, **keywords)
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"{key}: {error}") from None


# --- the parser -----------------------------------------------------------------------------------

def _data_options(parser, default="two-points"):
    group = parser.add_argument_group("data")
    group.add_argument("--data", choices=DATA_SETS, default=default,
                       help=f"built-in data set (default: {default}): the lecture's two points; "
                            "sparse x (80%% zeros, lecture 5.9); y = σ(2x − 1) + noise")
    group.add_argument("--n", type=_positive_int, metavar="N",
                       help="points of sparse (default 500) or synthetic (default 1000000) data")
    group.add_argument("--seed", type=_non_negative_int, default=0,
                       help="seed of the data and of the shuffling (default: 0)")
    group.add_argument("--reduction", choices=("sum", "mean"),
                       help="J summed (the lecture's J; default for two-points and sparse) or "
                            "averaged over the points (default for synthetic)")


def _run_options(parser, epochs):
    group = parser.add_argument_group("run")
    group.add_argument("--epochs", type=_non_negative_int, default=epochs, help=f"epochs (default: {epochs})")
    group.add_argument("--batch-size", type=_batch_size, default=None, metavar="B",
                       help="points per step: 'full' for batch GD (default), 1 for stochastic GD, B for mini-batches")
    group.add_argument("--init", type=_pair, default=(-2.0, -2.0), metavar="W,B",
                       help="starting (w, b) (default: -2,-2, the lecture's)")
    group.add_argument("--shuffle", action="store_true", help="visit the points in a new order each epoch")
    group.add_argument("--beta", type=_beta, help="β of momentum, Nesterov, RMSProp, AdaDelta; β1 of the Adam family")
    group.add_argument("--beta2", type=_beta, help="β2 of the Adam family (default 0.999)")
    group.add_argument("--weight-decay", type=lambda text: _number(text, minimum=0.0), default=0.0,
                       metavar="λ", help="weight decay λ (default: 0)")
    group.add_argument("--schedule", type=_schedule, metavar="NAME:ARGS",
                       help="learning-rate schedule replacing --lr, e.g. cosine:0.1,0.001,1000 or "
                            f"step_decay:lr=1,factor=0.5,every=5; one of {', '.join(SCHEDULES)}")
    group.add_argument("--per", choices=("step", "epoch"), default="step",
                       help="the schedule counts steps (default) or epochs")
    group.add_argument("--quiet", action="store_true", help="no progress bars")


def _output_options(parser, folder):
    group = parser.add_argument_group("output")
    group.add_argument("--out-dir", default=folder, metavar="DIR", help=f"folder for the pictures (default: {folder})")
    group.add_argument("--format", choices=("png", "svg"), default="png", help="picture format (default: png)")
    group.add_argument("--no-plots", action="store_true", help="print only; write no pictures")


def build_parser():
    parser = _Parser(prog="fastoptim", description=(
        "Gradient-descent optimizers for a sigmoid neuron, compiled with Numba: train, compare "
        "and look at them on the lecture's data. 'fastoptim demo' tells the lecture's story."))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser("train", help="train one optimizer and print a summary",
                                description="Train the sigmoid neuron with one optimizer; print the final loss, "
                                            "θ, steps, time and updates per second.")
    train.add_argument("--optimizer", type=_optimizer_name, default="GD", metavar="NAME",
                       help=f"one of {', '.join(OPTIMIZER_NAMES)} (default: gd)")
    train.add_argument("--lr", type=lambda text: _number(text, minimum=0.0), metavar="η",
                       help="learning rate (default: 1 for gd, momentum, nesterov, adadelta; 0.1 for the others)")
    _data_options(train)
    _run_options(train, epochs=10)
    group = train.add_argument_group("output")
    group.add_argument("--out", metavar="RUN.npz", help="save the run (fastoptim.load_run reads it)")
    group.add_argument("--plot", metavar="RUN.png", help="picture of the run: its path on the contour map and its loss")

    compare = commands.add_parser("compare", help="run several optimizers on the same data and start",
                                  description="Run several optimizers on the same data from the same start; print "
                                              "them ranked by final loss; draw all paths on one contour map and "
                                              "all losses on one plot.")
    compare.add_argument("--optimizers", type=_optimizer_list, metavar="A,B,...",
                         default=["GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"],
                         help="comma-separated (default: gd,momentum,nesterov,adagrad,rmsprop,adam)")
    compare.add_argument("--lr", type=_learning_rates, default={}, metavar="η|NAME=η,...",
                         help="one learning rate for all, or per optimizer (gd=1,adam=0.1); "
                              "default: 1 for gd, momentum, nesterov, adadelta; 0.1 for the others")
    _data_options(compare)
    _run_options(compare, epochs=100)
    _output_options(compare, "fastoptim-compare")

    surface = commands.add_parser("surface", help="draw a data set's error surface; print its brute-force best point",
                                  description="Evaluate J(w, b) on a grid (lecture 5.1's 'guess work'), print the "
                                              "best grid point and write the 3-D surface and its contour map.")
    _data_options(surface)
    surface.add_argument("--w-range", type=_interval, default=(-6.0, 6.0), metavar="LOW,HIGH",
                         help="range of w (default: -6,6)")
    surface.add_argument("--b-range", type=_interval, default=(-6.0, 6.0), metavar="LOW,HIGH",
                         help="range of b (default: -6,6)")
    surface.add_argument("--resolution", type=_resolution, default=121, help="grid points per axis, at least 2 (default: 121)")
    _output_options(surface, "fastoptim-surface")

    demo = commands.add_parser("demo", help="the lecture's story on built-in data, with tables and pictures",
                               description="Reproduce the lecture: the error surface; GD, momentum, Nesterov and "
                                           "the adaptive methods on the two points; AdaGrad, RMSProp and Adam on "
                                           "sparse data; a mini-batch run on 10^6 points against the numpy "
                                           "reference. Prints tables and writes pictures into a folder.")
    _output_options(demo, "fastoptim-demo")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")

    bench = commands.add_parser("bench", help="run the benchmark suite and print its report (from a source checkout)",
                                description="Run bench/ (every kernel against its numpy reference, measured in one "
                                            "run) and write bench/results/<date>-<profile>.json, .md and .png: the "
                                            "same as `python -m bench.report`. The suite ships with the source "
                                            "repository, not the installed package: run it from the repository root.")
    bench.add_argument("--profile", choices=("quick", "full"), default="quick",
                       help="quick: a few sizes, ~1 minute; full: sizes up to 10^6 points and 10^7 parameters")
    return parser


# --- shared pieces --------------------------------------------------------------------------------

def _dataset(args):
    if args.data == "two-points":
        if args.n is not None and args.n != 2:
            raise UsageError("--n", f"two-points has exactly 2 points, got {args.n}")
        return _data.two_points()
    n = args.n if args.n is not None else DEFAULT_N[args.data]
    _fits("--n", "n", n, n * DATA_BYTES_PER_POINT[args.data], f"{args.data} data of {n:,} points")
    if args.data == "sparse":
        return _data.sparse(n, seed=args.seed)
    return _data.synthetic(n, seed=args.seed)


#: Peak bytes per point while a built-in data set is made (synthetic: X and y in float64,
#: generated in chunks; sparse: x, a uniform draw, the mask, 2x − 1 and y).
DATA_BYTES_PER_POINT = {"sparse": 41, "synthetic": 16}
#: Bytes per step that ``train`` keeps for a run's record (η, counters, batch losses and their
#: copies in the result), and per θ entry per step with ``record="step"`` (the trajectory and its
#: copy). An estimate of training.py's bookkeeping, for refusing sizes that cannot fit.
RUN_BYTES_PER_STEP = 40
TRAJECTORY_BYTES_PER_VALUE = 16


def _fits(flag, name, value, nbytes, what):
    """Exit 2 naming ``flag`` if ``nbytes`` cannot fit in memory (before anything is allocated)."""
    try:
        _checks.fits_in_memory(name, value, nbytes, what)
    except ValueError as error:
        raise UsageError(flag, str(error)) from None


def _check_run_size(args, data, runs, record):
    """Refuse ``--epochs`` (with the batch size, the data size and the number of runs) whose
    record cannot fit in memory; the data set itself is already made."""
    batch = data.n if args.batch_size is None else min(args.batch_size, data.n)
    steps = args.epochs * -(-data.n // batch)
    per_step = RUN_BYTES_PER_STEP + (TRAJECTORY_BYTES_PER_VALUE * (data.d + 1) if record == "step" else 0)
    copies = data.X.nbytes + data.y.nbytes if args.shuffle else 0
    _fits("--epochs", "epochs", args.epochs, runs * steps * per_step + copies,
          f"{runs} run{'s' if runs > 1 else ''} of {steps:,} steps")


# --- output paths, checked before a run starts --------------------------------------------------

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


def _reduction(args):
    if args.reduction is not None:
        return args.reduction
    return "mean" if args.data == "synthetic" else "sum"


def _optimizer(name, lr, args):
    cls = OPTIMIZERS[name]
    arguments = {"lr": lr if lr is not None else LECTURE_LR.get(name, DEFAULT_ADAPTIVE_LR)}
    fields = {item for item in cls.__dataclass_fields__}
    if args.beta is not None:
        if "beta" in fields:
            arguments["beta"] = args.beta
        elif "betas" not in fields:
            raise UsageError("--beta", f"{name.lower()} has no β")
    if "betas" in fields and (args.beta is not None or args.beta2 is not None):
        default = cls.__dataclass_fields__["betas"].default
        default = default if isinstance(default, tuple) else (0.9, 0.999)
        arguments["betas"] = (args.beta if args.beta is not None else default[0],
                              args.beta2 if args.beta2 is not None else default[1])
    elif args.beta2 is not None:
        raise UsageError("--beta2", f"{name.lower()} has no β2")
    if args.weight_decay:
        arguments["weight_decay"] = args.weight_decay
    try:
        return cls(**arguments)
    except (TypeError, ValueError) as error:
        raise UsageError("--lr" if "learning rate" in str(error) else "--beta", str(error)) from None


def _train_run(data, optimizer, args, *, record):
    """``train`` with the command's options; the divergence warning becomes ``run.diverged``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="the run diverged", category=RuntimeWarning)
        return _train(data, optimizer, epochs=args.epochs, batch_size=args.batch_size, init=list(args.init),
                      reduction=_reduction(args), schedule=args.schedule, per=args.per, shuffle=args.shuffle,
                      seed=args.seed, record=record, progress=not args.quiet)


def _need_matplotlib(command):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"fastoptim {command}: pictures need matplotlib, in the 'plot' extra: "
              'python -m pip install "fastoptim[plot]" (or pass --no-plots)', file=sys.stderr)
        return False
    return True


def _describe_data(data, args):
    names = {"two-points": "the lecture's two points", "sparse": "sparse x", "synthetic": "synthetic"}
    return f"{names[args.data]} ({data.n:,} points)"


def _batch_text(batch_size):
    return "full batch" if batch_size is None else ("stochastic (B = 1)" if batch_size == 1 else f"batch {batch_size}")


def _diverged_text(run):
    where = run.diverged
    return (f"diverged at epoch {where['epoch']}, step {where['step']}: θ became non-finite "
            f"(the last finite θ is kept)")


def _theta_text(theta):
    return f"w = {theta[0]:.6g}, b = {theta[1]:.6g}"


def _seconds_text(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _rate(run):
    return run.steps / run.seconds if run.seconds > 0 else float("inf")


# --- train ----------------------------------------------------------------------------------------

def _command_train(args):
    optimizer = _optimizer(args.optimizer, args.lr, args)
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
    data = _dataset(args)
    record = "step" if args.plot else "epoch"
    _check_run_size(args, data, 1, record)
    run = _train_run(data, optimizer, args, record=record)
    print(f"{optimizer!r}")
    print(f"  on {_describe_data(data, args)}, {_batch_text(args.batch_size)}, {args.epochs} epochs, "
          f"{_reduction(args)} loss, from (w, b) = ({args.init[0]:g}, {args.init[1]:g})"
          + (f", schedule {args.schedule!r}" if args.schedule is not None else ""))
    final = f"{run.loss[-1]:.6g}" if run.loss.size else "-"
    print(f"final loss   {final}")
    print(f"theta        {_theta_text(run.theta)}")
    print(f"steps        {run.steps:,}")
    print(f"time         {_seconds_text(run.seconds)} ({_rate(run):,.0f} updates/s)")
    if run.diverged is not None:
        print(f"DIVERGED     {_diverged_text(run)}")
    if args.out:
        print(f"saved        {run.save(args.out)}")
    if args.plot:
        plot = plot_module()
        _picture_of_run(plot, data, run, args, args.plot)
        print(f"picture      {args.plot}")
    if run.diverged is not None:
        print(f"fastoptim train: the run {_diverged_text(run)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _picture_of_run(plot, data, run, args, path):
    from matplotlib.figure import Figure

    grid, note = grid_around(data, [run], _reduction(args), resolution=101)
    figure = Figure(figsize=(12.0, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1.15, 1])
    plot.contours(grid, run, ax=left, title=f"{run.settings['optimizer']} on the contours of J{note}")
    plot.loss_curves(run, ax=right, x="step" if run.steps > run.epochs else "epoch",
                     logx=run.steps > 1000, title="Training loss")
    figure.savefig(path, dpi=90)


# --- compare --------------------------------------------------------------------------------------

def _command_compare(args):
    optimizers = []
    for name in args.optimizers:
        lr = args.lr.get(name, args.lr.get(None))
        optimizers.append(_optimizer(name, lr, args))
    extra = set(args.lr) - {None} - set(args.optimizers)
    if extra:
        raise UsageError("--lr", f"{', '.join(sorted(name.lower() for name in extra))} is not in --optimizers")
    data = _dataset(args)
    plots = not args.no_plots
    if plots and not _need_matplotlib("compare"):
        return EXIT_FAILED
    if plots:
        _check_output_folder("--out-dir", args.out_dir)
    _check_run_size(args, data, len(optimizers), "step" if plots else "epoch")
    runs = [_train_run(data, optimizer, args, record="step" if plots else "epoch") for optimizer in optimizers]
    print(f"{len(runs)} optimizers on {_describe_data(data, args)}, {_batch_text(args.batch_size)}, "
          f"{args.epochs} epochs, {_reduction(args)} loss, from (w, b) = ({args.init[0]:g}, {args.init[1]:g})\n")
    order = sorted(range(len(runs)), key=lambda k: (runs[k].diverged is not None,
                                                    runs[k].loss[-1] if runs[k].loss.size else math.inf))
    header = f"{'rank':>4}  {'optimizer':<10} {'η':>8} {'final loss':>12} {'w':>10} {'b':>10} {'steps':>9} {'time':>9} {'updates/s':>12}"
    print(header)
    print("-" * len(header))
    for rank, k in enumerate(order, 1):
        run, optimizer = runs[k], optimizers[k]
        lr = optimizer.lr if not callable(optimizer.lr) else float("nan")
        loss = f"{run.loss[-1]:.4e}" if run.loss.size else "-"
        status = "  DIVERGED" if run.diverged is not None else ""
        print(f"{rank:>4}  {optimizer.name:<10} {lr:>8.3g} {loss:>12} {run.theta[0]:>10.4f} {run.theta[1]:>10.4f} "
              f"{run.steps:>9,} {_seconds_text(run.seconds):>9} {_rate(run):>12,.0f}{status}")
    if plots:
        plot = plot_module()
        os.makedirs(args.out_dir, exist_ok=True)
        grid, note = grid_around(data, runs, _reduction(args))
        contours = os.path.join(args.out_dir, f"contours.{args.format}")
        losses = os.path.join(args.out_dir, f"loss.{args.format}")
        plot.contours(grid, runs, title=f"{len(runs)} optimizers on {args.data}{note}", save=contours)
        plot.loss_curves(runs, x="step" if runs[0].steps > runs[0].epochs else "epoch",
                         logx=runs[0].steps > 1000, title=f"Training loss on {args.data}", save=losses)
        print(f"\npictures: {contours}, {losses}")
    diverged = [optimizers[k].name for k in range(len(runs)) if runs[k].diverged is not None]
    for k in range(len(runs)):
        if runs[k].diverged is not None:
            print(f"fastoptim compare: {optimizers[k].name} {_diverged_text(runs[k])}", file=sys.stderr)
    return EXIT_FAILED if diverged else EXIT_OK


# --- surface --------------------------------------------------------------------------------------

#: ``surface``'s argument names and their flags.
SURFACE_FLAGS = {"w_range": "--w-range", "b_range": "--b-range", "resolution": "--resolution"}


def _command_surface(args):
    reduction = _reduction(args)
    plots = not args.no_plots
    if plots and not _need_matplotlib("surface"):
        return EXIT_FAILED
    probe = _data.two_points()  # the grid's checks (ranges, memory) before the data is made
    try:
        _check_surface_arguments(probe, args.w_range, args.b_range, args.resolution, reduction)
    except ValueError as error:
        name = re.match(r"Invalid (\w+)", str(error))
        raise UsageError(SURFACE_FLAGS.get(name[1] if name else "", "--resolution"), str(error)) from None
    if plots:
        _check_output_folder("--out-dir", args.out_dir)
    data = _dataset(args)
    started = time.perf_counter()
    grid = _surface(data, w_range=args.w_range, b_range=args.b_range, resolution=args.resolution,
                    reduction=reduction)
    seconds = time.perf_counter() - started
    step_w = (args.w_range[1] - args.w_range[0]) / (args.resolution - 1)
    print(f"Error surface of {_describe_data(data, args)}, J {'summed' if reduction == 'sum' else 'averaged'} over the points, on "
          f"[{args.w_range[0]:g}, {args.w_range[1]:g}] × [{args.b_range[0]:g}, {args.b_range[1]:g}], "
          f"{args.resolution} × {args.resolution} points (step {step_w:.3g})")
    print(f"brute-force best: (w, b) = ({grid.best_w:.4g}, {grid.best_b:.4g}), J = {grid.best_loss:.4e}, "
          f"{grid.evaluations:,} loss evaluations in {seconds:.3f} s")
    if plots:
        plot = plot_module()
        os.makedirs(args.out_dir, exist_ok=True)
        surface_path = os.path.join(args.out_dir, f"surface.{args.format}")
        contours_path = os.path.join(args.out_dir, f"contours.{args.format}")
        plot.surface(grid, title=f"Error surface of {args.data}", save=surface_path)
        plot.contours(grid, title=f"Contours of J on {args.data}", save=contours_path)
        print(f"pictures: {surface_path}, {contours_path}")
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
    command = {"train": _command_train, "compare": _command_compare, "surface": _command_surface,
               "demo": _command_demo, "bench": _command_bench}[args.command]
    try:
        return command(args)
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
