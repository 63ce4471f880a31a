"""Population-based training: Ray's quantile and explore rules, the toy problem of Jaderberg et
al. (2017), and the recorded hyperparameter schedule, replayed."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import tunecraft
from tunecraft import Categorical, Float, Int, TrialPruned, TrialState
from tunecraft.pruners import (
    Decision,
    NopPruner,
    PopulationBasedTraining,
    params_at,
    pbt_schedule,
)
from tunecraft.pruners.lineage import lineage, superseded
from tunecraft.pruners.pbt import explore, quantile_size
from tunecraft.samplers import RandomSampler

STEPS, RATE = 40, 0.05
INITIAL = [(1.0, 0.0), (0.0, 1.0)] * 2  # the paper's two hyperparameter settings


def test_quantile_sizes_follow_ray() -> None:
    assert quantile_size(8, 0.25) == 2
    assert quantile_size(2, 0.25) == 1
    assert quantile_size(3, 0.5) == 1  # ceil(1.5) = 2 > 3 / 2: floor(3 / 2)
    assert quantile_size(10, 0.5) == 5


def test_explore_perturbs_by_the_factors_or_moves_to_a_neighbour() -> None:
    dists = {"lr": Float(1e-4, 1.0, log=True), "width": Int(8, 512),
             "opt": Categorical(("sgd", "adam", "adamw")), "wd": Float(0.0, 0.1)}
    params = {"lr": 0.01, "width": 100, "opt": "adam", "wd": 0.05}
    for seed in range(30):
        out = explore(params, dists, np.random.default_rng(seed), resample_probability=0.0)
        assert out["lr"] == pytest.approx(0.012) or out["lr"] == pytest.approx(0.008)
        assert out["width"] in (80, 120)
        assert out["opt"] in ("sgd", "adamw")
        assert out["wd"] == pytest.approx(0.06) or out["wd"] == pytest.approx(0.04)
    edge = explore({"opt": "sgd", "wd": 0.1}, dists, np.random.default_rng(0),
                   resample_probability=0.0, perturbation_factors=(1.2,))
    assert edge["opt"] in ("sgd", "adam") and edge["wd"] == 0.1  # clipped to the range
    only = explore(params, dists, np.random.default_rng(0), ["lr"], resample_probability=0.0)
    assert {k: v for k, v in only.items() if k != "lr"} == {
        k: v for k, v in params.items() if k != "lr"}
    resampled = [explore(params, dists, np.random.default_rng(s), resample_probability=1.0)
                 for s in range(20)]
    assert len({r["wd"] for r in resampled}) == 20
    assert all(dists[k].contains(v) for r in resampled for k, v in r.items())
    noisy = explore({"wd": 0.0}, dists, np.random.default_rng(1), resample_probability=0.0,
                    noise=0.2)
    assert noisy["wd"] != 0.0  # additive noise moves a zero, a factor cannot


def toy_objective(trial: tunecraft.Trial) -> float:
    """Q(theta) = 1.2 - theta0^2 - theta1^2, trained by gradient ascent on the surrogate
    1.2 - h0 theta0^2 - h1 theta1^2 from theta = (0.9, 0.9)."""
    h = (trial.suggest_float("h0", 0.0, 1.0), trial.suggest_float("h1", 0.0, 1.0))
    blob = trial.load_checkpoint()
    theta = json.loads(blob)["theta"] if blob else [0.9, 0.9]
    start = trial.resumed_from.step if blob and trial.resumed_from else 0
    q = 1.2 - theta[0] ** 2 - theta[1] ** 2
    for step in range(start + 1, STEPS + 1):
        theta = [theta[i] * (1.0 - 2.0 * RATE * h[i]) for i in range(2)]
        q = 1.2 - theta[0] ** 2 - theta[1] ** 2
        trial.report(q, step)
        if trial.decide() is Decision.PAUSE:
            trial.save_checkpoint(json.dumps({"theta": theta}).encode(), step)
            raise TrialPruned()
    return q


def replay(schedule: list[tuple[int, dict[str, Any]]]) -> float:
    theta = [0.9, 0.9]
    for step in range(1, STEPS + 1):
        p = params_at(schedule, step)
        theta = [theta[i] * (1.0 - 2.0 * RATE * p[f"h{i}"]) for i in range(2)]
    return 1.2 - theta[0] ** 2 - theta[1] ** 2


def run_toy(pruner: tunecraft.pruners.BasePruner, seed: int) -> tunecraft.Study:
    study = tunecraft.create_study(direction="maximize", sampler=RandomSampler(seed=seed),
                                   pruner=pruner)
    for h0, h1 in INITIAL:
        study.enqueue_trial({"h0": h0, "h1": h1})

    def stop_when_the_population_is_done(study: tunecraft.Study, _: Any) -> None:
        done = {lineage(t) for t in study.trials if t.state is TrialState.COMPLETE}
        if done >= set(range(len(INITIAL))):
            study.stop()

    study.optimize(toy_objective, n_trials=200, callbacks=[stop_when_the_population_is_done])
    return study


def best_at(study: tunecraft.Study, step: int) -> float:
    return max(t.intermediate_values.get(step, -np.inf) for t in study.trials)


def test_pbt_beats_explore_only_and_grid_on_the_toy_problem() -> None:
    """As in the paper's Figure 2: members exploit the better members' weights (keeping their
    own hyperparameters, so that complementary settings take turns on the same weights) and
    explore with Gaussian noise every 4 steps. PBT gets further in the same steps."""
    results: dict[str, list[list[float]]] = {"pbt": [], "explore": [], "grid": []}
    for seed in range(8):
        common = dict(interval=4, max_resource=STEPS, quantile_fraction=0.5,
                      copy_hyperparams=False, resample_probability=0.0,
                      perturbation_noise=0.1, seed=seed)
        for name, exploit in (("pbt", True), ("explore", False)):
            study = run_toy(PopulationBasedTraining(len(INITIAL), exploit=exploit, **common),
                            seed)
            results[name].append([best_at(study, STEPS // 2), best_at(study, STEPS)])
    grid = tunecraft.create_study(direction="maximize", pruner=NopPruner())
    for h0, h1 in INITIAL:
        grid.enqueue_trial({"h0": h0, "h1": h1})
    grid.optimize(toy_objective, n_trials=len(INITIAL))
    results["grid"] = [[best_at(grid, STEPS // 2), best_at(grid, STEPS)]]
    median = {k: np.median(np.array(v), axis=0) for k, v in results.items()}
    assert median["grid"][1] == pytest.approx(1.2 - 0.81, abs=1e-3)  # one of theta stays
    assert median["pbt"][0] > median["explore"][0] + 0.2 > median["grid"][0]  # halfway
    assert median["pbt"][1] > median["explore"][1] > median["grid"][1] + 0.5  # at the end
    assert median["pbt"][1] > 1.15


def test_the_schedule_is_recorded_and_replays_exactly() -> None:
    study = run_toy(PopulationBasedTraining(4, 4, max_resource=STEPS, quantile_fraction=0.5,
                                            resample_probability=0.0, perturbation_noise=0.15,
                                            seed=3), 3)
    history = study.history()
    finals = [t for t in history.trials if t.state is TrialState.COMPLETE]
    assert len(finals) == 4
    exploited = 0
    for t in finals:
        schedule = pbt_schedule(t)
        assert schedule[0][0] == 0 and [s for s, _ in schedule] == sorted(s for s, _ in schedule)
        assert replay(schedule) == t.value  # bit for bit
        exploited += t.system_attrs["pbt"]["member"] != t.system_attrs["pbt"]["source_member"]
    first = history.trial(0)
    assert pbt_schedule(first) == [(0, {"h0": 1.0, "h1": 0.0})]
    # every paused trial was continued exactly once, each member by its own chain
    paused = [t for t in history.trials if t.state is TrialState.PRUNED]
    assert {t.number for t in paused} == superseded(history.trials)
    assert all(t.intermediate_values == dict(sorted(t.intermediate_values.items()))
               for t in finals)
    # the members' newest checkpoints stay (they hold the final weights); the others went
    kept = {int(n) for n in study.artifacts.children(study.study_name)}
    assert kept == study.pruner.keep_checkpoints(history) & {
        t.number for t in history.trials if "checkpoint" in t.system_attrs}
    assert len(kept) <= 4


def test_decisions_and_validation() -> None:
    pbt = PopulationBasedTraining(4, interval=5, burn_in=8, max_resource=20)
    history = tunecraft.History([], (tunecraft.StudyDirection.MAXIMIZE,))

    def at(step: int, resume: int | None = None) -> tunecraft.FrozenTrial:
        attrs = {} if resume is None else {"resume": {
            "trial": 0, "source": 0, "step": resume, "checkpoint": None, "lineage": 0}}
        return tunecraft.FrozenTrial(number=1, state=TrialState.RUNNING,
                                     intermediate_values={step: 0.0}, system_attrs=attrs)

    assert pbt.decide(at(5), history) is Decision.CONTINUE  # burn-in
    assert pbt.decide(at(8), history) is Decision.PAUSE
    assert pbt.decide(at(12, resume=8), history) is Decision.CONTINUE
    assert pbt.decide(at(13, resume=8), history) is Decision.PAUSE
    assert pbt.decide(at(20, resume=15), history) is Decision.CONTINUE  # the end
    assert pbt.promote(history) is None  # population not full: start a member
    for kwargs, match in [({"population_size": 1}, "population_size=1"),
                          ({"interval": 0}, "interval=0"),
                          ({"quantile_fraction": 0.6}, "quantile_fraction=0.6"),
                          ({"resample_probability": 2}, "resample_probability=2"),
                          ({"perturbation_factors": ()}, "perturbation_factors=()"),
                          ({"perturbation_noise": 0.0}, "perturbation_noise=0.0"),
                          ({"hyperparams": "lr"}, "hyperparams='lr'")]:
        with pytest.raises(ValueError, match=match):
            PopulationBasedTraining(**kwargs)  # type: ignore[arg-type]
    assert repr(pbt).startswith("PopulationBasedTraining(population_size=4, interval=5")
