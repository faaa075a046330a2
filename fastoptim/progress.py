"""Progress bars for training runs: ``train(..., progress=True)`` and the ``fastoptim`` command.

A bar shows epochs done, the training loss and updates (steps) per second. It is drawn with
tqdm, only

- on a terminal: when the output (``sys.stderr``) is not a terminal nothing is printed;
- for runs that last more than about a second (``DELAY``): a short run prints nothing;
- between epochs, never inside one: a long epoch shows at its end.

What it costs: the training loop compares the epoch index with ``next_check`` (one integer
comparison per epoch) and calls :meth:`EpochBar.update` only when it is reached; ``update``
reads the clock and sets the next check about ``INTERVAL`` seconds of epochs later. So the
Python work is one call per ``INTERVAL`` plus one comparison per epoch, whatever the length of
an epoch (the smallest epoch, batch GD on two points, takes ~3 µs; the comparison ~20 ns).
tqdm is imported only when a bar is actually drawn.
"""
import math
import sys
import time
import weakref

#: A bar appears only once a run has lasted this many seconds.
DELAY = 1.0
#: Seconds between two updates of a bar (and between two clock reads).
INTERVAL = 0.2


def _is_terminal(file):
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


#: The bars on screen now (drawn and not yet closed).
_OPEN = weakref.WeakSet()


def close_all():
    """Close every bar on screen, clearing its line: a run interrupted between ``update`` and
    ``close`` (Ctrl-C) leaves its bar drawn, and a message printed then ("interrupted") would
    land on the bar's line. Called by the command line before it prints such a message."""
    for bar in list(_OPEN):
        bar.abandon()


class EpochBar:
    """The progress bar of one run of ``epochs`` epochs.

    ``next_check`` is the 0-based index of the first epoch after which :meth:`update` must be
    called; each call returns the next such index. A disabled bar (``enabled=False``, or the
    output is not a terminal) has ``next_check = epochs``, so it is never called.
    """

    def __init__(self, epochs, *, enabled=True, description="train", file=None):
        if not isinstance(enabled, bool):
            raise TypeError(f"progress must be True or False, got {type(enabled).__name__}")
        self.epochs = int(epochs)
        self.description = description
        self.file = sys.stderr if file is None else file
        self.enabled = enabled and _is_terminal(self.file)
        self.next_check = 0 if self.enabled else self.epochs
        self.started = time.perf_counter()
        self.calls = 0
        self._bar = None

    def update(self, epochs_done, steps_done, loss):
        """Record the state after ``epochs_done`` epochs; return the next epoch index to check."""
        self.calls += 1
        elapsed = time.perf_counter() - self.started
        if elapsed >= DELAY:
            self._draw(epochs_done, steps_done, loss, elapsed)
        # epochs per INTERVAL at the rate so far, at least one
        stride = max(1, int(INTERVAL * epochs_done / elapsed)) if elapsed > 0 else 1
        return epochs_done - 1 + stride

    def close(self, epochs_done, steps_done, loss):
        """Draw the final state (only if the bar is shown) and release the terminal line."""
        if self._bar is not None:
            self._draw(epochs_done, steps_done, loss, time.perf_counter() - self.started)
            self.abandon()

    def abandon(self):
        """Clear the bar's line without drawing it again (an interrupted run)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        _OPEN.discard(self)

    def _draw(self, epochs_done, steps_done, loss, elapsed):
        if self._bar is None:
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm is a dependency; without it, no bar rather than a failed run
                self.enabled = False
                return
            self._bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", file=self.file,
                             mininterval=0, miniters=1, smoothing=0, dynamic_ncols=True, leave=False)
            self._bar.start_t -= time.perf_counter() - self.started  # elapsed and rate since the run began
            _OPEN.add(self)
        rate = steps_done / elapsed if elapsed > 0 else 0.0
        loss_text = f"{loss:.4g}" if loss is not None and math.isfinite(loss) else "-"
        self._bar.set_postfix_str(f"loss={loss_text}, {rate:,.0f} updates/s", refresh=False)
        self._bar.update(epochs_done - self._bar.n)
