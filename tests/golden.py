"""Golden bits: SHA-256 digests of the exact bits of losses, gradients, update steps and whole
training runs for fixed inputs, stored in ``tests/data/golden.json`` and compared by
``tests/test_golden.py``. A change in summation order, block size, dtype widening, a formula's
grouping or an orchestration decision changes some bits and fails that test, even where every
tolerance-based comparison still passes.

Regenerate (only for a deliberate change of the bits, in a commit of its own that says why):

    NUMBA_CACHE_DIR=$(mktemp -d) python -m tests.golden --write

``python -m tests.golden`` (no ``--write``) prints which entries differ from the stored file.

Why exact bits are stable across x86-64 CPUs (AVX2, AVX-512 or none), and where they are not:
every kernel is compiled without ``contract``, ``reassoc``, ``arcp`` or ``afn``
(``kernels/policy.py``), so LLVM may vectorize loops of any width but may not fuse a multiply
and an add, reorder a sum or approximate a function: each +, −, ×, ÷ and √ is one IEEE
rounding, the same on every CPU. exp and log1p are the project's own (``kernels/exp.py``; its
fused multiply-adds are written out, one rounding in hardware or in libm's ``fma`` alike). The
one value the kernels take from the C library is ``pow`` (the bias corrections ``1 − β^t`` of
the Adam family, NAdam's ``0.96^(tψ)``): glibc picks its ``pow`` by the CPU at load time
(a FMA variant or not), and the two are not guaranteed to give the same bits in every case.
So the golden file also stores a fingerprint of ``pow`` (the bits of every ``β^t`` the
entries use, computed through a compiled ``math.pow`` as the kernels do): where this
machine's ``pow`` matches it, every entry is compared bit for bit; where it does not, the
entries marked ``"pow": true`` are skipped with that reason and the others (GD, Momentum,
Nesterov, AdaGrad, RMSProp, AdaDelta and every model sum) are still compared bit for bit.
Checked when this was written: the digests are the same with the kernels compiled for the
host (AVX-512), for ``NUMBA_CPU_NAME=haswell`` (AVX2) and for ``NUMBA_CPU_NAME=generic``
(SSE2 only), see ``python -m tests.golden --cpus``.

The inputs are generated with numpy's ``default_rng`` (whose streams numpy keeps stable); their
own digests are stored too, so a change there reads as such, not as a kernel change.
"""
import argparse
import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np

GOLDEN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "golden.json")

RULES = ["GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam", "AdaMax", "NAdam",
         "NAdam-psi", "AMSGrad", "AMSGrad-bc", "RAdam", "AdamP", "AdamW", "NAdamW", "RMSPropW", "AdaGradW",
         "Momentum-L2", "AdamP-2d-wd"]
#: Rules whose steps call libm's pow (the bias corrections of the Adam family, NAdam's μ_t).
POW_RULES = {"Adam", "AdaMax", "NAdam", "NAdam-psi", "AMSGrad", "AMSGrad-bc", "RAdam", "AdamP", "AdamW", "NAdamW",
             "AdamP-2d-wd"}
DTYPES = ["float64", "float32"]
#: (batch_size, epochs, shuffle): one point per step, mini-batches of 30 with a remainder
#: (N = 1600, so the last batch has 10), the full batch (four blocks of kernels/model.py's 512,
#: the last of 64: with two blocks, adding their sums in reverse would give the same bits, as
#: a + b = b + a exactly), shuffled mini-batches (the order changes which points are in a batch).
REGIMES = {"batch1": (1, 1, False), "minibatch": (30, 2, False), "full": (None, 20, False),
           "shuffled": (30, 2, True)}
N_POINTS = 1600
UPDATE_STEPS = 25


def optimizer(name):
    import fastoptim as fo
    return {
        "GD": fo.GD(lr=0.5), "Momentum": fo.Momentum(lr=0.2), "Nesterov": fo.Nesterov(lr=0.2),
        "AdaGrad": fo.AdaGrad(lr=0.1), "RMSProp": fo.RMSProp(lr=0.01), "AdaDelta": fo.AdaDelta(),
        "Adam": fo.Adam(lr=0.01), "AdaMax": fo.AdaMax(lr=0.01), "NAdam": fo.NAdam(lr=0.01),
        "NAdam-psi": fo.NAdam(lr=0.01, momentum_decay=4e-3), "AMSGrad": fo.AMSGrad(lr=0.01),
        "AMSGrad-bc": fo.AMSGrad(lr=0.01, bias_correction=True), "RAdam": fo.RAdam(lr=0.01),
        "AdamP": fo.AdamP(lr=0.01), "AdamW": fo.AdamW(lr=0.01, weight_decay=0.1),
        "NAdamW": fo.NAdamW(lr=0.01), "RMSPropW": fo.RMSPropW(lr=0.01), "AdaGradW": fo.AdaGradW(lr=0.1),
        "Momentum-L2": fo.Momentum(lr=0.2, weight_decay=0.01),
        "AdamP-2d-wd": fo.AdamP(lr=0.01, weight_decay=0.1),
    }[name]


def digest(*arrays):
    """SHA-256 of the arrays' exact bits (little-endian, C order), with their dtypes and shapes."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
    return h.hexdigest()


def pow_fingerprint():
    """The bits of every ``math.pow`` the entries use, computed by a compiled function (as the
    kernels call it): β ∈ {0.9, 0.999} at t = 1 … 2100 and 0.96 at t·ψ (ψ = 4e-3)."""
    import numba

    @numba.njit(cache=False)
    def powers(bases, exponents):
        out = np.empty((bases.size, exponents.size))
        for i in range(bases.size):
            for j in range(exponents.size):
                out[i, j] = math.pow(bases[i], exponents[j])
        return out

    t = np.arange(1.0, 2101.0)
    return digest(powers(np.array([0.9, 0.999]), t), powers(np.array([0.96]), t * 4e-3))


def inputs(dtype, d=1):
    import fastoptim as fo
    return fo.data.synthetic(N_POINTS, w=1.5 if d == 1 else [1.5, -0.5, 0.25][:d], b=-0.5, noise=0.1, d=d,
                             seed=3, dtype=dtype)


def model_entries(rules=None, dtypes=DTYPES):
    """Loss and gradient sums, both losses, 1-D and 3-feature data, with weights, both dtypes."""
    import fastoptim as fo
    entries = {}
    for dtype in dtypes:
        for d in (1, 3):
            data = inputs(dtype, d)
            # random weights: with evenly spaced ones, s·r·x grouped as s·(r·x) happened to sum to the same bits
            weights = (np.random.default_rng(4).random(N_POINTS) + 0.5).astype(dtype)
            weighted = fo.Dataset(data.X, data.y, weights=weights)
            theta = np.linspace(-0.7, 0.9, d + 1)
            labels = fo.Dataset(data.X, (data.y > 0.5).astype(dtype), weights=weights)  # the log loss: y in {0, 1}
            for loss in ("squared", "log"):
                cases = (("sum", data, "sum"), ("weighted-mean", weighted, "mean")) if loss == "squared" else (
                    ("sum", fo.Dataset(data.X, labels.y), "sum"), ("weighted-mean", labels, "mean"))
                for name, dataset, reduction in cases:
                    value, grad = fo.model.loss_and_gradient(dataset, theta, reduction, loss)
                    entries[f"model/{dtype}/d{d}/{loss}/{name}"] = (False, digest(np.float64(value), grad))
                # and 16 weighted points one at a time: a 1-ulp change of a point's term (s·r·x
                # grouped otherwise) is the result itself; in a sum of many, the partial sums'
                # roundings absorb most such changes
                weighted_data = cases[1][1]
                points = [fo.model.loss_and_gradient(
                    fo.Dataset(weighted_data.X[i:i + 1], weighted_data.y[i:i + 1], weights=weighted_data.weights[i:i + 1]),
                    theta, "sum", loss) for i in range(16)]
                entries[f"model/{dtype}/d{d}/{loss}/weighted-points"] = (False, digest(
                    np.array([value for value, _ in points]), np.array([grad for _, grad in points])))
    return entries


def update_entries(rules=RULES, dtypes=DTYPES):
    """UPDATE_STEPS steps of opt.step on fixed gradients, θ of shape (4, 6) (AdamP projects
    there; the other rules see 24 elements), every rule, both dtypes: θ and the slots."""
    entries = {}
    for name in rules:
        for dtype in dtypes:
            rng = np.random.default_rng(5)
            params = rng.normal(size=(4, 6)).astype(dtype)
            opt = optimizer(name)
            state = opt.init(params)
            for _ in range(UPDATE_STEPS):
                # gradients nearly orthogonal to θ in some steps (AdamP's projection applies)
                grads = rng.normal(size=(4, 6)).astype(dtype)
                opt.step(params, grads, state)
            entries[f"update/{name}/{dtype}"] = (name in POW_RULES, digest(params, state.slots))
    return entries


def train_entries(rules=RULES, dtypes=DTYPES):
    """fastoptim.train of every rule, both dtypes, each regime: θ, the trajectory, the step and
    epoch losses and the final slots."""
    import fastoptim as fo
    entries = {}
    for dtype in dtypes:
        data = inputs(dtype)
        for name in rules:
            for regime, (batch_size, epochs, shuffle) in REGIMES.items():
                run = fo.train(data, optimizer(name), epochs=epochs, batch_size=batch_size, init=(-1.0, 1.0),
                               shuffle=shuffle, seed=11, record="step")
                entries[f"train/{name}/{dtype}/{regime}"] = (
                    name in POW_RULES, digest(run.theta, run.trajectory, run.step_loss, run.loss, run.state.slots))
    return entries


def input_digests():
    out = {}
    for dtype in DTYPES:
        for d in (1, 3):
            data = inputs(dtype, d)
            out[f"{dtype}/d{d}"] = digest(data.X, data.y)
    return out


def compute(parts=("model", "update", "train"), rules=RULES, dtypes=DTYPES):
    makers = {"model": model_entries, "update": update_entries, "train": train_entries}
    entries = {}
    for part in parts:
        entries.update(makers[part](rules, dtypes))
    return entries


def group(key):
    """The test group of an entry: ``model-float64``, ``update-Adam-float32``, ``train-GD-float64``."""
    parts = key.split("/")
    return f"model-{parts[1]}" if parts[0] == "model" else f"{parts[0]}-{parts[1]}-{parts[2]}"


def stored():
    with open(GOLDEN_PATH, encoding="utf-8") as f:
        return json.load(f)


def write():
    import numba
    entries = compute()
    document = {
        "about": "SHA-256 of exact result bits (tests/golden.py); regenerate with "
                 "`NUMBA_CACHE_DIR=$(mktemp -d) python -m tests.golden --write`, in a commit of its own saying why",
        "made_with": {"numpy": np.__version__, "numba": numba.__version__},
        "inputs": input_digests(),
        "pow_fingerprint": pow_fingerprint(),
        "entries": {key: {"pow": uses_pow, "sha256": value} for key, (uses_pow, value) in sorted(entries.items())},
    }
    os.makedirs(os.path.dirname(GOLDEN_PATH), exist_ok=True)
    with open(GOLDEN_PATH, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(entries)} entries to {GOLDEN_PATH}")


def differences():
    want = stored()["entries"]
    got = compute()
    return sorted(key for key in want if got[key][1] != want[key]["sha256"])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate tests/data/golden.json")
    parser.add_argument("--cpus", action="store_true",
                        help="compare against the stored file with the kernels compiled for the host, "
                             "haswell (AVX2) and generic (SSE2) CPUs, each in a fresh process and cache")
    args = parser.parse_args(argv)
    if args.write:
        write()
        return 0
    if args.cpus:
        import tempfile
        status = 0
        for cpu in ("host", "haswell", "generic"):
            env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix=f"golden-{cpu}-"))
            if cpu != "host":
                env["NUMBA_CPU_NAME"] = cpu
            out = subprocess.run([sys.executable, "-m", "tests.golden"], env=env, capture_output=True, text=True)
            print(f"{cpu}: {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]}")
            status |= out.returncode
        return status
    bad = differences()
    for key in bad:
        print(f"differs: {key}")
    print(f"{len(bad)} of {len(stored()['entries'])} entries differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
