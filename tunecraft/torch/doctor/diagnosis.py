"""``Problem`` and ``Diagnosis``: what the doctor found, in numbers, with the remedy.

Both are frozen records of plain values, so a diagnosis prints, compares, and round-trips
through JSON (``to_dict`` / ``from_dict``): the trainer stores it on a trial every epoch and
pruners, the report and the CLI read it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunecraft.torch.train_config import TrainConfig

__all__ = ["CODES", "SEVERITIES", "Diagnosis", "Problem"]

SEVERITIES: tuple[str, ...] = ("info", "warning", "error")
"""Severity names, mildest first. ``error``: the run cannot reach a useful model as it is;
``warning``: it trains, but worse than it could; ``info``: worth knowing, nothing to fix."""

CODES: tuple[str, ...] = (
    "lr_too_high", "lr_too_low", "vanishing_gradients", "exploding_gradients", "dead_units",
    "saturated_units", "overfitting", "underfitting", "plateau", "no_data",
)
"""The stable problem codes (``no_data``: nothing measured yet; always ``info``)."""


def _frozen(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding.

    Attributes:
        code: A stable name from :data:`CODES`.
        severity: ``info``, ``warning`` or ``error`` (see :data:`SEVERITIES`).
        evidence: What was measured, in numbers ("first-layer gradient 1e-12 x the last's").
        remedy: What to change, in words a newcomer can act on.
        data: The measured numbers the remedy is computed from (e.g. ``lr_factor``).
    """

    code: str
    severity: str
    evidence: str
    remedy: str
    data: Mapping[str, float] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"code={self.code!r} must be one of {list(CODES)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity={self.severity!r} must be one of {list(SEVERITIES)}")
        object.__setattr__(self, "data", _frozen(self.data))

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error."""
        return SEVERITIES.index(self.severity)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {"code": self.code, "severity": self.severity, "evidence": self.evidence,
                "remedy": self.remedy, "data": dict(self.data)}


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The doctor's verdict on a run.

    Attributes:
        problems: The findings, most severe first.
        steps: Optimizer steps observed; ``epochs``: epochs observed.
        context: Facts about the model the remedies need (``has_dropout``, activation kinds).
    """

    problems: tuple[Problem, ...] = ()
    steps: int = 0
    epochs: int = 0
    context: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.problems, key=lambda p: -p.rank))
        object.__setattr__(self, "problems", ordered)
        object.__setattr__(self, "context", _frozen(self.context))

    @property
    def codes(self) -> frozenset[str]:
        """The codes of all problems (any severity)."""
        return frozenset(p.code for p in self.problems)

    def at_least(self, severity: str) -> tuple[Problem, ...]:
        """The problems of ``severity`` or worse."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity={severity!r} must be one of {list(SEVERITIES)}")
        return tuple(p for p in self.problems if p.rank >= SEVERITIES.index(severity))

    @property
    def healthy(self) -> bool:
        """True when no problem is above ``info``."""
        return not self.at_least("warning")

    @property
    def worst(self) -> Problem | None:
        """The most severe problem, or None."""
        return self.problems[0] if self.problems else None

    def fix(self, config: TrainConfig) -> TrainConfig:
        """``config`` with the remedies a config can express applied (problems above
        ``info``, most severe first; a field changed by one remedy is not changed again)."""
        from tunecraft.torch.doctor.remedies import apply

        return apply(self, config)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (``from_dict`` reads them back)."""
        return {"problems": [p.to_dict() for p in self.problems], "steps": self.steps,
                "epochs": self.epochs, "context": dict(self.context),
                "healthy": self.healthy}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnosis:
        """Inverse of :meth:`to_dict` (e.g. read from a trial's ``diagnosis`` attribute)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("problems"),
                                                            (list, tuple)):
            raise ValueError(f"not a diagnosis: {data!r:.200}; expected Diagnosis.to_dict() "
                             "output with a 'problems' list")
        problems = tuple(Problem(str(p["code"]), str(p["severity"]), str(p["evidence"]),
                                 str(p["remedy"]), p.get("data") or {})
                         for p in data["problems"])
        return cls(problems, int(data.get("steps", 0)), int(data.get("epochs", 0)),
                   data.get("context") or {})

    def __str__(self) -> str:
        head = (f"Diagnosis after {self.steps} steps, {self.epochs} epochs: "
                + ("healthy" if self.healthy else
                   f"{len(self.at_least('warning'))} problem(s) to fix"))
        lines = [head]
        for p in self.problems:
            lines.append(f"  [{p.severity.upper()}] {p.code}: {p.evidence}")
            lines.append(f"      remedy: {p.remedy}")
        if not self.problems:
            lines.append("  no problem found")
        return "\n".join(lines)
