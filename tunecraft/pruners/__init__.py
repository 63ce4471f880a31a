"""Pruners stop unpromising trials early, from their reports and the study's history."""

from tunecraft.pruners.base import BasePruner, Decision, NopPruner
from tunecraft.pruners.median import MedianPruner, PercentilePruner

__all__ = ["BasePruner", "Decision", "MedianPruner", "NopPruner", "PercentilePruner"]
