"""Gaussian-process Bayesian optimisation (extra ``gp``: SciPy).

Modules: ``kernel`` (Matern-5/2 ARD over mixed inputs), ``model`` (the GP and its MAP fit),
``transform`` (output standardisation and power transform), ``acquisition`` (log EI, log
probability of feasibility, piBO priors), ``optim`` (maximising the acquisition over a mixed
space) and ``sampler`` (:class:`GPSampler`).
"""

from tunecraft.samplers.gp.sampler import GPSampler

__all__ = ["GPSampler"]
