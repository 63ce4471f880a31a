"""What the experiment-tracking callbacks (MLflow, TensorBoard) record of a finished trial:
the names of its values and its learning curves, the same for every tracker."""

from __future__ import annotations

from collections.abc import Sequence

from tunecraft.record import FrozenTrial

CURVE = "intermediate_value"
"""Name of the learning curve (``trial.report`` values); ``intermediate_value_<i>`` per
objective in a multi-objective study."""


def check_metric_names(metric_names: str | Sequence[str]) -> str | tuple[str, ...]:
    """``metric_names`` as given (a str) or as a tuple, after checking it."""
    if isinstance(metric_names, str):
        if not metric_names:
            raise ValueError("metric_names must be a non-empty string, or one per objective")
        return metric_names
    names = tuple(metric_names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"metric_names={metric_names!r} must be a non-empty string or a "
                         "sequence of them, one per objective")
    if len(set(names)) != len(names):
        raise ValueError(f"metric_names={metric_names!r} repeats a name")
    return names


def value_names(metric_names: str | tuple[str, ...], n_objectives: int) -> tuple[str, ...]:
    """One name per objective: ``metric_names`` itself for one objective, ``name_<i>`` for a
    single name in a multi-objective study, else the sequence given (its length must match).
    """
    if isinstance(metric_names, str):
        if n_objectives == 1:
            return (metric_names,)
        return tuple(f"{metric_names}_{i}" for i in range(n_objectives))
    if len(metric_names) != n_objectives:
        raise ValueError(f"metric_names has {len(metric_names)} names but the study has "
                         f"{n_objectives} objectives; give one name per objective")
    return metric_names


def curves(trial: FrozenTrial, n_objectives: int) -> dict[str, list[tuple[int, float]]]:
    """The trial's reports as ``{name: [(step, value), ...]}`` in step order."""
    if n_objectives == 1:
        points = sorted(trial.intermediate_values.items())
        return {CURVE: [(int(s), float(v)) for s, v in points]} if points else {}
    out: dict[str, list[tuple[int, float]]] = {}
    for step, vector in sorted(trial.intermediate_vectors.items()):
        for i, v in enumerate(vector):
            out.setdefault(f"{CURVE}_{i}", []).append((int(step), float(v)))
    return out


def final_step(trial: FrozenTrial) -> int:
    """The step at which the final values are recorded: the last one reported, else 0."""
    steps = [*trial.intermediate_values, *trial.intermediate_vectors]
    return int(max(steps)) if steps else 0
