"""Tree-structured Parzen Estimator (TPE) sampler and its Parzen estimator."""

from tunecraft.samplers.tpe._split import (
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    hyperopt_gamma,
)
from tunecraft.samplers.tpe.parzen import ParzenEstimator
from tunecraft.samplers.tpe.sampler import TPESampler

__all__ = [
    "ParzenEstimator",
    "TPESampler",
    "default_gamma",
    "default_gamma_multiobjective",
    "default_weights",
    "hyperopt_gamma",
]
