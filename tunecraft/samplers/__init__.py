"""Samplers: grid, random, quasi-random (Sobol/Halton), TPE, GP, CMA-ES, NSGA-II/III, auto.

Which to use when: docs/samplers.md. GP needs the ``gp`` extra (SciPy), CMA-ES the ``cmaes``
extra; both are imported only when such a sampler is created.
"""

from tunecraft.samplers.auto import AutoSampler
from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.cmaes import CmaEsSampler
from tunecraft.samplers.gp import GPSampler
from tunecraft.samplers.grid import GridSampler
from tunecraft.samplers.nsga2 import NSGAIISampler
from tunecraft.samplers.nsga3 import NSGAIIISampler
from tunecraft.samplers.partial_fixed import PartialFixedSampler as PartialFixedSampler
from tunecraft.samplers.qmc import QMCSampler
from tunecraft.samplers.random import RandomSampler
from tunecraft.samplers.tpe import TPESampler

# PartialFixedSampler wraps another sampler object (Optuna's API): not a named built-in of the
# registry, so not in __all__, like tunecraft.plugins.OptunaSampler.
__all__ = ["AutoSampler", "BaseSampler", "CmaEsSampler", "GPSampler", "GridSampler",
           "NSGAIISampler", "NSGAIIISampler", "QMCSampler", "RandomSampler", "TPESampler"]
