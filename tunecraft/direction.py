"""Whether an objective is minimised or maximised."""

from __future__ import annotations

import enum


class StudyDirection(enum.Enum):
    """The direction of one objective of a study."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def parse(cls, value: str | StudyDirection) -> StudyDirection:
        """Accept ``"minimize"``/``"maximize"`` (any case) or a StudyDirection."""
        if isinstance(value, StudyDirection):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise ValueError(f"direction {value!r} is not valid; use 'minimize' or 'maximize'.")

    @property
    def sign(self) -> float:
        """+1 for minimisation, -1 for maximisation: ``sign * value`` is always minimised."""
        return 1.0 if self is StudyDirection.MINIMIZE else -1.0
