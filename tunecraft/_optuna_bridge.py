"""What the Optuna-protocol adapters share: distributions and trials translated both ways, a
read-only study view over a History (and :func:`history_of`, its way back), and the calls
that ask an Optuna-style sampler.

Below ``samplers.base`` and ``pruners.base`` (both import it lazily for their Optuna-style
methods) and ``tunecraft.plugins`` (the adapters): it imports neither, so none of them forms
an import cycle with another.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Container
from typing import Any

import numpy as np

from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Categorical, Dim, Float, Int, Space


def _optuna() -> Any:
    if importlib.util.find_spec("optuna") is None:
        return None
    import optuna

    return optuna


def to_optuna_distribution(dim: Dim, native: bool = False) -> Any:
    """A tunecraft dimension as an Optuna distribution (the dimension itself without Optuna,
    or when ``native``: for samplers written against ``tunecraft``'s own names)."""
    op = None if native else _optuna()
    if op is None:
        return dim
    d = op.distributions
    if isinstance(dim, Float):
        return d.FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, Int):
        return d.IntDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    return d.CategoricalDistribution(list(dim.choices))


def from_optuna_distribution(dist: Any) -> Dim:
    """An Optuna distribution (or a tunecraft dimension) as a tunecraft dimension."""
    if isinstance(dist, (Float, Int, Categorical)):
        return dist
    if hasattr(dist, "choices"):
        return Categorical(tuple(dist.choices))
    if type(dist).__name__ == "IntDistribution":
        return Int(dist.low, dist.high, log=dist.log, step=dist.step)
    if type(dist).__name__ == "FloatDistribution":
        return Float(dist.low, dist.high, log=dist.log, step=dist.step)
    raise TypeError(f"{dist!r} is not an Optuna distribution")


def to_optuna_trial(t: FrozenTrial, native: bool = False) -> Any:
    """A tunecraft record as an Optuna FrozenTrial (the record itself without Optuna, or when
    ``native``)."""
    op = None if native else _optuna()
    if op is None:
        return t
    state = {TrialState.STALE: "FAIL"}.get(t.state, t.state.name)
    values = None if t.values is None else list(t.values)
    return op.trial.FrozenTrial(
        number=t.number, state=op.trial.TrialState[state], value=None,
        datetime_start=t.datetime_start, datetime_complete=t.datetime_complete,
        params=dict(t.params),
        distributions={k: to_optuna_distribution(d) for k, d in t.distributions.items()},
        user_attrs=dict(t.user_attrs), system_attrs=dict(t.system_attrs),
        intermediate_values=dict(t.intermediate_values), trial_id=t.number, values=values)


class _StorageView:
    """The storage calls Optuna's own samplers make: reads from the snapshot; trial system
    attributes they set are collected and recorded on the trial by the study (as tunecraft
    samplers' attributes are), study attributes live in this process only."""

    def __init__(self, view: StudyView) -> None:
        self._view = view
        self.written: dict[int, dict[str, Any]] = {}
        self._study_attrs: dict[str, Any] = {}

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.written.setdefault(trial_id, {})[key] = value

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return {**self.get_trial(trial_id).system_attrs, **self.written.get(trial_id, {})}

    def get_trial(self, trial_id: int) -> Any:
        return _trial_view(self._view._history, trial_id, self._view.native)

    def get_all_trials(self, study_id: int, deepcopy: bool = True,
                       states: Container[Any] | None = None) -> list[Any]:
        return self._view.get_trials(states=states)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._study_attrs[key] = value

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._study_attrs)

    def get_study_directions(self, study_id: int) -> list[Any]:
        return self._view.directions


class StudyView:
    """What an Optuna-style plug-in may read of a study: its trials and directions."""

    def __init__(self, history: History, study_name: str = "tunecraft", *,
                 native: bool = False) -> None:
        self._history = history
        self.native = native  # tunecraft's records and directions rather than Optuna's
        self.study_name = study_name
        self._study_id = 0  # Optuna's search-space helpers key their caches on it
        self._cache: list[Any] | None = None
        self._storage = _StorageView(self)

    def _all(self) -> list[Any]:
        if self._cache is None:
            self._cache = [to_optuna_trial(t, self.native) for t in self._history.trials]
        return self._cache

    def get_trials(self, deepcopy: bool = True, states: Container[Any] | None = None,
                   use_cache: bool = False) -> list[Any]:
        """Trials (Optuna's FrozenTrial when Optuna is installed), filtered by state
        (``use_cache``, which Optuna's own samplers pass, changes nothing: this is a
        snapshot)."""
        trials = self._all()
        return trials if states is None else [t for t in trials if t.state in states]

    _get_trials = get_trials

    @property
    def trials(self) -> list[Any]:
        return self._all()

    @property
    def directions(self) -> list[Any]:
        op = None if self.native else _optuna()
        if op is None:
            return list(self._history.directions)
        return [op.study.StudyDirection[d.name] for d in self._history.directions]

    @property
    def direction(self) -> Any:
        if len(self._history.directions) != 1:
            raise RuntimeError("this study has several objectives; use study.directions")
        return self.directions[0]

    def _is_multi_objective(self) -> bool:
        return len(self._history.directions) > 1

    @property
    def best_trial(self) -> Any:
        best = self._history.best_trial()
        if best is None:
            raise ValueError("no COMPLETE trial yet")
        return to_optuna_trial(best, self.native)



def history_of(study: Any) -> History:
    """The history a sampler or pruner sees for ``study`` in an Optuna-protocol call: a
    tunecraft Study's, or the one a :class:`StudyView` shows a plug-in."""
    if isinstance(getattr(study, "_history", None), History):
        return study._history  # type: ignore[no-any-return]
    if callable(getattr(study, "history", None)):
        return study.history()  # type: ignore[no-any-return]
    raise TypeError(f"{study!r} is not a tunecraft study; pass the study the trial belongs to")

def _trial_view(history: History, number: int, native: bool = False) -> Any:
    try:
        return to_optuna_trial(history.trial(number), native)
    except KeyError:  # a filtered view (a Hyperband bracket) may not hold the new trial
        return to_optuna_trial(FrozenTrial(number=number, state=TrialState.RUNNING), native)


def optuna_joint_space(sampler: Any, history: History, native: bool = False) -> Space:
    """An Optuna-style sampler's ``infer_relative_search_space`` as a tunecraft space."""
    space = sampler.infer_relative_search_space(StudyView(history, native=native),
                                                _trial_view(history, len(history), native))
    return {k: from_optuna_distribution(d) for k, d in dict(space).items()}


def optuna_sample(sampler: Any, space: Space, history: History, number: int,
                  native: bool = False) -> dict[str, Any]:
    """Each dimension of ``space`` from an Optuna-style sampler's ``sample_independent``."""
    view, trial = StudyView(history, native=native), _trial_view(history, number, native)
    out = {}
    for name, dim in space.items():
        value = sampler.sample_independent(view, trial, name, to_optuna_distribution(dim, native))
        out[name] = value.item() if isinstance(value, np.generic) else value
    return out


def optuna_sample_joint(sampler: Any, space: Space, history: History, number: int,
                        native: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """``sample_relative`` over ``space`` (``sample_independent`` for what it leaves out), and
    the trial system attributes the sampler wrote."""
    view = StudyView(history, native=native)
    asked = {k: to_optuna_distribution(d, native) for k, d in space.items()}
    values = dict(sampler.sample_relative(view, _trial_view(history, number, native), asked))
    missing = {k: d for k, d in space.items() if k not in values}
    values.update(optuna_sample(sampler, missing, history, number, native) if missing else {})
    return {k: values[k] for k in space}, view._storage.written.get(number, {})
