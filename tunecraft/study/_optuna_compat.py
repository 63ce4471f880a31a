"""Optuna's ``Study`` methods that plug-ins and Optuna's own helpers call, over tunecraft's.

``_is_multi_objective()`` is private in Optuna but called by most OptunaHub samplers and by
Optuna's test helpers; ``metric_names``/``set_metric_names`` name the objectives (Optuna 3.2+).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunecraft.direction import StudyDirection
    from tunecraft.storage.base import Storage

METRIC_NAMES_ATTR = "metric_names"
"""The study attribute that holds the objectives' names."""


class OptunaStudyMixin:
    """Optuna's study helpers (module docstring)."""

    study_name: str
    directions: tuple[StudyDirection, ...]
    _storage: Storage

    def _is_multi_objective(self) -> bool:
        """Whether the study has more than one objective (Optuna's private helper)."""
        return len(self.directions) > 1

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names given to :meth:`set_metric_names`, else None."""
        names: Any = self._storage.study_attrs(self.study_name).get(METRIC_NAMES_ATTR)
        return None if names is None else [str(n) for n in names]

    def set_metric_names(self, metric_names: Sequence[str]) -> None:
        """Name the objectives, one name per direction (shown in plots and dataframes)."""
        if isinstance(metric_names, str) or len(metric_names) != len(self.directions):
            raise ValueError(f"metric_names={metric_names!r} must be a list of "
                             f"{len(self.directions)} name(s), one per direction")
        self._storage.set_study_attr(self.study_name, METRIC_NAMES_ATTR, list(metric_names))
