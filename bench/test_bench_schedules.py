"""Family "schedules": each schedule evaluated for a whole run of 10^6 steps in one call,
``s(np.arange(10**6))`` (SPEC §5: the values are computed once and handed to the compiled loop).

The time must stay negligible next to the training it feeds (the schedules issue). The
yardstick row times, in the same run, one compiled epoch with batch size 1 over 10^6 points, the
cheapest epoch of 10^6 steps: ~30 ms on the 2-core development machine, where the slowest
schedules take 1.5-1.8 ms (step decay with factor 0.999 every step, exp_range, whose values
pass through the subnormal range, and the cosine ones). The report gives each schedule's
fraction of it (``bench/report.py``: ``yardstick``; target: at most 10%).
"""
import numpy as np
import pytest

import fastoptim as fo
from bench.conftest import run
from fastoptim import schedules

STEPS = 10**6

SCHEDULES = {
    "constant": schedules.constant(0.1),
    "step_decay": schedules.step_decay(0.1),
    "step_decay-0.999-every-1": schedules.step_decay(0.1, factor=0.999, every=1),
    "exponential": schedules.exponential(0.1, k=1e-5),
    "inverse_time": schedules.inverse_time(0.1, k=1e-3),
    "cyclic-triangular": schedules.cyclic(0.001, 0.1, step_size=30),
    "cyclic-triangular2": schedules.cyclic(0.001, 0.1, step_size=30, mode="triangular2"),
    "cyclic-exp_range": schedules.cyclic(0.001, 0.1, step_size=30, mode="exp_range",
                                         gamma=0.99999),
    "cosine": schedules.cosine(0.1, 0.001, period=STEPS),
    "warm_restarts-T_mult-1": schedules.warm_restarts(0.1, 0.001, T0=1000),
    "warm_restarts-T_mult-2": schedules.warm_restarts(0.1, 0.001, T0=1000, T_mult=2),
    "linear_warmup": schedules.linear_warmup(0.1, warmup=10_000),
    "transformer_warmup": schedules.transformer_warmup(512),
    "join-warmup-cosine": schedules.join(
        [schedules.linear_warmup(0.1, warmup=10_000), schedules.cosine(0.1, 0.0, STEPS)],
        [10_000]),
    "sutskever_momentum": schedules.sutskever_momentum(0.999),
}


@pytest.mark.parametrize("schedule", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_schedule_values(benchmark, schedule):
    t = np.arange(STEPS)
    values = run(benchmark, lambda: schedule(t), family="schedules", kernel=schedule.name,
                 impl="kernel", size=STEPS, dtype="float64", rounds=5, unit="steps",
                 schedule=repr(schedule))
    assert values.shape == (STEPS,) and np.all(np.isfinite(values)) and np.all(values >= 0)


def test_yardstick_batch_1_epoch(benchmark):
    data = fo.data.synthetic(STEPS)
    result = run(benchmark, lambda: fo.train(data, fo.GD(lr=0.1), epochs=1, batch_size=1,
                                             init=(0.0, 0.0)),
                 family="schedules", kernel="batch-1 epoch", impl="yardstick", size=STEPS,
                 dtype="float64", rounds=5, unit="steps")
    assert result.steps == STEPS
