"""The GP sampler never proposes a configuration it has already evaluated (#18): with a fitted
noise variance EI keeps value at an evaluated point, and on BBOB Katsuura 2-D its maximum sat on
an evaluated box corner, proposed seven times in a row. ``optim.maximize`` now returns the best
row that is new (``avoid``), and a repeat only when every scored row is one."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunecraft as tc
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.gp import GPSampler
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.samplers.gp.acquisition import Acquisition
from tunecraft.samplers.gp.optim import is_repeat, maximize
from tunecraft.space import Categorical, Dim, Float

MIN = (StudyDirection.MINIMIZE,)


class _Repeating(GPSampler):
    """The GP sampler as it was before the rule."""

    _avoid_repeats = False


# The first 17 trials of the GP on BBOB f23 (Katsuura), 2-D, instance 1, seed 2, in the broad
# suite (benchmarks/broad): x0, x1, value. Trial 16 is the corner (-5, 5); the GP fits a noise
# variance of about a quarter of the outputs' variance, and with plain EI it proposed that
# corner again in trials 17-22.
_KATSUURA = (
    (-2.383878657506836, -2.015088565858767, 26.989342329381618),
    (1.2363431137055159, 2.0295404829084873, 78.31692802380918),
    (2.592222886160016, -1.7332392279058695, 69.07483662507752),
    (-3.383882427588105, 4.864807156845927, 18.75347624829598),
    (-4.0024626813828945, -1.2205688189715147, 47.41514275601299),
    (4.474250599741936, 3.121935287490487, 85.07944612048736),
    (1.8530900590121746, -3.1350453570485115, 36.35335655541726),
    (-2.326136715710163, 0.022755637764930725, 58.175108734723466),
    (-1.6764093097299337, -2.1965718269348145, 64.95539113907877),
    (2.4253063928335905, 4.099049009382725, 56.81677859716638),
    (-3.603860662187709, 4.8044934709639175, 17.23601710720281),
    (-3.514261361132684, 4.216718366225161, 37.72983831268344),
    (-3.670790644928215, 5.0, 22.603708675565002),
    (-2.99720683453409, -2.0150975073839232, 16.311182166900938),
    (-3.2537186986218325, -1.8643417693754216, 68.52380286581958),
    (-2.86846452329892, -2.0730034496998733, 83.22219113320978),
    (-5.0, 5.0, 22.732290077736895),
)


def _nearest_evaluated(sampler: GPSampler, replicas: int) -> float:
    space: dict[str, Dim] = {"x0": Float(-5.0, 5.0), "x1": Float(-5.0, 5.0)}
    rows = [*_KATSUURA, *[_KATSUURA[-1]] * replicas]
    done = [FrozenTrial(i, TrialState.COMPLETE, params={"x0": a, "x1": b},
                        distributions=space, values=(v,)) for i, (a, b, v) in enumerate(rows)]
    n = len(done)
    p = sampler.sample(space, History(done, MIN), sampler.rng(n), n)
    return min(math.dist((p["x0"], p["x1"]), (a, b)) for a, b, _ in rows)


@pytest.mark.parametrize("replicas", [0, 2])
@pytest.mark.parametrize("seed", [0, 2])
def test_gp_does_not_propose_an_evaluated_corner_again(seed: int, replicas: int) -> None:
    assert _nearest_evaluated(_Repeating(seed=seed), replicas) == 0.0  # the case it fixes
    assert _nearest_evaluated(GPSampler(seed=seed), replicas) > 1e-4


class _TowardsCorner(Acquisition):
    """An acquisition whose maximum is the corner (1, 1): ``-|x - 1|^2``."""

    def __init__(self) -> None:
        super().__init__(None, 0.0)

    def value(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = -((x - 1.0) ** 2).sum(1)
        return out

    def value_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.value(x), -2.0 * (x - 1.0)


def test_maximize_returns_the_best_new_row_and_a_repeat_only_without_avoid() -> None:
    enc = Encoding({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    evaluated = np.array([[0.2, 0.3], [1.0, 1.0]])
    acq = _TowardsCorner()
    free, f_free = maximize(acq, enc, np.random.default_rng(1), n_candidates=256)
    kept, f_kept = maximize(acq, enc, np.random.default_rng(1), n_candidates=256,
                            avoid=evaluated)
    assert np.array_equal(free, [1.0, 1.0])  # the maximum is the evaluated corner
    assert not is_repeat(kept, evaluated)
    assert f_kept < f_free and f_kept > -0.05  # the best of the rest: close to the corner
    same, _ = maximize(acq, enc, np.random.default_rng(1), n_candidates=256,
                       avoid=evaluated[:1])
    assert np.array_equal(same, free)  # unchanged where the maximum is not a repeat


def test_a_fully_explored_discrete_space_still_gets_a_suggestion() -> None:
    space: dict[str, Dim] = {"c": Categorical(["a", "b", "c"])}
    study = tc.create_study(sampler=GPSampler(seed=0, n_startup_trials=3),
                            pruner=tc.pruners.NopPruner())
    study.optimize(lambda t: {"a": 1.0, "b": 0.0, "c": 2.0}[t.suggest_categorical(
        "c", space["c"].choices)], n_trials=6)
    assert {t.params["c"] for t in study.trials} == {"a", "b", "c"}
    assert study.best_params == {"c": "b"}
