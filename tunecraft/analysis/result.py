"""The result of an importance method: parameters ranked, with values and their spread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Importance:
    """Per-parameter importance, most important first.

    Attributes:
        method: ``"fanova"`` or ``"ped-anova"``.
        names: Parameter names, ranked by ``values`` (largest first).
        values: fANOVA: the fraction of the objective's variance explained by the parameter's
            main effect (mean over forest trees; in [0, 1]). PED-ANOVA: the Pearson divergence
            between the parameter's distribution in the top trials and in the region (>= 0).
        spread: fANOVA: standard deviation of the fraction across trees; PED-ANOVA: None.
        n_trials: How many completed trials were used.
    """

    method: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    spread: tuple[float, ...] | None
    n_trials: int

    def shares(self) -> dict[str, float]:
        """Importances scaled to sum to 1, by name (equal shares when all are zero)."""
        total = sum(self.values)
        if total <= 0.0:
            return {n: 1.0 / len(self.names) for n in self.names} if self.names else {}
        return {n: v / total for n, v in zip(self.names, self.values, strict=True)}

    def __getitem__(self, name: str) -> float:
        return self.values[self.names.index(name)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the report and the dashboard API)."""
        return {"method": self.method, "n_trials": self.n_trials,
                "params": [{"name": n, "value": v, "share": s,
                            "spread": None if self.spread is None else self.spread[i]}
                           for i, (n, v, s) in enumerate(zip(
                               self.names, self.values, self.shares().values(), strict=True))]}


def ranked(method: str, names: tuple[str, ...], values: list[float],
           spread: list[float] | None, n_trials: int) -> Importance:
    """Build an Importance with its parameters sorted by value (ties keep the given order)."""
    order = sorted(range(len(names)), key=lambda i: -values[i])
    return Importance(
        method=method,
        names=tuple(names[i] for i in order),
        values=tuple(float(values[i]) for i in order),
        spread=None if spread is None else tuple(float(spread[i]) for i in order),
        n_trials=n_trials,
    )
