"""Samplers: grid, random, quasi-random (Sobol/Halton) and TPE."""

from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.grid import GridSampler
from tunecraft.samplers.qmc import QMCSampler
from tunecraft.samplers.random import RandomSampler
from tunecraft.samplers.tpe import TPESampler

__all__ = ["BaseSampler", "GridSampler", "QMCSampler", "RandomSampler", "TPESampler"]
