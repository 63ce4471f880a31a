"""``heal``: fit, diagnose, apply the remedy, fit again, until the run is healthy.

AutoTrainer's repair loop (Zhang et al. ICSE 2021, Alg. 1) with the remedies a
:class:`~tunecraft.torch.TrainConfig` can express; every round is kept so the user sees
what each change did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft._validation import Interval, check
from tunecraft.torch.doctor.diagnosis import Diagnosis

if TYPE_CHECKING:
    from tunecraft.torch.train_config import TrainConfig
    from tunecraft.torch.trainer import FitResult

__all__ = ["HealRound", "HealResult", "heal"]


@dataclass(frozen=True, slots=True)
class HealRound:
    """One round: the config trained, its diagnosis and its best validation metric."""

    config: TrainConfig
    diagnosis: Diagnosis
    metric: float
    result: FitResult


@dataclass(frozen=True, slots=True)
class HealResult:
    """Every round of :func:`heal`, in order; ``best`` is the round with the best metric."""

    rounds: tuple[HealRound, ...]
    direction: str

    @property
    def best(self) -> HealRound:
        """The round whose metric is best (healthy rounds win ties)."""
        sign = 1.0 if self.direction == "max" else -1.0
        return max(self.rounds, key=lambda r: (sign * r.metric, r.diagnosis.healthy))

    @property
    def healed(self) -> bool:
        """Whether the last round is healthy."""
        return self.rounds[-1].diagnosis.healthy

    def __str__(self) -> str:
        lines = []
        for i, r in enumerate(self.rounds):
            codes = ", ".join(p.code for p in r.diagnosis.at_least("warning")) or "healthy"
            lines.append(f"round {i}: {r.result.metric}={r.metric:.4g}  {codes}")
        return "\n".join(lines)


def heal(model_factory: Callable[[TrainConfig], Any], train: Any, val: Any,
         config: TrainConfig, *, max_rounds: int = 3, **fit_kwargs: Any) -> HealResult:
    """Train, diagnose and apply ``Diagnosis.fix`` up to ``max_rounds`` times.

    Stops early when a round is healthy or when ``fix`` changes nothing (a remedy the config
    cannot express, e.g. a model that needs other activations). ``fit_kwargs`` go to
    :func:`~tunecraft.torch.fit` (``max_epochs``, ``device``, ``loss``...; not ``trial``).
    """
    from tunecraft.torch.trainer import fit

    check("max_rounds", max_rounds, Interval(int, 1))
    if "trial" in fit_kwargs or "doctor" in fit_kwargs:
        raise ValueError("heal() trains several configs itself: do not pass trial= or "
                         "doctor= (use fit(..., doctor=True) inside an objective instead)")
    rounds: list[HealRound] = []
    current = config
    for _ in range(max_rounds):
        result = fit(model_factory, train, val, current, doctor=True, **fit_kwargs)
        rounds.append(HealRound(current, result.diagnosis, result.best_metric, result))
        if result.diagnosis.healthy:
            break
        fixed = result.diagnosis.fix(current)
        if fixed == current:
            break
        current = fixed
    return HealResult(tuple(rounds), rounds[-1].result.direction)
