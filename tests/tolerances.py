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
