"""Pruners and schedulers stop unpromising trials early, from their reports and the history.

Pruners decide from curves (median, percentile, threshold, patience, smoothing, learning-curve
extrapolation, Pareto dominance) or from paired per-instance scores (Wilcoxon); schedulers also
assign brackets, pause trials and resume them (successive halving / ASHA, Hyperband,
population-based training). See docs/pruning.md.
"""

from tunecraft.pruners.base import BasePruner, Budget, Decision, NopPruner, Resume
from tunecraft.pruners.curve import CurveExtrapolationPruner
from tunecraft.pruners.diagnosis import DiagnosisPruner
from tunecraft.pruners.hyperband import HyperbandBracket, HyperbandPruner, hyperband_brackets
from tunecraft.pruners.lineage import ResumeInfo
from tunecraft.pruners.median import MedianPruner, PercentilePruner
from tunecraft.pruners.pareto import ParetoPruner
from tunecraft.pruners.patient import PatientPruner
from tunecraft.pruners.pbt import PopulationBasedTraining, params_at, pbt_schedule
from tunecraft.pruners.smoothing import SmoothedPruner
from tunecraft.pruners.successive_halving import SuccessiveHalvingPruner
from tunecraft.pruners.threshold import ThresholdPruner
from tunecraft.pruners.wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner", "Budget", "CurveExtrapolationPruner", "Decision", "DiagnosisPruner",
    "HyperbandBracket",
    "HyperbandPruner", "MedianPruner", "NopPruner", "ParetoPruner", "PatientPruner",
    "PercentilePruner", "PopulationBasedTraining", "Resume", "ResumeInfo", "SmoothedPruner",
    "SuccessiveHalvingPruner", "ThresholdPruner", "WilcoxonPruner", "hyperband_brackets",
    "params_at", "pbt_schedule",
]
