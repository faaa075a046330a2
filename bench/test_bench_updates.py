"""Family "updates": one optimizer step, fused kernel against its numpy reference.

For every rule of SPEC §3 (the "W" presets share their rule's kernel), float64 and float32,
10^3 … 10^7 parameters (``FASTOPTIM_BENCH_PROFILE=quick``: 10^3 and 10^6), the
implementations are

- ``reference``: ``fastoptim.reference.updates`` (textbook numpy, new arrays each step);
- ``kernel`` / ``kernel-parallel``: the dispatchers ``update`` / ``update_parallel`` (what
  ``opt.step`` calls below / from ``PARALLEL_THRESHOLD``), without the Python-side checks;
- ``memory-limit`` / ``memory-limit-parallel``: a kernel that reads and writes the same arrays
  as the rule and computes nothing (``memory_limit_update``): the speed limit;
- ``torch-foreach`` / ``torch-fused``: ``torch.optim`` on CPU, when PyTorch is installed
  (skipped otherwise, or when the rule has no PyTorch counterpart or fused form).

``adamp-2d`` is AdamP on a ``(rows, cols)`` matrix (its projection needs per-row sums, two
passes and a serial loop); the plain ``adamp`` row is a 1-D array, which AdamP updates as Adam.
Gradients are fixed and ``lr`` tiny, so the state stays finite over any number of rounds; the
step count is fixed at ``t = 10`` (RAdam in its rectified branch).
"""
import numpy as np
import pytest

from bench.conftest import PROFILE, size_id, sizes
from fastoptim import optimizers
from fastoptim.kernels import updates as kernels
from fastoptim.reference import updates as reference

SIZES = sizes(quick=[10**3, 10**6], full=[10**3, 10**5, 10**6, 10**7])
DTYPES = ["float64", "float32"]
IMPLS = ["reference", "kernel", "kernel-parallel", "memory-limit", "memory-limit-parallel",
         "torch-foreach", "torch-fused"]
LR = 1e-6
STEP = 10

# bench name: (optimizer class, 2-D?)
RULES = {
    "gd": (optimizers.GD, False), "momentum": (optimizers.Momentum, False),
    "nesterov": (optimizers.Nesterov, False), "adagrad": (optimizers.AdaGrad, False),
    "rmsprop": (optimizers.RMSProp, False), "adadelta": (optimizers.AdaDelta, False),
    "adam": (optimizers.Adam, False), "adamax": (optimizers.AdaMax, False),
    "nadam": (optimizers.NAdam, False), "amsgrad": (optimizers.AMSGrad, False),
    "radam": (optimizers.RAdam, False), "adamp": (optimizers.AdamP, False),
    "adamp-2d": (optimizers.AdamP, True),
}


def shape_of(name, n):
    """1-D, or for adamp-2d ``(10^⌊e/2⌋, n / 10^⌊e/2⌋)``: 1e6 → (1000, 1000)."""
    if not RULES[name][1]:
        return (n,)
    rows = 10 ** ((len(str(n)) - 1) // 2)
    return (rows, n // rows)


def reference_rule(opt):
    """The reference step of ``opt`` as ``f(params, grads, slots) -> (params, *slots)``
    (``fastoptim.reference.updates.apply``: the rule's textbook numpy function, new arrays)."""
    def step(params, grads, slots):
        params, slots, _ = reference.apply(opt.hyper, params, grads, slots, STEP, LR)
        return (params, *slots)

    return step


def torch_optimizer(name, parameter, impl):
    """The ``torch.optim`` counterpart of ``name`` (same hyperparameters), or skip."""
    torch = pytest.importorskip("torch")
    flags = {"foreach": True} if impl == "torch-foreach" else {"fused": True}
    table = {
        "gd": (torch.optim.SGD, {}), "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        "adagrad": (torch.optim.Adagrad, {"eps": 1e-8}),
        "rmsprop": (torch.optim.RMSprop, {"alpha": 0.9, "eps": 1e-8}),
        "adadelta": (torch.optim.Adadelta, {"rho": 0.95, "eps": 1e-6}),
        "adam": (torch.optim.Adam, {}), "adamax": (torch.optim.Adamax, {}),
        "nadam": (torch.optim.NAdam, {}), "amsgrad": (torch.optim.Adam, {"amsgrad": True}),
        "radam": (torch.optim.RAdam, {}),
    }
    if name not in table:
        pytest.skip(f"{name} has no torch.optim counterpart")
    cls, options = table[name]
    try:
        return cls([parameter], lr=LR, **options, **flags)
    except (RuntimeError, TypeError, ValueError) as error:  # no fused (or foreach) form
        pytest.skip(f"torch.optim.{cls.__name__} {impl}: {error}")


#: What the last :func:`make_step` made, for the check of its result: ``observe()`` returns the
#: step's current ``(params, [slots…])`` (copies, in the params' shape; slots None for torch) and
#: ``grads`` its fixed gradient.
MADE = {}


def make_step(name, impl, n, dtype):
    """A no-argument function doing one step of ``name`` with ``impl``, and its state."""
    cls, _ = RULES[name]
    opt = cls(lr=LR)
    shape = shape_of(name, n)
    rng = np.random.default_rng(0)
    params = rng.standard_normal(shape).astype(dtype)
    grads = (1e-3 * rng.standard_normal(shape)).astype(dtype)
    if impl == "reference":
        rule = reference_rule(opt)
        state = [params] + [np.zeros_like(params) for _ in range(opt.n_slots)]
        MADE.update(observe=lambda: (state[0].copy(), [slot.copy() for slot in state[1:]]), grads=grads)

        def reference_step():
            state[:] = rule(state[0], grads, state[1:])

        return reference_step
    if impl.startswith("torch"):
        torch = pytest.importorskip("torch")
        parameter = torch.nn.Parameter(torch.from_numpy(params))
        parameter.grad = torch.from_numpy(grads)
        MADE.update(observe=lambda: (parameter.detach().numpy().copy(), None), grads=grads)
        torch_opt = torch_optimizer(name, parameter, impl)
        return torch_opt.step
    flat_params, flat_grads = params.reshape(-1), grads.reshape(-1)
    slots = np.zeros((opt.n_slots, n), dtype)
    MADE.update(observe=lambda: (params.copy(), [slot.reshape(shape).copy() for slot in slots]), grads=grads)
    if impl.startswith("memory-limit"):
        copy = (kernels.memory_limit_update_parallel if impl.endswith("parallel")
                else kernels.memory_limit_update)
        return lambda: copy(flat_params, flat_grads, slots, opt.n_slots)
    state = opt.init(params)
    MADE.update(observe=lambda: (params.copy(), [slot.reshape(shape).copy() for slot in state.slots]), grads=grads)
    update = kernels.update_parallel if impl == "kernel-parallel" else kernels.update
    hyper = opt.hyper
    return lambda: update(hyper, flat_params, flat_grads, state.slots, state.scalars, STEP, LR)


#: One step against the reference step from the same state: tests/tolerances.py's update bounds
#: (relative, and absolute on the array's scale).
RTOL = {"float64": 1e-12, "float32": 2e-6}
ATOL = {"float64": 1e-14, "float32": 1e-6}


def check_step(name, impl, dtype, before, after, grads):
    """What the timed function computed in its warm-up call: the kernels' step equals the
    reference step from the same state (within the update tolerances), the reference's equals
    the kernel's, the memory-limit kernel moves the values as its docstring says (one addition,
    the slots rotated), and torch's step is finite and moves θ."""
    params, slots = after
    assert np.all(np.isfinite(params)), (name, impl)
    if impl.startswith("memory-limit"):  # θ ← g + s_last (θ + g without slots); s_0 ← θ, s_k ← s_(k−1)
        old_params, old_slots = before
        assert np.array_equal(params, grads + (old_slots[-1] if old_slots else old_params))
        assert all(np.array_equal(a, b) for a, b in zip(slots, [old_params] + old_slots[:-1]))
        return
    if impl.startswith("torch"):
        assert not np.array_equal(params, before[0])
        return
    opt = RULES[name][0](lr=LR)
    if impl == "reference":  # the kernel from the same state
        expected_params = before[0].copy()
        state = opt.init(expected_params)
        for k, slot in enumerate(before[1]):
            state.slots[k] = slot.reshape(-1)
        kernels.update(opt.hyper, expected_params.reshape(-1), grads.reshape(-1), state.slots, state.scalars, STEP, LR)
        expected = [expected_params] + [slot.reshape(params.shape) for slot in state.slots]
    else:
        expected = list(reference_rule(opt)(before[0].copy(), grads, [slot.copy() for slot in before[1]]))
    assert len(expected) == 1 + len(slots)
    for got, want in zip([params] + list(slots), expected):
        want, got = np.asarray(want, dtype=np.float64), np.asarray(got, dtype=np.float64)
        scale = max(np.max(np.abs(want)), np.max(np.abs(before[0])))
        bound = np.maximum(RTOL[dtype] * np.abs(want), ATOL[dtype] * scale)
        assert np.all(np.abs(got - want) <= bound), (name, impl, float(np.max(np.abs(got - want) - bound)))
    assert not np.array_equal(params, before[0])  # the step moved θ


def timing(n):
    """(rounds, iterations) per size: batches of calls for microsecond steps."""
    rounds = {10**3: 30, 10**5: 20, 10**6: 10, 10**7: 5}[n]
    iterations = 20 if n <= 10**3 else 1
    return (rounds * 2 if PROFILE == "full" else rounds), iterations


CASES = [pytest.param(name, impl, n, dtype, id=f"{name}-{impl}-{size_id(n)}-{dtype}")
         for name in RULES for impl in IMPLS for n in SIZES for dtype in DTYPES]


@pytest.mark.parametrize("name, impl, n, dtype", CASES)
def test_update(benchmark, name, impl, n, dtype):
    step = make_step(name, impl, n, dtype)
    before, observe, grads = MADE["observe"](), MADE["observe"], MADE["grads"]
    step()  # warm-up: compiles or loads from the cache, touches the pages
    check_step(name, impl, dtype, before, observe(), grads)
    benchmark.group = f"updates:{name}:{dtype}:{size_id(n)}"
    benchmark.extra_info.update(family="updates", kernel=name, optimizer=name, impl=impl, size=n,
                                dtype=dtype, unit="parameters",
                                n_slots=RULES[name][0](lr=LR).n_slots)
    rounds, iterations = timing(n)
    benchmark.pedantic(step, rounds=rounds, iterations=iterations, warmup_rounds=0)
