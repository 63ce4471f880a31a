"""The doctor's thresholds, one per signal (see :mod:`tunecraft.torch.doctor.rules`).

Scale-free ratios, set from the mechanism each rule reads (healthy runs of the dev zoo,
benchmarks/doctor_zoo.py, sit well inside them); ``diagnose(obs, thresholds=...)`` overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["THRESHOLDS"]

THRESHOLDS: Mapping[str, float] = MappingProxyType({
    "update_high": 0.05,      # per-step ||dW||/||W|| above this: steps rewrite the weights
    "update_low": 1e-3,       # ... below this (largest step): the weights barely move
    "update_blowup": 0.5,     # a first step above this (10 x update_high) throws the weights
    "grad_blowup": 3.0,       # ... unless the untrained gradients exceed this x the weights
    "grad_amplify": 1.0,      # an untrained gradient above this x its weights: one unit step
                              # would replace them (forward growth reached the gradients)
    "grad_explode": 10.0,     # untrained gradient this many times its layer's weights in a
                              # recurrent model: the init amplifies through time
    "init_loss": 10.0,        # untrained loss this many times the chance loss ln(classes):
                              # the init's logits are far from 0 (sane inits start near chance)
    "swing": 0.5,             # an epoch loss rising this much (relative) and falling back ...
    "swing_floor": 0.2,       # ... by more than this x the untrained loss: oscillation
    "spike": 3.0,             # a step loss this many times the untrained loss: a blow-up
    "stuck_progress": 0.15,   # (initial - final) / initial loss below this: nothing learned
    "vanishing": 1e-3,        # first/last relative gradient below this
    "vanishing_init": 1e-5,   # ... or below this before any update in a run that learned
                              # under half its loss (adaptive steps hide it later)
    "exploding_gain": 1.15,   # activation RMS growth per layer at init (1 = preserving)
    "exploding_signal": 2.5,  # ... and over the whole depth (at least 3 activations)
    "dead": 0.5,              # share of ReLU units dead for the whole batch, at the start
                              # and still over the second half of the run
    "dead_layer": 0.9,        # ... this share: the layer is dead (no gradient reaches it)
    "saturated": 0.5,         # share of tanh/sigmoid outputs in the flat tails
    "slope": 0.35,            # ... or a layer's mean slope under this share of its peak
    "overfit_rise": 0.2,      # validation loss this far (relative) above its minimum
    "overfit_floor": 0.05,    # ... and by more than this x the untrained loss (relative to
                              # a minimum near 0, a few confident errors are a large rise)
    "memorised": 0.05,        # train loss below this x the validation loss ...
    "memorised_gap": 0.2,     # ... and a gap above this x the untrained loss: memorised
    "plateau_gain": 0.02,     # relative train-loss gain over the last epochs below this
    "collapse": 0.02,         # late/early update ratio below this: the step size collapsed
    "schedule_fell": 0.5,     # ... by the schedule only if the late rate is below this x its
                              # peak (steps that shrink at a constant rate have other causes)
    "anneal_floor": 1e-3,     # a schedule ending above this x its peak rate only annealed:
                              # steps too small at the peak rate are the base rate's
    "frozen": 1e-6,           # late steps under this x the weights after a collapse: frozen
    "decay_step": 0.05,       # weight decay removing this share of the weights per step
    "heavy_dropout": 0.5,     # dropout probability from which dropout alone can underfit
})
