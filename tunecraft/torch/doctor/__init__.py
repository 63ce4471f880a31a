"""The training doctor: watch a run, name what goes wrong, prescribe and apply the remedy.

:class:`Doctor` instruments any PyTorch loop; ``fit(..., doctor=True)`` runs it for you.
:class:`Diagnosis` holds the :class:`Problem` records (stable codes, numbers as evidence,
remedies) and ``fix(config)`` applies the remedies a :class:`TrainConfig` can express;
:func:`heal` repeats fit -> diagnose -> fix. See docs/doctor.md.
"""

from tunecraft.torch.doctor.diagnosis import CODES, SEVERITIES, Diagnosis, Problem
from tunecraft.torch.doctor.instruments import Doctor
from tunecraft.torch.doctor.observations import Observations
from tunecraft.torch.doctor.repair import HealResult, HealRound, heal
from tunecraft.torch.doctor.rules import THRESHOLDS, diagnose

__all__ = ["CODES", "SEVERITIES", "THRESHOLDS", "Diagnosis", "Doctor", "HealResult", "HealRound",
           "Observations", "Problem", "diagnose", "heal"]
