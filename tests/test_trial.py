"""Trial: define-by-run suggestions, reports, pruning questions, attributes and flushing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunecraft import Categorical, Float, Int, TrialState, create_study
from tunecraft.pruners import MedianPruner, NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.study import Study
from tunecraft.trial import check_values


def new_study(**kwargs: Any) -> Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    kwargs.setdefault("pruner", NopPruner())
    return create_study(**kwargs)


def test_suggest_returns_values_of_the_asked_type() -> None:
    study = new_study()
    for _ in range(20):
        trial = study.ask()
        f = trial.suggest_float("f", -1.0, 1.0)
        lf = trial.suggest_float("lf", 1e-5, 1.0, log=True)
        sf = trial.suggest_float("sf", 0.0, 1.0, step=0.25)
        i = trial.suggest_int("i", -3, 3)
        li = trial.suggest_int("li", 1, 1000, log=True)
        si = trial.suggest_int("si", 0, 100, step=20)
        c = trial.suggest_categorical("c", [None, True, 2, 0.5, "s"])
        assert type(f) is float and -1.0 <= f <= 1.0
        assert type(lf) is float and 1e-5 <= lf <= 1.0
        assert sf in (0.0, 0.25, 0.5, 0.75, 1.0) and type(sf) is float
        assert type(i) is int and -3 <= i <= 3
        assert type(li) is int and 1 <= li <= 1000
        assert si in (0, 20, 40, 60, 80, 100) and type(si) is int
        assert any(c is v or (type(c) is type(v) and c == v) for v in (None, True, 2, 0.5, "s"))
        study.tell(trial, 0.0)
    t = study.trials[-1]
    assert t.distributions == {
        "f": Float(-1.0, 1.0), "lf": Float(1e-5, 1.0, log=True),
        "sf": Float(0.0, 1.0, step=0.25), "i": Int(-3, 3), "li": Int(1, 1000, log=True),
        "si": Int(0, 100, step=20), "c": Categorical((None, True, 2, 0.5, "s"))}


def test_suggest_validates_its_arguments() -> None:
    trial = new_study().ask()
    with pytest.raises(ValueError, match="parameter name '' must be a non-empty string"):
        trial.suggest_float("", 0.0, 1.0)
    with pytest.raises(ValueError, match="must be a non-empty string"):
        trial.suggest_int(3, 0, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="swap them"):
        trial.suggest_float("x", 1.0, 0.0)
    with pytest.raises(ValueError, match="log=True needs low > 0"):
        trial.suggest_float("x", 0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="at least one choice"):
        trial.suggest_categorical("c", [])
    with pytest.raises(ValueError, match="must be an integer"):
        trial.suggest_int("n", 0.5, 3)  # type: ignore[arg-type]
    assert trial.params == {}  # nothing was recorded by the refused calls


def test_params_and_views_are_read_only() -> None:
    trial = new_study().ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("note", [1, 2])
    assert trial.params == {"x": x} and trial.distributions == {"x": Float(0.0, 1.0)}
    assert trial.user_attrs == {"note": [1, 2]}
    with pytest.raises(TypeError):
        trial.params["x"] = 0.5  # type: ignore[index]
    with pytest.raises(TypeError):
        trial.user_attrs["note"] = 0  # type: ignore[index]
    assert repr(trial) == f"Trial(number=0, params={{'x': {x!r}}})"
    assert trial.datetime_start is not None


def test_params_are_visible_as_soon_as_they_are_suggested() -> None:
    """A worker killed right after suggesting leaves its parameters behind (its retry and
    the user see what it ran); attributes wait for a flush, a report or the tell."""
    study = new_study()
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    assert study.trials[0].params == {"x": x}
    trial.set_user_attr("epoch", 3)
    assert study.trials[0].user_attrs == {}
    trial.flush()
    assert study.trials[0].user_attrs == {"epoch": 3}
    trial.report(0.5, step=1)  # a report flushes everything pending
    record = study.trials[0]
    assert record.user_attrs == {"epoch": 3} and record.intermediate_values == {1: 0.5}
    assert record.state is TrialState.RUNNING


def test_report() -> None:
    study = new_study()
    trial = study.ask()
    trial.report(0.9, step=0)
    trial.report(np.float32(0.5), step=np.int64(1))  # numpy scalars are numbers
    with pytest.warns(UserWarning, match="already reported step 1; the new value 0.1 is "
                                          "ignored"):
        trial.report(0.1, step=1)  # a step reported twice keeps its first value
    trial.report(float("nan"), step=2)
    trial.report(float("inf"), step=3)
    values = study.tell(trial, 1.0).intermediate_values
    assert values[0] == 0.9 and values[1] == 0.5 and np.isnan(values[2]) and values[3] == np.inf
    other = study.ask()
    for step, match in [(-1, "step=-1"), (1.5, "step=1.5"), (True, "step=True")]:
        with pytest.raises(ValueError, match=match):
            other.report(1.0, step)  # type: ignore[arg-type]
    for value in (None, True):
        with pytest.raises(TypeError, match="report value must be a number"):
            other.report(value, 0)  # type: ignore[arg-type]
    other.report("1.0", 0)  # type: ignore[arg-type]  # a numeric string, as Optuna accepts


def test_should_prune_asks_the_pruner() -> None:
    study = new_study(pruner=MedianPruner(n_startup_trials=2))
    for _ in range(2):
        t = study.ask()
        t.report(1.0, step=0)
        assert not t.should_prune()  # too few finished trials to compare with
        study.tell(t, 1.0)
    good, bad = study.ask(), study.ask()
    good.report(0.5, step=0)
    bad.report(5.0, step=0)
    assert not good.should_prune() and bad.should_prune()
    fresh = study.ask()
    assert not fresh.should_prune()  # nothing reported yet


def test_set_user_attr_validates() -> None:
    trial = new_study().ask()
    with pytest.raises(ValueError, match="non-empty string"):
        trial.set_user_attr("", 1)
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        trial.set_user_attr("k", object())
    with pytest.raises(TypeError, match="keys must be str"):
        trial.set_user_attr("k", {1: "one"})
    trial.set_user_attr("k", {"nested": [1.5, None, {"deep": True}]})
    assert trial.user_attrs["k"] == {"nested": [1.5, None, {"deep": True}]}


@pytest.mark.parametrize("value, n, expected", [
    (1.5, 1, ((1.5,), None)),
    (np.float64(2.0), 1, ((2.0,), None)),
    (np.int64(3), 1, ((3.0,), None)),
    ([1, 2.5], 2, ((1.0, 2.5), None)),
    (np.array([1.0, 2.0]), 2, ((1.0, 2.0), None)),
    (np.array(0.5), 1, ((0.5,), None)),  # a 0-d array, e.g. a loss without .item()
    (np.float32(0.5), 1, ((0.5,), None)),
    (np.array([[1.0]]), 1, (None, "the objective returned an array of shape (1, 1); return a "
                            "number, or one number per objective")),
    (np.bool_(True), 1, (None, "the objective returned np.True_, which is not a number")),
    ((1.0,), 2, (None, "the objective returned 1 value(s) but the study has 2 direction(s)")),
    (None, 1, (None, "the objective returned None, which is not a number")),
    (float("nan"), 1, (None, "the objective returned nan, which is not a number")),
    (float("inf"), 1, ((float("inf"),), None)),  # a diverged run: a value (as in Optuna)
    ((1.0, float("-inf")), 2, ((1.0, float("-inf")), None)),
])
def test_check_values(value: Any, n: int, expected: Any) -> None:
    assert check_values(value, n) == expected


def test_illegal_sampler_proposals_are_never_recorded() -> None:
    class BrokenSampler(RandomSampler):
        def sample_joint(self, space: Any, history: Any, rng: Any, number: int
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
            return {name: float("nan") for name in space}, {}

    study = new_study(sampler=BrokenSampler())
    trial = study.ask()
    with pytest.raises(ValueError, match=r"BrokenSampler proposed nan for parameter 'x', "
                                         r"which is not in Float\(0, 1\); this is a bug"):
        trial.suggest_float("x", 0.0, 1.0)
    assert trial.params == {}
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1, catch=(ValueError,))
    failed = study.trials[-1]
    assert failed.state is TrialState.FAIL and failed.params == {}
    assert "BrokenSampler proposed nan" in (failed.fail_reason or "")
