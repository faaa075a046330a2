"""The table of a sweep (``fastoptim.sweep``): one row per (configuration, seed) pair, columns
for every hyperparameter and every result, CSV export."""
import csv
import io
import numbers
from typing import ClassVar

import numpy as np

from . import _checks
from .plan import optimizer_settings

__all__ = ["SweepResult"]


def _hyperparameters(config):
    """The configuration's settings as table values (``train``'s record of them)."""
    values = optimizer_settings(config)
    return {name: (str(value) if isinstance(value, list) else value) for name, value in values.items()}


class SweepResult:
    """The table of a sweep: one row per (configuration, seed) pair, in the order configs × seeds.

    Columns (``result.columns``, each also an attribute and ``result["name"]``): ``optimizer``;
    every hyperparameter of the configurations (the union over kinds; None where a kind has
    none); ``seed``; ``final_loss`` (training loss after the last completed epoch; NaN if none
    completed); ``final_validation_loss`` (with a validation set); ``best_epoch`` and
    ``best_loss`` (0-based epoch of the lowest validation loss, else training loss; -1 and NaN
    if no epoch completed); ``diverged``, ``diverged_epoch``, ``diverged_step`` (-1 if not);
    ``stopped_epoch`` (the epoch after which a callback stopped the pair, -1 if none did);
    ``steps``; ``seconds`` (the wall time of the compiled calls that ran the pair's rule, shared
    evenly among the pairs of that rule).

    Also: ``loss`` (pairs, epochs) — the training loss after every epoch, NaN after a
    divergence; ``validation_loss`` likewise or None; ``theta`` (pairs, d+1) the final
    parameters; ``configs``, ``seeds``; ``seconds_total`` (wall time of the sweep).
    ``to_csv()`` writes the table, ``loss_to_csv()`` the per-epoch loss matrix.
    """

    _FIXED: ClassVar[tuple] = ("optimizer",)

    def __init__(self, configs, columns, loss, validation_loss, theta, seconds_total):
        self.configs = configs
        self.columns = columns
        self.loss = loss
        self.validation_loss = validation_loss
        self.theta = theta
        self.seconds_total = seconds_total

    @classmethod
    def _build(cls, configs, seeds, record, epochs, seconds_total):
        pairs = len(configs)
        settings = [_hyperparameters(config) for config in configs]
        names = []
        for row in settings:
            names.extend(name for name in row if name not in names)
        columns = {"optimizer": np.array([config.name for config in configs], dtype=object)}
        for name in names:
            values = [row.get(name) for row in settings]
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in values)
            flags = all(isinstance(v, (bool, np.bool_)) for v in values)
            columns[name] = (np.array(values, dtype=np.float64) if numeric
                             else np.array(values, dtype=np.bool_) if flags
                             else np.array(values, dtype=object))
        loss, validation_loss = record["loss"], record["validation_loss"]
        judged = validation_loss if validation_loss is not None else loss
        done = ~np.isnan(judged)
        any_done = done.any(axis=1)
        if judged.shape[1] == 0:  # epochs=0, as train allows: no epoch to judge
            best_epoch, best_loss = np.full(pairs, -1), np.full(pairs, np.nan)
        else:
            best_epoch = np.where(any_done, np.argmin(np.where(done, judged, np.inf), axis=1), -1)
            best_loss = np.where(any_done, judged[np.arange(pairs), np.maximum(best_epoch, 0)], np.nan)

        def final(matrix):
            if matrix.shape[1] == 0:
                return np.full(pairs, np.nan)
            completed = (~np.isnan(matrix)).sum(axis=1)
            return np.where(completed > 0, matrix[np.arange(pairs), np.maximum(completed - 1, 0)], np.nan)

        columns["seed"] = np.array(seeds, dtype=np.int64)
        columns["final_loss"] = final(loss)
        if validation_loss is not None:
            columns["final_validation_loss"] = final(validation_loss)
        columns["best_epoch"] = best_epoch.astype(np.int64)
        columns["best_loss"] = best_loss
        columns["diverged"] = record["diverged_epoch"] >= 0
        columns["diverged_epoch"] = record["diverged_epoch"]
        columns["diverged_step"] = record["diverged_step"]
        columns["stopped_epoch"] = record["stopped_epoch"]
        columns["steps"] = record["steps"]
        columns["seconds"] = np.asarray(record["seconds"], dtype=np.float64)
        return cls(list(configs), columns, loss, validation_loss, record["theta"], seconds_total)

    def __len__(self):
        return len(self.configs)

    def __getattr__(self, name):
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(f"SweepResult has no column or attribute {name!r}; columns: {', '.join(columns)}")

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.columns:
                raise KeyError(f"no column {key!r}; columns: {', '.join(self.columns)}")
            return self.columns[key]
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            return self.row(int(key))
        raise TypeError(f"index a SweepResult by a column name or a row number, got {_checks.describe(key)}")

    def row(self, index):
        """Row ``index`` as a dict (column name → Python value)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"row {index} out of range for a sweep of {len(self)} runs")
        return {name: _plain(values[index]) for name, values in self.columns.items()}

    def rows(self):
        """Every row as a dict, in order."""
        return [self.row(index) for index in range(len(self))]

    def ranked(self):
        """Row numbers from best to worst by ``best_loss`` (diverged runs with no epoch last);
        ties keep the table order."""
        key = np.where(np.isnan(self.columns["best_loss"]), np.inf, self.columns["best_loss"])
        return np.argsort(key, kind="stable")

    def to_csv(self, path=None):
        """The table as CSV (written to ``path``, or returned as a string)."""
        header = list(self.columns)
        return _write_csv(path, header, ([_csv_value(v) for v in row.values()] for row in self.rows()))

    def loss_to_csv(self, path=None, validation=False):
        """The per-epoch loss matrix as CSV: ``optimizer``, the hyperparameters and ``seed``,
        then one column per epoch (``epoch_0`` …); the validation losses with
        ``validation=True``."""
        matrix = self.validation_loss if validation else self.loss
        if matrix is None:
            raise ValueError("this sweep has no validation set: validation_loss is None")
        keys = [name for name in self.columns if name not in _RESULT_COLUMNS or name == "seed"]
        header = keys + [f"epoch_{e}" for e in range(matrix.shape[1])]
        rows = ([_csv_value(self.columns[k][i]) for k in keys] + [_csv_value(v) for v in matrix[i]]
                for i in range(len(self)))
        return _write_csv(path, header, rows)

    def __repr__(self):
        shown = [name for name in self.columns if name in ("optimizer", "lr", "seed", "final_loss",
                                                             "best_epoch", "diverged", "seconds")]
        lines = [f"SweepResult({len(self)} runs, {self.loss.shape[1]} epochs, {self.seconds_total:.3g} s)",
                 "  ".join(f"{name:>12}" for name in shown)]
        for index in range(min(len(self), 20)):
            lines.append("  ".join(f"{_short(self.columns[name][index]):>12}" for name in shown))
        if len(self) > 20:
            lines.append(f"… {len(self) - 20} more rows")
        return "\n".join(lines)


_RESULT_COLUMNS = frozenset({"seed", "final_loss", "final_validation_loss", "best_epoch", "best_loss",
                             "diverged", "diverged_epoch", "diverged_step", "stopped_epoch", "steps",
                             "seconds"})


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _short(value):
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _csv_value(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # round-trips
    return str(value)


def _write_csv(path, header, rows):
    buffer = io.StringIO() if path is None else open(path, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue() if path is None else None
    finally:
        if path is not None:
            buffer.close()
