"""Every tolerance the tests use, in one place, each with its justification.

Comparisons are relative: ``|a - b| <= rtol * max(|b|, floor)`` where the floor keeps the
test meaningful for values near zero (see ``tests/helpers.py``).
"""

# --- model kernels (loss, gradient, surface) -----------------------------------------------
# Kernel and reference both compute each point in float64 (float32 data is widened once), so
# they differ only by the order of the float64 sum and by the kernel's polynomial exp
# (relative error < 3e-16 against np.exp, tests/test_exp.py). Over N <= 1e5 terms the sum's
# rounding is bounded by ~N * eps * sum|terms|; measured differences are ~1e-15 relative.
MODEL_RTOL = {"float64": 1e-12, "float32": 1e-12}
# Absolute floor, relative to the sum of |per-point terms|, for sums that cancel to ~0.
MODEL_CANCELLATION_FLOOR = 1e-12

# --- update kernels versus the numpy reference (tests/test_optimizers*.py) -----------------
# PLACEHOLDER (being measured)
UPDATE_RTOL = {"float64": 1e-12, "float32": 2e-6}
UPDATE_ABSOLUTE = {"float64": 1e-14, "float32": 1e-6}

# --- whole training runs: fastoptim.train versus fastoptim.reference.train --------------------
# float64: the compiled and the numpy runs differ per step only by the gradient's summation
# order and exp (~1e-16 relative) and by FMA contraction in the update (~1 ulp); over a few
# hundred steps of a contracting optimization these stay far below 1e-10 (measured ~1e-14).
# float32: the gradient is rounded to float32 before each update and the update runs in
# float32, so a 1e-16 difference can flip a rounding (one float32 ulp, 6e-8 relative) at any
# step; such flips accumulate like a random walk over N steps, ~sqrt(N) ulps: 1e-5 covers
# 1000 steps with a margin of 5 (measured below 2e-6).
TRAIN_RTOL = {"float64": 1e-10, "float32": 1e-5}
# θ of the neuron is O(1): compare relative to max(|θ|, 1).
TRAIN_FLOOR = 1.0
