"""The result of a training run (``Run``), saved to and loaded from ``.npz`` files.

Saving writes exactly the path given, which must end in ``.npz``, atomically; loading checks
the whole file (its checksum, every member, the settings, the consistency of the record and
the optimizer's state) and reports anything wrong as a ``ValueError`` that names the file.
"""
import hashlib
import json
import math
import os
import re
import secrets
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from .optimizers import OPTIMIZERS, State


@dataclass
class Run:
    """The result of ``train``: final parameters, the record, and what is needed to continue.

    - ``theta``: final ``[w…, b]`` (the data's dtype); never NaN: a diverged run keeps the
      last finite parameters.
    - ``loss``: full training-set loss after each epoch (NaN with ``record="none"``, which does
      not compute it); ``validation_loss`` likewise with validation data (else None).
    - ``lr``, ``beta``: η and β (or β1; None for rules without a momentum) of each epoch's last
      step (under line search, the η it chose).
    - with ``record="step"`` (else None), one entry per step: ``step_loss``, the batch loss at
      the point where the gradient was taken (``θ``, or Nesterov's look-ahead point);
      ``step_lr``, ``step_beta``: η and β used; ``trajectory``: ``θ`` before the first step and
      after every step (shape ``(steps + 1, d + 1)``).
    - ``epochs``, ``steps``: completed so far (over all resumed parts); ``seconds``: wall time
      of the run from its first step (the steps, the per-epoch losses, controllers, callbacks),
      over all resumed parts; not the checks before it, nor loading the compiled kernels from
      numba's disk cache or compiling them, which ``train`` does before the clock starts
      (``fastoptim.compiling.prepare``), so ``steps / seconds`` is the run's own rate.
    - ``diverged``: None, or ``{"epoch": e, "step": k}`` (0-based, ``k`` within the epoch) of
      the step whose gradient was not finite or that made ``θ`` or the optimizer's state
      non-finite: the run stopped there, with ``θ`` and the state from before that step. ``k``
      equal to the steps per epoch means every step was finite but the full-data (or
      validation) loss after the epoch was not; that loss is the last of ``loss``.
    - ``stopped``: None, or why the run ended early: ``{"epoch": e, "reason": "early_stopping" |
      "callback", "message": …}``, with early stopping also ``"best_epoch"``, ``"restored"`` and
      ``"discarded"`` (the monitored losses of the epochs after the best, when restored).
    - ``state``: the optimizer's ``State``; ``settings``, ``rng_state``, ``controller_state``,
      ``early_stopping_state``: what ``train(..., resume=run)`` needs to continue bit for bit.
    """

    theta: np.ndarray
    loss: np.ndarray
    validation_loss: np.ndarray | None
    lr: np.ndarray
    beta: np.ndarray | None
    step_loss: np.ndarray | None
    step_lr: np.ndarray | None
    step_beta: np.ndarray | None
    trajectory: np.ndarray | None
    epochs: int
    steps: int
    seconds: float
    diverged: dict | None
    state: State
    settings: dict = field(repr=False)
    stopped: dict | None = None
    rng_state: dict | None = field(repr=False, default=None)
    controller_state: dict | None = field(repr=False, default=None)
    early_stopping_state: dict | None = field(repr=False, default=None)

    def __repr__(self):
        final = self.loss[-1] if self.loss.size else float("nan")
        return (f"Run({self.settings['optimizer']}, epochs={self.epochs}, steps={self.steps}, "
                f"loss={final:.6g}, theta={np.array2string(self.theta, precision=6)}, "
                f"seconds={self.seconds:.3g}, diverged={self.diverged}"
                + (f", stopped={self.stopped['reason']} at epoch {self.stopped['epoch']}" if self.stopped else "")
                + ")")

    def predict(self, X):
        """σ(w·x + b) for every point of ``X`` ((N,) or (N, d)) at the run's θ
        (``fastoptim.model.predict``)."""
        from .model import predict

        return predict(self.theta, X)

    def evaluate(self, data):
        """The run's loss (its ``loss`` and ``reduction``) on ``data``, and for the log loss on
        0/1 labels the accuracy (threshold 0.5): a dict ``{"loss": …, "accuracy": …}``."""
        from .model import evaluate

        return evaluate(data, self.theta, loss=self.settings.get("loss", "squared"),
                        reduction=self.settings["reduction"])

    def save(self, path):
        """Write the run to exactly ``path``, which must end in ``.npz``; return ``path`` (a str).

        The file is an ``.npz`` (arrays, the settings as JSON text; no pickle:
        ``np.load(path, allow_pickle=False)`` reads it) whose member ``checksum`` is a SHA-256
        of every other member (names, dtypes, shapes, bytes), so :func:`load_run` detects a
        changed or damaged file. The write is atomic: the run goes to a temporary file in the
        same folder, which then replaces ``path`` (``os.replace``); if anything fails or the
        process is interrupted, ``path`` is as it was (a good file already there survives) and
        the temporary file is removed. A path without ``.npz`` (numpy would append it and write
        another file than the one named), a folder, or a path in a missing folder is refused
        with ``ValueError`` before anything is written; a failed write raises ``OSError``.
        """
        path = check_save_path(path)
        arrays = {
            "theta": self.theta, "loss": self.loss, "lr": self.lr,
            "meta": np.array(json.dumps({
                "format": RUN_FORMAT,
                "epochs": self.epochs, "steps": self.steps, "seconds": self.seconds,
                "diverged": self.diverged, "stopped": self.stopped, "settings": self.settings,
                "rng_state": self.rng_state, "controller_state": self.controller_state,
                "early_stopping_state": self.early_stopping_state,
                "has": [name for name in OPTIONAL_MEMBERS if getattr(self, name) is not None]})),
        }
        for name in OPTIONAL_MEMBERS:
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        for key, value in self.state.to_dict().items():
            arrays[f"state.{key}"] = value
        arrays = {name: np.asarray(value) for name, value in arrays.items()}
        arrays["checksum"] = np.array(_checksum(arrays))
        _write_atomically(path, arrays)
        return path


#: The version of the file layout written by ``Run.save`` (``meta["format"]``).
RUN_FORMAT = 3
#: Members written only when the run has them (``meta["has"]`` lists them).
OPTIONAL_MEMBERS = ("validation_loss", "beta", "step_loss", "step_lr", "step_beta", "trajectory")
STATE_MEMBERS = tuple(f"state.{key}" for key in ("optimizer", "step", "slots", "scalars", "shape", "dtype",
                                                 "form"))
REQUIRED_MEMBERS = ("theta", "loss", "lr", "meta", "checksum", *STATE_MEMBERS)


# --- saving ---------------------------------------------------------------------------------------

def check_save_path(path):
    """``path`` as a str if a run may be saved there: it ends in ``.npz``, is not a folder, and
    its folder exists; else ``TypeError``/``ValueError`` naming ``path``. (Whether the folder is
    writable is found by writing: see ``fastoptim.cli``, which tries before a run starts.)"""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise _checks.invalid("path", path, "must be a str or os.PathLike", TypeError)
    path = os.fspath(path)
    if not isinstance(path, str):
        raise _checks.invalid("path", path, "must be a str or os.PathLike", TypeError)
    if os.path.isdir(path):
        raise _checks.invalid("path", path, "is a folder; give a file name ending in .npz")
    if not path.endswith(".npz"):
        raise _checks.invalid("path", path, "must end in .npz: the run is written to exactly the "
                                            "path given")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _checks.invalid("path", path, f"its folder {folder} does not exist")
    return path


def _checksum(arrays):
    """SHA-256 (hex) of every member but ``checksum``: name, dtype, shape and bytes, by name."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        if name == "checksum":
            continue
        array = np.ascontiguousarray(arrays[name])
        digest.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode())
        digest.update(b"\0")
        digest.update(array.tobytes())
    return digest.hexdigest()


def _write_atomically(path, arrays):
    """``np.savez`` into a new temporary file beside ``path``, synced, then ``os.replace``."""
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:  # mode 0o666 less the umask, as for any new file (mkstemp would make it 0o600)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise OSError(error.errno, f"could not save the run to {path}: cannot create a file in "
                                   f"{folder} ({error.strerror})") from error
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        removed = _remove(temporary)
        said = (f"{path} is unchanged; the temporary file {temporary} "
                + ("was removed" if removed else "could not be removed"))
        if isinstance(error, OSError):
            raise OSError(error.errno, f"could not save the run to {path} "
                                       f"({error.strerror or error}); {said}") from error
        if hasattr(error, "add_note"):  # an interrupt or another failure passes through, noted
            error.add_note(f"while saving the run: {said}")
        raise
    _sync_folder(folder)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _sync_folder(folder):
    """Make the rename durable (POSIX); best effort."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# --- loading --------------------------------------------------------------------------------------

class _Bad(Exception):
    """What is wrong with a run file (becomes the ValueError that names the file)."""


def load_run(path):
    """Read a run written by ``Run.save`` (no pickle); continue it with ``train(..., resume=run)``.

    A file that cannot be opened raises ``OSError`` (``FileNotFoundError`` ...); anything wrong
    with its content raises ``ValueError("Invalid run file: '<path>' (<what is wrong>)")``: not
    an ``.npz`` or truncated, a damaged member, missing or unexpected members, a checksum that
    does not match (the file was changed after it was saved), bad JSON or wrong types in the
    settings, an unknown optimizer, arrays of the wrong shape or dtype (a trajectory whose width
    is not θ's), non-finite θ, a state that does not fit θ or whose step is not the run's, or a
    shuffled run without its random-number state.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise _checks.invalid("path", path, "must be a str or os.PathLike", TypeError)
    try:
        return _load(os.fspath(path))
    except _Bad as error:
        raise _checks.invalid("run file", os.fspath(path), str(error)) from error.__cause__


def _load(path):
    # the file is opened here, not by np.load, which leaks it when the zip is unreadable
    with open(path, "rb") as file:  # OSError (missing, unreadable, a folder) names the file
        try:
            stored = np.load(file, allow_pickle=False)
        except Exception as error:  # BadZipFile, a pickle, not a numpy file at all
            raise _Bad(f"not a readable .npz file: {type(error).__name__}: {error}") from error
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise _Bad("not an .npz file of a run (a single .npy array)")
        with stored:
            arrays = _members(stored)
    meta = _meta(arrays["meta"])
    missing = sorted(set(meta["has"]) - set(arrays))
    extra = sorted(set(arrays) - set(REQUIRED_MEMBERS) - set(meta["has"]))
    if missing or extra:
        raise _Bad(f"members listed in meta['has'] are missing: {missing}" if missing
                   else f"unexpected members: {extra}")
    return _run(arrays, meta)


def _members(stored):
    names = set(stored.files)
    missing = [name for name in REQUIRED_MEMBERS if name not in names]
    if missing:
        raise _Bad(f"missing members: {', '.join(missing)}")
    unknown = sorted(names - set(REQUIRED_MEMBERS) - set(OPTIONAL_MEMBERS))
    if unknown:
        raise _Bad(f"unexpected members: {', '.join(unknown)}")
    arrays = {}
    for name in sorted(names):
        try:
            arrays[name] = stored[name]
        except Exception as error:  # a bad CRC, a truncated member, a broken .npy header
            raise _Bad(f"member {name!r} is damaged: {type(error).__name__}: {error}") from error
    checksum = arrays["checksum"]
    if checksum.shape != () or checksum.dtype.kind != "U":
        raise _Bad("member 'checksum' is not a checksum string")
    if str(checksum) != _checksum(arrays):
        raise _Bad("the checksum does not match the contents: the file was changed after it "
                   "was saved, or is damaged")
    return arrays


def _meta(array):
    if array.shape != () or array.dtype.kind != "U":
        raise _Bad("member 'meta' is not a JSON string")
    try:
        meta = json.loads(str(array))
    except ValueError as error:
        raise _Bad(f"member 'meta' is not valid JSON: {error}") from error
    if not isinstance(meta, dict):
        raise _Bad(f"meta must be a JSON object, got {type(meta).__name__}")
    expected = {"format", "epochs", "steps", "seconds", "diverged", "stopped", "settings", "rng_state",
                "controller_state", "early_stopping_state", "has"}
    if set(meta) != expected:
        missing, extra = sorted(expected - set(meta)), sorted(set(meta) - expected)
        raise _Bad(f"meta is missing {missing}" if missing else f"meta has unexpected keys {extra}")
    if meta["format"] != RUN_FORMAT:
        raise _Bad(f"meta['format'] is {meta['format']!r}, this fastoptim reads format {RUN_FORMAT}")
    for key in ("epochs", "steps"):
        _count(f"meta[{key!r}]", meta[key])
    seconds = meta["seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
        raise _Bad(f"meta['seconds'] must be a number >= 0, got {seconds!r}")
    diverged = meta["diverged"]
    if diverged is not None:
        if not isinstance(diverged, dict) or set(diverged) != {"epoch", "step"}:
            raise _Bad(f"meta['diverged'] must be null or {{'epoch': e, 'step': k}}, got {diverged!r}")
        for key in ("epoch", "step"):
            _count(f"meta['diverged'][{key!r}]", diverged[key])
    settings = meta["settings"]
    if not isinstance(settings, dict):
        raise _Bad(f"meta['settings'] must be a JSON object, got {type(settings).__name__}")
    for key, kind in (("optimizer", str), ("optimizer_arguments", dict), ("shuffle", bool)):
        if not isinstance(settings.get(key), kind):
            raise _Bad(f"meta['settings'][{key!r}] must be a {kind.__name__}, got {settings.get(key)!r}")
    stopped = meta["stopped"]
    if stopped is not None and not (isinstance(stopped, dict) and stopped.get("reason") in ("early_stopping", "callback")):
        raise _Bad(f"meta['stopped'] must be null or {{'epoch': e, 'reason': 'early_stopping' | 'callback', ...}}, "
                   f"got {stopped!r}")
    for key in ("rng_state", "controller_state", "early_stopping_state"):
        if meta[key] is not None and not isinstance(meta[key], dict):
            raise _Bad(f"meta[{key!r}] must be null or a JSON object, got {meta[key]!r}")
    has = meta["has"]
    if not isinstance(has, list) or not set(has) <= set(OPTIONAL_MEMBERS) or len(set(has)) != len(has):
        raise _Bad(f"meta['has'] must list some of {list(OPTIONAL_MEMBERS)}, got {has!r}")
    return meta


def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(f"{name} must be an integer >= 0, got {value!r}")


def _float_vector(name, array, length):
    if array.dtype not in _checks.FLOAT_DTYPES or array.ndim != 1:
        raise _Bad(f"member {name!r} must be a 1-d float array, got shape {array.shape} and dtype {array.dtype}")
    if array.size != length:
        raise _Bad(f"member {name!r} has {array.size} entries, the run has {length}")
    return array.copy()


def _run(arrays, meta):
    settings = meta["settings"]
    epochs, steps = meta["epochs"], meta["steps"]
    theta = arrays["theta"]
    if theta.dtype not in _checks.FLOAT_DTYPES or theta.ndim != 1 or theta.size < 2:
        raise _Bad(f"theta must be a 1-d float array [w..., b], got shape {theta.shape} and dtype {theta.dtype}")
    if not np.all(np.isfinite(theta)):
        raise _Bad(f"theta is not finite: {theta.tolist()}")
    data = re.fullmatch(r"Dataset\(n=\d+, d=(\d+), dtype=(\w+), .*\)", str(settings.get("data", "")))
    if data and (theta.size != int(data[1]) + 1 or theta.dtype.name != data[2]):
        raise _Bad(f"theta has shape {theta.shape} and dtype {theta.dtype}, the run's data needs "
                   f"({int(data[1]) + 1},) and {data[2]}")
    theta = theta.copy()
    optimizer = _optimizer_from_settings(settings)
    try:
        state = State.from_dict({key[len("state."):]: arrays[key] for key in STATE_MEMBERS},
                                optimizer, theta)
    except (TypeError, ValueError) as error:
        raise _Bad(f"the optimizer's state: {error}") from error
    if state.step != steps:
        raise _Bad(f"the optimizer's state is at step {state.step}, the run says {steps} steps")
    lengths = {"loss": epochs, "lr": epochs, "validation_loss": epochs, "beta": epochs, "step_loss": steps,
               "step_lr": steps, "step_beta": steps}
    vectors = {name: _float_vector(name, arrays[name], lengths[name]) if name in arrays else None
               for name in lengths}
    for name in ("lr", "beta", "step_lr", "step_beta"):  # η and β are recorded whatever the record
        rates = vectors[name]
        if rates is not None and not np.all(np.isfinite(rates) & (rates >= 0)):
            raise _Bad(f"member {name!r} must hold finite numbers >= 0, got {rates.tolist()[:8]}")
    for name in ("loss", "validation_loss"):
        losses = vectors[name]
        if (meta["diverged"] is None and settings.get("record") in ("epoch", "step") and epochs > 0
                and losses is not None and not np.isfinite(losses[-1])):
            # an earlier part may have run with record="none" (NaN), but the last one recorded it
            raise _Bad(f"member {name!r} ends in {float(losses[-1])!r}, but the run recorded its loss "
                       f"(settings['record'] = {settings['record']!r}) and did not diverge")
    trajectory = arrays.get("trajectory")
    if trajectory is not None:
        if trajectory.dtype != theta.dtype or trajectory.shape != (steps + 1, theta.size):
            raise _Bad(f"member 'trajectory' has shape {trajectory.shape} and dtype {trajectory.dtype}, "
                       f"expected {(steps + 1, theta.size)} (steps + 1 rows of θ) and {theta.dtype}")
        trajectory = trajectory.copy()
    rng_state = meta["rng_state"]
    if settings["shuffle"]:
        if rng_state is None:
            raise _Bad("the run shuffles (settings['shuffle'] is true) but its random-number state "
                       "(meta['rng_state']) is missing: it could not be resumed as it ran")
        try:
            np.random.default_rng().bit_generator.state = rng_state
        except (TypeError, ValueError, KeyError) as error:
            raise _Bad(f"meta['rng_state'] is not a random-number state: {error}") from error
    elif rng_state is not None:
        raise _Bad("meta['rng_state'] is set but the run does not shuffle")
    if "on_plateau" in settings and (settings["on_plateau"] is None) != (meta["controller_state"] is None):
        raise _Bad("meta['controller_state'] must be given exactly when settings['on_plateau'] is")
    if "early_stopping" in settings and (settings["early_stopping"] is None) != (meta["early_stopping_state"] is None):
        raise _Bad("meta['early_stopping_state'] must be given exactly when settings['early_stopping'] is")
    return Run(theta=theta, **vectors, trajectory=trajectory, epochs=epochs, steps=steps,
               seconds=float(meta["seconds"]), diverged=meta["diverged"], stopped=meta["stopped"], state=state,
               settings=settings, rng_state=rng_state, controller_state=meta["controller_state"],
               early_stopping_state=meta["early_stopping_state"])


def _optimizer_from_settings(settings):
    """The optimizer a saved run was trained with. A learning-rate schedule cannot be rebuilt
    from its repr: such an optimizer gets its default ``lr`` (``train(..., resume=run)`` is then
    given the real optimizer, whose settings must match)."""
    name = settings["optimizer"]
    if name not in OPTIMIZERS:
        raise _Bad(f"unknown optimizer {name!r} (fastoptim has {', '.join(OPTIMIZERS)})")
    arguments = dict(settings["optimizer_arguments"])
    if isinstance(arguments.get("lr"), str):
        del arguments["lr"]
    for key, value in arguments.items():
        if isinstance(value, list):
            arguments[key] = tuple(value)
    try:
        return OPTIMIZERS[name](**arguments)
    except (TypeError, ValueError) as error:
        raise _Bad(f"meta['settings']['optimizer_arguments'] do not make a {name}: {error}") from error
