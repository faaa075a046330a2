"""The mutation check: does the test suite catch the bugs it claims to?

    python -m tests.mutation                 # every mutant (7-20 min on 2 cores); prints the table
    python -m tests.mutation --list          # the mutants and the equivalent ones, without running
    python -m tests.mutation --only ID,ID    # some of them
    python -m tests.mutation --baseline      # the chosen tests pass on the unmutated copy
    python -m tests.mutation --markdown FILE # also write the table as markdown

Each mutant is one deliberate bug: an exact piece of source text in ``kernels/`` or
``fastoptim/`` replaced by another. It is applied to a scratch copy of the repository (never to
the working tree), and a small, targeted set of test files or test ids is run there with
``pytest -x`` and a fresh ``NUMBA_CACHE_DIR`` (so no kernel compiled from the unmutated source
can be loaded). A mutant is *killed* when some test fails; the table names the first failing
test. A mutant that survives is a hole in the suite: sharpen or add a test until it is killed.
Mutants that are equivalent by construction (they cannot change any result) are listed in
``EQUIVALENT`` with the reason, and not run.

Not part of CI (too slow: every mutant recompiles the kernels its tests use).
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COPIED = ("fastoptim", "kernels", "tests", "backend", "pyproject.toml", "README.md")


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    tests: tuple  # pytest arguments: files or node ids, in the order they are run (-x)
    what: str
    count: int = 1  # occurrences of ``old`` expected in the file (all are replaced)
    planted: bool = False  # one of the bugs issue 19 lists


O = "tests/test_orchestration.py"
OPT = "tests/test_optimizers.py"
TR = "tests/test_training.py"
SCH = "tests/test_schedules.py"
G = "tests/test_golden.py::test_golden_bits"


def opt(name, dtype="float64"):
    return f"{OPT}::test_every_optimizer_matches_the_reference[{name}-{dtype}]"


def golden(group):
    return f"{G}[{group}]"


MUTANTS = [
    # --- each rule's formula (kernels/updates.py) -------------------------------------------------
    Mutant("gd-sign", "kernels/updates.py", "return p * like(p, c.shrink) - like(p, c.lr) * g",
           "return p * like(p, c.shrink) + like(p, c.lr) * g", (opt("GD"),), "GD steps uphill"),
    Mutant("momentum-no-lr", "kernels/updates.py", "    u = carried + lr * g\n", "    u = carried + g\n",
           (opt("Momentum"),), "Momentum accumulates g, not ηg"),
    Mutant("nesterov-as-momentum", "kernels/updates.py", "return p * like(p, c.decay) - (beta * u + lr * g), u",
           "return p * like(p, c.decay) - u, u", (opt("Nesterov"),), "Nesterov's stored form steps as Momentum"),
    Mutant("adagrad-double-v", "kernels/updates.py", "    v = v + g * g\n", "    v = v + g * g + g * g\n",
           (opt("AdaGrad"),), "AdaGrad accumulates 2g²"),
    Mutant("rmsprop-no-one-minus-beta", "kernels/updates.py",
           "v = like(p, c.beta) * v + like(p, c.one_minus_beta) * g * g",
           "v = like(p, c.beta) * v + g * g", (opt("RMSProp"),), "RMSProp without (1−β) on g²"),
    Mutant("adadelta-eps", "kernels/updates.py", "delta = g * math.sqrt(u + eps) / math.sqrt(v + eps)",
           "delta = g * math.sqrt(u + eps) / math.sqrt(v + eps + eps)", (opt("AdaDelta"),), "AdaDelta's ε doubled in √(v+ε)"),
    Mutant("adam-bias2-no-sqrt", "kernels/updates.py",
           "lr / bias_correction1,\n                    1.0 / math.sqrt(bias_correction2), eps * 1.0, decay, l2)",
           "lr / bias_correction1,\n                    1.0 / bias_correction2, eps * 1.0, decay, l2)",
           (opt("Adam"),), "Adam divides by 1−β2^t, not its root (AdaMax, AMSGrad-bc share it)"),
    Mutant("adam-eps-inside-sqrt", "kernels/updates.py",
           "    denominator = math.sqrt(v) * like(p, c.inverse_root_bias2) + like(p, c.eps)\n    return p * like(p, c.decay) - like(p, c.step_size) * m / denominator, m, v",
           "    denominator = math.sqrt(v + like(p, c.eps)) * like(p, c.inverse_root_bias2)\n    return p * like(p, c.decay) - like(p, c.step_size) * m / denominator, m, v",
           (opt("Adam"),), "Adam's ε inside the root"),
    Mutant("adamax-no-abs", "kernels/updates.py", "u = _maximum(like(p, c.beta2) * u, abs(g))",
           "u = _maximum(like(p, c.beta2) * u, g)", (opt("AdaMax"),), "AdaMax's infinity norm without |g|"),
    Mutant("nadam-lecture-no-beta1", "kernels/updates.py", "coefficient_m = lr * beta1 / bias_correction1",
           "coefficient_m = lr / bias_correction1", (opt("NAdam"),), "NAdam (lecture form) without β1 on m̂"),
    Mutant("nadam-psi-mu-next", "kernels/updates.py",
           "mu_next = beta1 * _one_minus_power(0.96, (step + 1) * momentum_decay, 0.5)",
           "mu_next = beta1 * _one_minus_power(0.96, step * momentum_decay, 0.5)",
           (f"{OPT}::test_nadam_momentum_decay_keeps_the_product_in_the_state", golden("update-NAdam-psi-float64")),
           "NAdam(ψ) uses μ_t for μ_{t+1}"),
    Mutant("amsgrad-no-max", "kernels/updates.py", "    v_max = _maximum(v_max, v)\n", "    v_max = v\n",
           (opt("AMSGrad"),), "AMSGrad forgets the running maximum (Adam without bias correction)"),
    Mutant("amsgrad-bias-correction-flag", "kernels/updates.py", "    if bias_correction:\n        bias_correction1",
           "    if not bias_correction:\n        bias_correction1", (opt("AMSGrad"),),
           "AMSGrad's bias_correction flag inverted"),
    Mutant("radam-threshold-4", "kernels/updates.py", "    if rho > 5.0:\n", "    if rho > 4.0:\n",
           (f"{OPT}::test_radam_switches_branch_when_rho_passes_five", opt("RAdam")), "RAdam rectifies from ρ > 4"),
    Mutant("radam-unrectified-adaptive", "kernels/updates.py",
           "if c.rectified != 0.0 else m\n", "if c.rectified != 0.0 else m / (math.sqrt(v) + like(p, c.eps))\n",
           (opt("RAdam"),), "RAdam's early steps adaptive instead of SGD with momentum"),
    Mutant("adamp-row-threshold", "kernels/updates.py", "if largest < delta / math.sqrt(size // rows):",
           "if largest < delta / math.sqrt(size):",
           (f"{OPT}::test_adamp_projection_is_exercised_and_matches",
            f"{OPT}::test_adamp_projects_per_row_between_the_row_and_the_whole_threshold"),
           "AdamP's per-row test uses the whole size"),
    Mutant("adamp-wd-ratio", "kernels/updates.py",
           "projected_decay = 1.0 - lr * weight_decay * wd_ratio if decoupled else 1.0",
           "projected_decay = 1.0 - lr * weight_decay if decoupled else 1.0",
           (f"{OPT}::test_adamp_projection_is_exercised_and_matches", golden("update-AdamP-2d-wd-float64")),
           "AdamP's projected step ignores wd_ratio"),
    Mutant("adamp-nesterov-ignored", "kernels/updates.py",
           "direction = beta1 * m + one_minus_beta1 * g if c.nesterov else m",
           "direction = m", (f"{OPT}::test_adamp_nesterov_direction",),
           "AdamP(nesterov=True) on a 1-D array takes Adam's direction"),
    Mutant("decoupled-decay-no-lr", "kernels/updates.py", "        return 1.0 - lr * weight_decay, 0.0",
           "        return 1.0 - weight_decay, 0.0", (golden("update-AdamW-float64"), opt("AdamW")), "decoupled decay θ(1−λ) instead of θ(1−ηλ)"),
    Mutant("coupled-decay-half", "kernels/updates.py", "    return 1.0, weight_decay * 1.0",
           "    return 1.0, weight_decay * 0.5", (f"{O}::test_every_rule_through_the_loop", golden("train-Momentum-L2-float64")),
           "coupled decay adds λθ/2"),
    Mutant("pow-integer-exponent", "kernels/updates.py",
           "return _one_minus_power(beta1, float(step), 1.0), _one_minus_power(beta2, float(step), 1.0)",
           "return 1.0 - beta1 ** step, 1.0 - beta2 ** step",
           (f"{OPT}::test_one_minus_power_skips_pow_only_where_it_gives_the_same_bits", golden("update-Adam-float64"),
            golden("train-Adam-float64")),
           "the bias corrections by repeated multiplication (the bug kernels/updates.py documents)", planted=True),
    Mutant("pow-shortcut-too-early", "kernels/updates.py", "POWER_NEGLIGIBLE = 42.0", "POWER_NEGLIGIBLE = 20.0",
           (f"{OPT}::test_one_minus_power_skips_pow_only_where_it_gives_the_same_bits", golden("train-Adam-float64")),
           "the pow shortcut taken where β^t still matters (β1 = 0.9 from t = 200)"),
    # --- the model's sums (kernels/model.py) --------------------------------------------------------
    Mutant("block-256", "kernels/model.py", "BLOCK = 512\n", "BLOCK = 256\n",
           (golden("model-float64"), golden("train-GD-float64")),
           "every sum reordered: blocks of 256", planted=True),
    Mutant("block-sums-reversed", "kernels/model.py",
           "    partial = np.empty(out.size)\n    for first in range(start, stop, BLOCK):",
           "    partial = np.empty(out.size)\n    for first in range(start + ((stop - start - 1) // BLOCK) * BLOCK, start - 1, -BLOCK):",
           (golden("model-float64"), golden("train-GD-float64"),
            "tests/test_model.py::test_serial_and_parallel_kernels_have_the_same_bits"),
           "the blocks' sums added last to first", planted=True),
    Mutant("lanes-tree", "kernels/model.py", "    return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))",
           "    return (((l0 + l1) + l2) + l3) + ((l4 + l5) + (l6 + l7))",
           (golden("model-float64"),), "the lanes combined in another tree"),
    Mutant("feature-lanes-tree", "kernels/model.py",
           "out[1 + k] += ((lanes[0, k] + lanes[1, k]) + (lanes[2, k] + lanes[3, k]))",
           "out[1 + k] += ((lanes[0, k] + lanes[2, k]) + (lanes[1, k] + lanes[3, k]))",
           (golden("model-float64"),), "d > 1: the gradient's lanes combined in another tree"),
    Mutant("product-grouping", "kernels/model.py", "                products[i] = s * r * x\n",
           "                products[i] = s * (r * x)\n", (golden("model-float64"),),
           "1-D: s·r·x grouped as s·(r·x)"),
    Mutant("squared-error-derivative", "kernels/model.py", "return 0.5 * e * e, e * f * (1.0 - f)",
           "return 0.5 * e * e, e * f * f", ("tests/test_model.py::test_kernel_equals_reference",), "∂ℓ/∂z of the squared error wrong"),
    Mutant("log-loss-residual-sign", "kernels/model.py", "+ log1p_unit(e), f - y", "+ log1p_unit(e), y - f",
           ("tests/test_logistic.py::test_loss_and_gradient_equal_the_reference",), "the log loss's residual with the wrong sign"),
    Mutant("sigmoid-one-branch", "kernels/model.py",
           "    e = exp(-abs(z))\n    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)",
           "    e = exp(-abs(z))\n    return 1.0 / (1.0 + e) if z >= 0.0 else 1.0 / (1.0 + 1.0 / e)",
           ("tests/test_model.py::test_sigmoid_ufunc", golden("train-GD-float64")),
           "σ(z < 0) as 1/(1 + 1/e): a few ulps off"),
    # --- the training loop (kernels/epochs.py) ------------------------------------------------------
    Mutant("float32-not-widened-batch1", "kernels/epochs.py",
           "point_terms(loss, np.float64(wp) * x + np.float64(bp), np.float64(gather(ys, index, 0)))",
           "point_terms(loss, np.float64(wp * to(x)) + np.float64(bp), np.float64(gather(ys, index, 0)))",
           (golden("train-Adam-float32"),), "batch size 1: w·x formed in float32, not float64", planted=True),
    Mutant("step-counter-array-path", "kernels/epochs.py", "            step = step0 + k + 1\n",
           "            step = step0 + k + 2\n", (f"{O}::test_every_rule_through_the_loop",),
           "d > 1 / line search: t one too many"),
    Mutant("step-counter-off-by-one", "fastoptim/training.py", "step0 = plan.first_step + done\n",
           "step0 = plan.first_step + done + 1\n", (f"{O}::test_every_rule_through_the_loop", golden("train-Adam-float64")),
           "Adam's bias-correction t (and every step counter) off by one", planted=True),
    Mutant("state-step-saved-off-by-one", "fastoptim/training.py", "state.step = plan.first_step + done\n",
           "state.step = plan.first_step + done + 1\n", (f"{O}::test_resume_in_the_middle_of_a_run",),
           "the run's saved step count one too many"),
    Mutant("batch-slice-drops-last-point", "kernels/epochs.py",
           "                start = (first_batch + k) * batch_size\n                stop = min(n, start + batch_size)\n",
           "                start = (first_batch + k) * batch_size\n                stop = min(n - 1, start + batch_size)\n",
           (f"{O}::test_drop_last", golden("train-GD-float64")), "the last batch of an epoch misses the last point"),
    Mutant("drop-last-ignored", "fastoptim/plan.py", "return n // batch_size if drop_last else -(-n // batch_size)",
           "return -(-n // batch_size)", (f"{TR}::test_steps_per_epoch",), "drop_last ignored"),
    Mutant("shuffle-seed-plus-one", "fastoptim/training.py", "rng = np.random.default_rng(plan.seed)\n",
           "rng = np.random.default_rng(plan.seed + 1)\n", (f"{O}::test_shuffle_with_several_seeds",),
           "shuffling with default_rng(seed + 1)", planted=True),
    Mutant("same-permutation-every-epoch", "fastoptim/training.py",
           "            if order is not None:\n                permutation_into(order, rng)",
           "            if order is not None and epoch == 0:\n                permutation_into(order, rng)",
           (f"{O}::test_shuffle_with_several_seeds",), "the same permutation every epoch", planted=True),
    Mutant("shuffle-rejection-bound", "kernels/shuffle.py", "                if value <= bound:\n",
           "                if value < bound:\n", ("tests/test_shuffle.py",), "the compiled shuffle rejects its bound"),
    Mutant("validation-split-seed", "fastoptim/data.py", "order = np.random.default_rng(seed).permutation(self.n)",
           "order = np.random.default_rng(seed + 1).permutation(self.n)",
           (f"{O}::test_validation_fraction_split_and_shuffle_use_two_generators",), "the validation split's seed"),
    Mutant("validation-split-rounding", "fastoptim/data.py", "n_validation = int(round(fraction * self.n))",
           "n_validation = int(fraction * self.n)", ("tests/test_data.py::test_split_rounds_the_validation_size",
                                                     f"{O}::test_validation_and_controllers"),
           "the validation part's size truncated, not rounded"),
    Mutant("divergence-rewind-keeps-slots", "kernels/epochs.py",
           "        assign(theta, start_theta)\n        assign(slots, start_slots)\n",
           "        assign(theta, start_theta)\n", (f"{O}::test_divergence_mid_epoch_when_a_state_slot_overflows",
                                                   f"{TR}::test_divergence_keeps_the_state_from_before_the_step"),
           "a divergence rewinds θ but not the slots"),
    Mutant("divergence-register-count", "kernels/epochs.py",
           "                if not ok:\n                    done = k\n                    break\n                _record_register_step(step_loss, step_lr, step_beta, trajectory, k, s * value",
           "                if not ok:\n                    done = k + 1\n                    break\n                _record_register_step(step_loss, step_lr, step_beta, trajectory, k, s * value",
           (f"{O}::test_divergence_mid_epoch_when_the_gradient_overflows",
            f"{TR}::test_divergence_keeps_the_state_from_before_the_step"),
           "batch 1: the diverging step counted as done"),
    Mutant("resume-rng-not-restored", "fastoptim/training.py",
           "    if plan.rng_state is not None:\n        rng.bit_generator.state = plan.rng_state",
           "    if False:\n        rng.bit_generator.state = plan.rng_state", (f"{O}::test_resume_in_the_middle_of_a_run",),
           "resume draws its permutations from a fresh generator"),
    Mutant("resume-step-count", "fastoptim/plan.py", "first_epoch, first_step = resume.epochs, resume.steps\n",
           "first_epoch, first_step = resume.epochs, resume.steps - 1\n", (f"{O}::test_resume_in_the_middle_of_a_run",),
           "resume continues the step counter one short"),
    Mutant("controller-fed-training-loss", "fastoptim/training.py",
           "controller.update(record.validation_loss[epoch])", "controller.update(record.loss[epoch])",
           (f"{O}::test_validation_and_controllers",), "the plateau controller reads the training loss"),
    Mutant("halve-by-other-factor", "fastoptim/plateau.py", "            lr *= 0.5\n", "            lr *= 0.4\n",
           (f"{SCH}::test_halve_on_increase_follows_the_lecture_rule",), "halve_on_increase multiplies by 0.4"),
    Mutant("halve-on-equal", "fastoptim/plateau.py", "if self._epochs > 0 and loss > self._previous_loss:",
           "if self._epochs > 0 and loss >= self._previous_loss:",
           (f"{SCH}::test_halve_on_increase_follows_the_lecture_rule", f"{O}::test_naive_controllers_follow_their_rules"),
           "halve_on_increase halves on an equal loss"),
    Mutant("plateau-patience", "fastoptim/plateau.py", "        if self._bad_epochs > self._patience:\n",
           "        if self._bad_epochs >= self._patience:\n",
           (f"{SCH}::test_reduce_on_plateau_matches_pytorch_semantics",), "ReduceOnPlateau one epoch early"),
    Mutant("plateau-threshold", "fastoptim/plateau.py", "loss < self._best * (1.0 - self._threshold)",
           "loss < self._best", (f"{SCH}::test_reduce_on_plateau_matches_pytorch_semantics",),
           "ReduceOnPlateau ignores its threshold"),
    Mutant("line-search-last-of-ties", "kernels/epochs.py", "        if value < best:\n", "        if value <= best:\n",
           (f"{O}::test_line_search_first_lowest_wins",), "line search keeps the last of equal losses"),
    Mutant("per-epoch-counter", "fastoptim/plan.py", "return np.full(n, epoch, dtype=np.int64)",
           "return np.full(n, epoch + 1, dtype=np.int64)", (f"{O}::test_schedules_per_epoch",),
           "per='epoch' schedules counted from 1"),
    # --- schedules (kernels/schedules.py) -------------------------------------------------------------
    Mutant("inverse-time-counter", "kernels/schedules.py", "values[i] = lr / (1.0 + k * counter_value(block[i] - offset))",
           "values[i] = lr / (1.0 + k * (counter_value(block[i] - offset) + 1.0))",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t",), "inverse_time's t + 1"),
    Mutant("cosine-period", "kernels/schedules.py", "value = annealing(min(ti, period) / period, max_lr, min_lr)",
           "value = annealing(min(ti, period) / (period + 1.0), max_lr, min_lr)",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t", f"{SCH}::test_cosine_ends_exactly_at_min_lr_and_stays"),
           "cosine over T + 1"),
    Mutant("linear-warmup-ramp", "kernels/schedules.py", "ramp = start_lr + (lr - start_lr) * (ti / warmup)",
           "ramp = start_lr + (lr - start_lr) * ((ti + 1.0) / warmup)",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t",), "linear warm-up one step ahead"),
    Mutant("sutskever-n", "kernels/schedules.py", "n = np.floor(counter_value(block[i] - offset) / every) + 1.0",
           "n = np.floor(counter_value(block[i] - offset) / every) + 2.0", (f"{SCH}::test_sutskever_momentum_values",),
           "Sutskever's momentum one period ahead"),
    Mutant("step-decay-ceil", "kernels/schedules.py", "m = np.floor(counter_value(block[i] - offset) / divisor)",
           "m = np.ceil(counter_value(block[i] - offset) / divisor)",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t",), "step decay's ⌊t/k⌋ as ⌈t/k⌉"),
    Mutant("cyclic-cycle-count", "kernels/schedules.py", "1.0 - abs(r / step_size - 2.0 + 1.0)), completed + 1.0",
           "1.0 - abs(r / step_size - 2.0 + 1.0)), completed + 2.0",
           (f"{SCH}::test_triangular2_halves_the_amplitude_each_cycle",), "triangular2 halves one cycle early"),
    Mutant("warm-restarts-start", "kernels/schedules.py", "values[i] = (ti - (next_start if later else start)) / (",
           "values[i] = (ti - start) / (", (f"{SCH}::test_warm_restarts_restart_at_every_period",),
           "warm restarts: a block spanning a restart keeps counting from the old start"),
    Mutant("transformer-warmup-t", "kernels/schedules.py",
           "t_plus_one = counter_value(block[i] - offset) + 1.0", "t_plus_one = counter_value(block[i] - offset) + 0.5",
           (f"{SCH}::test_transformer_warmup_peaks_at_the_end_of_warmup",), "transformer warm-up at t + ½"),
    Mutant("exponential-ceil", "kernels/schedules.py",
           "exponents[i] = np.floor(counter_value(block[i] - offset) / divisor)",
           "exponents[i] = np.ceil(counter_value(block[i] - offset) / divisor)",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t",), "exponential decay's ⌊t/k⌋ as ⌈t/k⌉"),
    Mutant("constant-value", "kernels/schedules.py", "        values[:] = lr\n", "        values[:] = lr * (1.0 + 2.0**-52)\n",
           (f"{SCH}::test_exact_values_at_zero_boundaries_and_huge_t", f"{SCH}::test_constant_is_exactly_its_rate"),
           "constant one ulp off"),
    Mutant("join-counter-not-restarted", "fastoptim/schedules.py",
           "firsts = [offset] + [offset + boundary for boundary in self.boundaries]",
           "firsts = [offset] + [offset + 0 * boundary for boundary in self.boundaries]",
           (f"{SCH}::test_join_hands_each_later_schedule_t_minus_its_boundary",),
           "join: later schedules see the counter from 0, not from their boundary"),
    # --- defaults (fastoptim/optimizers.py) -----------------------------------------------------------
    Mutant("adam-default-beta2", "fastoptim/optimizers.py", "betas: tuple[float, float] = _kw((0.9, 0.999))",
           "betas: tuple[float, float] = _kw((0.9, 0.99))", ("tests/test_optimizers_api.py::test_defaults_are_the_spec",),
           "Adam's default β2 0.99"),
    Mutant("rmsprop-default-beta", "fastoptim/optimizers.py", "    beta: float = _kw(0.9)\n    eps: float = _kw(1e-8)",
           "    beta: float = _kw(0.99)\n    eps: float = _kw(1e-8)", ("tests/test_optimizers_api.py::test_defaults_are_the_spec",),
           "RMSProp's default β PyTorch's 0.99"),
    Mutant("adadelta-default-eps", "fastoptim/optimizers.py", "eps: float = _kw(1e-6)", "eps: float = _kw(1e-8)",
           ("tests/test_optimizers_api.py::test_defaults_are_the_spec",), "AdaDelta's default ε"),
    Mutant("adamp-default-delta", "fastoptim/optimizers.py", "delta: float = _kw(0.1)", "delta: float = _kw(0.2)",
           ("tests/test_optimizers_api.py::test_defaults_are_the_spec",), "AdamP's default δ"),
    Mutant("adamw-default-decay", "fastoptim/optimizers.py",
           "Adam on the raw gradient; ``weight_decay`` 0.01, ``decoupled`` True (PyTorch's AdamW).\"\"\"\n\n    weight_decay: float = _kw(0.01)",
           "Adam on the raw gradient; ``weight_decay`` 0.01, ``decoupled`` True (PyTorch's AdamW).\"\"\"\n\n    weight_decay: float = _kw(0.001)",
           ("tests/test_optimizers_api.py::test_defaults_are_the_spec",), "AdamW's default λ"),
]

#: Mutants that cannot change any result, by construction (not run).
EQUIVALENT = [
    ("model GROUP = 32 → 16", "kernels/model.py: blocks per parallel task; each block's sums are kept in its own row "
     "and added in block order afterwards, so the grouping changes scheduling only (its docstring says so)"),
    ("updates CHUNK = 8192 → 4096", "kernels/updates.py: elements per prange chunk of an element-wise update; each "
     "element's arithmetic is independent of the others (AdamP's reductions always run serially)"),
    ("shuffle CHUNK = 64 → 32", "kernels/shuffle.py: swap partners drawn ahead; the draws depend on the generator "
     "alone and the swaps are applied in the same order, so the order is the same"),
    ("POWER_NEGLIGIBLE = 42 → 60", "kernels/updates.py: the shortcut returns 1.0 where 1 − β^t already rounds to 1.0 "
     "from 42 on; taking it later only calls pow where it gives 1.0 anyway"),
    ("cosine `ti >= period` → `ti > period`", "kernels/schedules.py: at ti = T the annealing is "
     "(cos_pi(1) + 1)·(…) + min_lr = 0·(…) + min_lr, exactly min_lr (cos_pi(1) = −1 exactly)"),
    ("PARALLEL_THRESHOLD (model, updates) changed", "serial and parallel kernels give the same bits by design "
     "(tests/test_model.py, tests/test_optimizers.py check it); the threshold only picks which runs"),
]


def scratch_copy(destination):
    for name in COPIED:
        source = os.path.join(ROOT, name)
        target = os.path.join(destination, name)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
        else:
            shutil.copy2(source, target)


def check_mutants(mutants):
    """Every ``old`` occurs exactly ``count`` times in its file (else the list is stale)."""
    problems = []
    for m in mutants:
        with open(os.path.join(ROOT, m.file), encoding="utf-8") as f:
            text = f.read()
        found = text.count(m.old)
        if found != m.count:
            problems.append(f"{m.id}: {m.file} has {found} occurrences of its text, expected {m.count}")
    ids = [m.id for m in mutants]
    problems += [f"duplicate id {i}" for i in set(ids) if ids.count(i) > 1]
    return problems


def run_tests(copy, tests, timeout):
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="mutant-cache-"), PYTHONPATH=copy,
               NUMBA_NUM_THREADS=os.environ.get("NUMBA_NUM_THREADS", "1"), PYTHONDONTWRITEBYTECODE="1")
    # (a fixed Hypothesis seed: a property test draws the same examples for every mutant and run)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "--tb=line", "-p", "no:cacheprovider",
               "-p", "no:randomly", "--hypothesis-seed=0", *tests]
    started = time.perf_counter()
    try:
        out = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
        code, text = out.returncode, out.stdout + out.stderr
    except subprocess.TimeoutExpired as error:
        code, text = "timeout", (error.stdout or b"").decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
    finally:
        shutil.rmtree(env["NUMBA_CACHE_DIR"], ignore_errors=True)
    return code, text, time.perf_counter() - started


def first_failure(text):
    for line in text.splitlines():
        match = re.match(r"^(FAILED|ERROR) (\S+)", line)
        if match:
            return match.group(2)
    return None


def apply(copy, mutant):
    path = os.path.join(copy, mutant.file)
    with open(path, encoding="utf-8") as f:
        original = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(original.replace(mutant.old, mutant.new))
    return path, original


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and the equivalent ones")
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--baseline", action="store_true", help="run every mutant's tests on the unmutated copy")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant (default 600)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--logs", help="write each mutant's pytest output to DIR/ID.txt")
    args = parser.parse_args(argv)
    mutants = MUTANTS
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {m.id for m in MUTANTS}
        if unknown:
            parser.error(f"unknown mutant ids: {sorted(unknown)}")
        mutants = [m for m in MUTANTS if m.id in wanted]
    problems = check_mutants(MUTANTS)
    if problems:
        print("\n".join(problems))
        return 2
    if args.list:
        for m in mutants:
            print(f"{m.id:34} {m.file:24} {'(planted) ' if m.planted else ''}{m.what}")
        print(f"\n{len(mutants)} mutants; equivalent by construction (not run):")
        for name, reason in EQUIVALENT:
            print(f"  {name}: {reason}")
        return 0
    copy = tempfile.mkdtemp(prefix="fastoptim-mutation-")
    try:
        scratch_copy(copy)
        probe = subprocess.run([sys.executable, "-c", "import fastoptim, fastoptim.kernels as k; "
                                "print(fastoptim.__file__); print(k.__file__)"], cwd=copy, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=copy))
        if probe.returncode != 0 or any(not line.startswith(copy) for line in probe.stdout.split()):
            print(f"the scratch copy does not import its own source:\n{probe.stdout}{probe.stderr}")
            return 2
        if args.baseline:
            tests = list(dict.fromkeys(t for m in mutants for t in m.tests))
            code, text, seconds = run_tests(copy, tests, args.timeout * 4)
            print(text[-3000:])
            print(f"baseline: exit {code} in {seconds:.0f} s over {len(tests)} selections")
            return 0 if code == 0 else 1
        rows = []
        started = time.perf_counter()
        for number, m in enumerate(mutants, 1):
            path, original = apply(copy, m)
            try:
                code, text, seconds = run_tests(copy, m.tests, args.timeout)
            finally:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original)
            if code == 0:
                verdict, by = "SURVIVED", "-"
            elif code == 1:
                verdict, by = "killed", first_failure(text) or "?"
            elif code == "timeout":
                verdict, by = "killed (timeout)", "-"
            else:
                verdict, by = f"killed (pytest exit {code})", first_failure(text) or text.strip().splitlines()[-1:]
            rows.append((m, verdict, by, seconds))
            if args.logs:
                os.makedirs(args.logs, exist_ok=True)
                with open(os.path.join(args.logs, m.id + ".txt"), "w", encoding="utf-8") as f:
                    f.write(text)
            print(f"[{number}/{len(mutants)}] {m.id}: {verdict} by {by} ({seconds:.0f} s)", flush=True)
            if code not in (0, 1):
                print(text[-1500:], flush=True)
        total = time.perf_counter() - started
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    survived = [r for r in rows if r[1] == "SURVIVED"]
    lines = ["| mutant | file | bug | verdict | killed by | s |", "|---|---|---|---|---|---|"]
    for m, verdict, by, seconds in rows:
        lines.append(f"| {m.id}{' (planted)' if m.planted else ''} | {m.file} | {m.what} | {verdict} | `{by}` | "
                     f"{seconds:.0f} |")
    lines.append("")
    lines.append("Equivalent by construction (not run):")
    lines += [f"- {name}: {reason}" for name, reason in EQUIVALENT]
    lines.append("")
    lines.append(f"{len(rows) - len(survived)} of {len(rows)} killed, {len(survived)} survived, in {total / 60:.1f} min")
    table = "\n".join(lines)
    print("\n" + table)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table + "\n")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
