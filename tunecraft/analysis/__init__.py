"""Parameter importance: fANOVA (random forest, variance decomposition) and PED-ANOVA (fast).

>>> from tunecraft.analysis import fanova, ped_anova   # doctest: +SKIP
>>> fanova(study).shares()                             # doctest: +SKIP
{'lr': 0.81, 'dropout': 0.12, 'width': 0.07}
"""

from __future__ import annotations

from typing import Any

from tunecraft.analysis.importance import fanova
from tunecraft.analysis.ped_anova import ped_anova
from tunecraft.analysis.result import Importance

METHODS = ("fanova", "ped-anova")


def param_importances(study: Any, method: str = "fanova", **options: Any) -> Importance:
    """Importance by ``method`` (``"fanova"`` or ``"ped-anova"``), options passed through."""
    if method == "fanova":
        return fanova(study, **options)
    if method in ("ped-anova", "ped_anova"):
        return ped_anova(study, **options)
    raise ValueError(f"method={method!r} is unknown; use one of {METHODS}")


__all__ = ["METHODS", "Importance", "fanova", "param_importances", "ped_anova"]
