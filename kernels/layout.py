"""The contract between the kernels and the Python layer, without numba (cheap to import).

Optimizer rules
---------------
Each update rule of SPEC §3 has its own hyperparameter record, a ``NamedTuple`` of floats
(booleans as 0.0 / 1.0). The compiled kernels dispatch on the record's *type*: a kernel called
with an ``AdamHyper`` is compiled for Adam alone (and cached), so a run compiles only the rule it
uses. The fields are the rule's hyperparameters in the order of its public kernel's arguments
(``kernels.updates.adam_update(..., beta1, beta2, eps, weight_decay, decoupled)``).

``SLOT_NAMES[record type]`` names the per-element state arrays (rows of ``slots``) of each rule;
``MOMENTUM_FIELD[record type]`` is the field that a momentum schedule (SPEC §5, Sutskever et al.
2013) replaces step by step, or None where the rule's β is not a momentum (RMSProp's and
AdaDelta's β average squared gradients).

The per-run scalar state (``scalars``, float64, ``N_SCALARS`` long): ``scalars[S_MU_PRODUCT]``
is NAdam's running product ``Π_{t-1}`` (1.0 at the start; used only with ``momentum_decay > 0``),
``scalars[S_ROWS]`` AdamP's row count (0 for a 1-D array, which AdamP updates as Adam).

Losses
------
The model's loss is chosen by the type of an empty record: ``SquaredError()`` (SPEC §1, the
lecture's ``½ (f − y)²``) or ``LogLoss()`` (SPEC §9, cross-entropy), so each loss compiles its
own loops; likewise ``Serial()`` or ``Parallel()`` says whether the epoch loop may run big
batches on several threads (only then is the parallel kernel compiled into it).
"""
from typing import NamedTuple


class GDHyper(NamedTuple):
    weight_decay: float
    decoupled: float


class MomentumHyper(NamedTuple):
    beta: float
    weight_decay: float
    decoupled: float


class NesterovHyper(NamedTuple):
    beta: float
    weight_decay: float
    decoupled: float


class LookaheadHyper(NamedTuple):
    """Nesterov in the lecture's look-ahead form, as ``fastoptim.train`` runs it: Momentum's
    rule applied with the gradient at ``θ − β u`` (SPEC §3.1), the look-ahead chosen at
    compile time by this type."""
    beta: float
    weight_decay: float
    decoupled: float


class AdaGradHyper(NamedTuple):
    eps: float
    weight_decay: float
    decoupled: float


class RMSPropHyper(NamedTuple):
    beta: float
    eps: float
    weight_decay: float
    decoupled: float


class AdaDeltaHyper(NamedTuple):
    beta: float
    eps: float
    weight_decay: float
    decoupled: float


class AdamHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float


class AdaMaxHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float


class NAdamHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float
    momentum_decay: float  # ψ; 0.0 is the lecture's form


class AMSGradHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float
    bias_correction: float  # 1.0: PyTorch's Adam(amsgrad=True)


class RAdamHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float


class AdamPHyper(NamedTuple):
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: float
    delta: float
    wd_ratio: float
    nesterov: float  # 1.0: the Nesterov direction


#: Every rule's record type, in SPEC §3's order.
RULES = (GDHyper, MomentumHyper, NesterovHyper, AdaGradHyper, RMSPropHyper, AdaDeltaHyper,
         AdamHyper, AdaMaxHyper, NAdamHyper, AMSGradHyper, RAdamHyper, AdamPHyper)

#: The state slots of each rule, in row order of ``slots``.
SLOT_NAMES = {
    GDHyper: (), MomentumHyper: ("velocity",), NesterovHyper: ("velocity",), LookaheadHyper: ("velocity",),
    AdaGradHyper: ("v",), RMSPropHyper: ("v",), AdaDeltaHyper: ("v", "u"),
    AdamHyper: ("m", "v"), AdaMaxHyper: ("m", "u"), NAdamHyper: ("m", "v"),
    AMSGradHyper: ("m", "v", "v_max"), RAdamHyper: ("m", "v"), AdamPHyper: ("m", "v"),
}
MAX_SLOTS = max(len(names) for names in SLOT_NAMES.values())

#: The field a momentum schedule replaces, or None (the rule has no momentum).
MOMENTUM_FIELD = {
    GDHyper: None, MomentumHyper: "beta", NesterovHyper: "beta", LookaheadHyper: "beta", AdaGradHyper: None,
    RMSPropHyper: None, AdaDeltaHyper: None, AdamHyper: "beta1", AdaMaxHyper: "beta1",
    NAdamHyper: "beta1", AMSGradHyper: "beta1", RAdamHyper: "beta1", AdamPHyper: "beta1",
}

S_MU_PRODUCT = 0
S_ROWS = 1
N_SCALARS = 2


class SquaredError(NamedTuple):
    """½ (f − y)² (SPEC §1)."""


class LogLoss(NamedTuple):
    """−y log f − (1 − y) log(1 − f) (SPEC §9)."""


LOSSES = {"squared": SquaredError(), "log": LogLoss()}


class Serial(NamedTuple):
    """Kernels run on the calling thread only (inside a ``prange``, or for small batches)."""


class Parallel(NamedTuple):
    """Kernels may spread big batches over threads (``model.PARALLEL_THRESHOLD`` points on)."""
