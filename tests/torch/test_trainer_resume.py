"""Pause and resume through the trainer: a resumed run is bit-identical to an uninterrupted one
(same seed, CPU), checkpoints live in the artifact store, and PBT's config change is adopted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tunecraft  # noqa: E402
from tunecraft import FrozenTrial, History, TrialState  # noqa: E402
from tunecraft.pruners import BasePruner, Decision, Resume, ResumeInfo  # noqa: E402
from tunecraft.pruners.lineage import paused_step, superseded  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402
from tunecraft.torch import TrainConfig, fit  # noqa: E402
from tunecraft.torch.mlp import MLPSpec  # noqa: E402
from tunecraft.torch.resume import make_schedule  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]
NET = MLPSpec(64, 10, depth=2, width=24)
CFG = TrainConfig(lr=5e-3, batch_size=32, schedule="cosine", warmup_pct=0.1, dropout=0.2,
                  init="kaiming_uniform", label_smoothing=0.1, grad_clip=1.0, seed=3,
                  patience=4)


class PauseAt(BasePruner):
    """Pauses fresh trials at ``step`` and resumes each paused trial once, with ``params``
    (default: its own)."""

    def __init__(self, step: int, params: dict[str, Any] | None = None) -> None:
        self.step = step
        self.params = params

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        fresh = "resume" not in trial.system_attrs
        return Decision.PAUSE if fresh and trial.last_step == self.step else Decision.CONTINUE

    def promote(self, history: History) -> Resume | None:
        gone = superseded(history.trials)
        for t in history.trials:
            step = paused_step(t)
            if step is not None and t.number not in gone:
                return Resume(t.number, t.number, step, self.params or dict(t.params))
        return None


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:400], y[:400]), (x[1400:1700], y[1400:1700])


def run_paused(digits: Any, tmp_path: Path, config: TrainConfig, *, pause_at: int,
               epochs: int, checkpoints: bool = True, **study_kwargs: Any
               ) -> tuple[tunecraft.Study, list[Any]]:
    train, val = digits
    results: list[Any] = []

    def objective(trial: tunecraft.Trial) -> float:
        trial.suggest_float("lr", 1e-3, 1e-2)  # recorded, not used: the config is fixed
        result = fit(NET, train, val, config, trial, max_epochs=epochs, device="cpu",
                     checkpoints=checkpoints)
        results.append(result)
        return result.best_metric

    study = tunecraft.create_study(direction="maximize", sampler=RandomSampler(seed=0),
                                   pruner=PauseAt(pause_at), artifacts=tmp_path / "ckpt",
                                   **study_kwargs)
    study.optimize(objective, n_trials=2)
    return study, results


def test_a_paused_and_resumed_run_is_bit_identical(digits: Any, tmp_path: Path) -> None:
    train, val = digits
    whole = fit(NET, train, val, CFG, max_epochs=6, device="cpu")
    study, results = run_paused(digits, tmp_path, CFG, pause_at=2, epochs=6)
    first, second = study.trials
    assert first.state is TrialState.PRUNED and first.system_attrs["paused"] == 2
    assert second.state is TrialState.COMPLETE
    info = ResumeInfo.from_json(second.system_attrs["resume"])
    assert (info.trial, info.source, info.step, info.lineage) == (0, 0, 2, 0)
    assert info.checkpoint == first.system_attrs["checkpoint"]["key"]
    (resumed,) = results
    assert resumed.resumed_at == 2 and resumed.epochs == whole.epochs
    assert resumed.history == whole.history  # every loss, accuracy and rate, exactly
    assert resumed.best_metric == whole.best_metric == second.value
    assert all(torch.equal(p, q) for p, q in zip(resumed.model.state_dict().values(),
                                                 whole.model.state_dict().values(),
                                                 strict=True))
    # the continuation starts with a copy of its predecessor's reports: one whole curve
    assert dict(second.intermediate_values) == {
        h.epoch: h.val_accuracy for h in whole.history}
    # once the continuation finished, the paused trial's checkpoint is no longer needed
    assert study.artifacts.children(study.study_name) == []


def test_without_checkpoints_a_resumed_trial_trains_from_the_start(digits: Any,
                                                                   tmp_path: Path) -> None:
    train, val = digits
    whole = fit(NET, train, val, CFG.replace(patience=None), max_epochs=4, device="cpu")
    study, results = run_paused(digits, tmp_path, CFG.replace(patience=None), pause_at=2,
                                epochs=4, checkpoints=False)
    first, second = study.trials
    assert "checkpoint" not in first.system_attrs
    assert ResumeInfo.from_json(second.system_attrs["resume"]).checkpoint is None
    (again,) = results
    assert again.resumed_at == 0 and again.history == whole.history  # retrained: same run
    assert not (tmp_path / "ckpt").exists()


def test_checkpoints_survive_a_restart_of_the_study(digits: Any, tmp_path: Path) -> None:
    train, val = digits
    url = f"sqlite:///{tmp_path / 'study.db'}"
    cfg = CFG.replace(patience=None)
    whole = fit(NET, train, val, cfg, max_epochs=4, device="cpu")

    def objective(trial: tunecraft.Trial) -> float:
        trial.suggest_float("lr", 1e-3, 1e-2)
        return fit(NET, train, val, cfg, trial, max_epochs=4, device="cpu").best_metric

    first = tunecraft.create_study(storage=url, study_name="s", direction="maximize",
                                   pruner=PauseAt(3))
    first.optimize(objective, n_trials=1)  # paused at epoch 3, then the process "exits"
    ckpt = first.trials[0].system_attrs["checkpoint"]["key"]
    assert (tmp_path / "study.db.artifacts").joinpath(*ckpt.split("/")).is_file()
    again = tunecraft.load_study(study_name="s", storage=url, pruner=PauseAt(3))
    again.optimize(objective, n_trials=1)
    assert again.trials[1].value == max(h.val_accuracy for h in whole.history)


def test_a_resume_with_other_params_adopts_the_new_optimizer_settings(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=1e-2, optimizer="sgd", momentum=0.9, weight_decay=1e-4, seed=1)
    study = tunecraft.create_study(direction="maximize", pruner=PauseAt(2))
    configs: list[TrainConfig] = []

    def objective(trial: tunecraft.Trial) -> float:
        c = cfg.replace(lr=trial.suggest_float("lr", 1e-3, 1e-1, log=True))
        configs.append(c)
        result = fit(NET, train, val, c, trial, max_epochs=4, device="cpu")
        assert [h.lr for h in result.history[2:]] == [c.lr, c.lr]  # the new rate applies
        return result.best_metric

    study.enqueue_trial({"lr": 1e-2})
    study.pruner = PauseAt(2, params={"lr": 0.05})
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PRUNED, TrialState.COMPLETE]
    assert [c.lr for c in configs] == [1e-2, 0.05]


def test_rung_horizon_restarts_the_schedule_at_each_rung(digits: Any) -> None:
    cfg = TrainConfig(lr=1.0, schedule="cosine")
    whole, _ = make_schedule(cfg, 10, 9)
    rungs, _ = make_schedule(cfg, 10, 9, restarts=(1, 3))
    assert whole(0) == rungs(0) == 1.0
    assert rungs(10) == 1.0 and rungs(30) == 1.0  # restarts at epochs 1 and 3
    assert rungs(9) == pytest.approx(cosine_at(9, 10))
    assert rungs(29) == pytest.approx(cosine_at(19, 20))
    assert whole(29) > 0.5  # the full-horizon cosine has barely decayed by epoch 3
    with pytest.raises(ValueError, match="horizon='epochs'"):
        fit(NET, *digits, CFG, horizon="epochs")  # type: ignore[arg-type]


def cosine_at(t: int, total: int) -> float:
    import math

    return 0.5 * (1 + math.cos(math.pi * t / total))
