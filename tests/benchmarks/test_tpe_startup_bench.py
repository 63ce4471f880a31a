"""benchmarks/broad/tpe_startup.py: the i.i.d.-start-up TPE differs from ours in the start-up
only, so the measured gap between the two is the start-up design's."""

from __future__ import annotations

import numpy as np

import tunecraft
from benchmarks.broad.tpe_startup import IidStartupTPE
from tunecraft.samplers import TPESampler
from tunecraft.space import Float

SPACE = {"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)}


def _history(n: int) -> tunecraft.History:
    study = tunecraft.create_study(sampler=tunecraft.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_float("y", -5, 5),
                   n_trials=n)
    return study.history()


def test_iid_startup_equals_tpe_once_the_model_starts() -> None:
    history = _history(12)
    ours, iid = TPESampler(seed=3), IidStartupTPE(seed=3)
    for number in (12, 13):
        assert ours.sample(SPACE, history, ours.rng(number), number) == iid.sample(
            SPACE, history, iid.rng(number), number)


def test_iid_startup_is_not_a_latin_hypercube() -> None:
    # ten start-up draws of x: ours put one in each tenth of the range, i.i.d. ones do not
    # (for seed 0 several tenths stay empty: the probability that all ten are hit is 4e-4)
    def tenths(sampler: TPESampler) -> int:
        history = _history(0)
        xs = [sampler.sample(SPACE, history, sampler.rng(k), k)["x"] for k in range(10)]
        return len({int(np.floor(x + 5.0)) for x in xs})

    assert tenths(TPESampler(seed=0)) == 10
    assert tenths(IidStartupTPE(seed=0)) < 10
