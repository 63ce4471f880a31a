"""Hugging Face Transformers: the pruning callback and hyperparameter_search on a tiny BERT
built from a config in code (nothing is downloaded)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import tunecraft  # noqa: E402
from tunecraft import FrozenTrial, History, TrialState  # noqa: E402
from tunecraft.pruners.base import BasePruner, Decision  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402
from tunecraft.transformers import PruningCallback, hyperparameter_search  # noqa: E402

VOCAB, LENGTH = 24, 8


class PruneOddTrials(BasePruner):
    """Prunes odd-numbered trials at their first report: pruned and complete trials, always."""

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        if trial.number % 2 == 1 and trial.last_step is not None:
            return Decision.PRUNE
        return Decision.CONTINUE


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class Tokens(torch.utils.data.Dataset):  # type: ignore[misc]
    """Random token sequences; the label says whether token 3 occurs."""

    def __init__(self, n: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.ids = torch.tensor(rng.integers(4, VOCAB, size=(n, LENGTH)))
        mark = rng.random(n) < 0.5
        self.ids[mark, rng.integers(0, LENGTH, size=int(mark.sum()))] = 3
        self.labels = torch.tensor(mark.astype(np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(LENGTH, dtype=torch.long),
                "labels": self.labels[i]}


def tiny_bert(dropout: float = 0.1) -> Any:
    config = transformers.BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=LENGTH, num_labels=2,
        hidden_dropout_prob=dropout)
    return transformers.AutoModelForSequenceClassification.from_config(config)


def accuracy(pred: Any) -> dict[str, float]:
    return {"accuracy": float((pred.predictions.argmax(-1) == pred.label_ids).mean())}


def training_args(out: Path, **overrides: Any) -> Any:
    options: dict[str, Any] = dict(
        output_dir=str(out), num_train_epochs=3, per_device_train_batch_size=16,
        per_device_eval_batch_size=64, learning_rate=1e-3, eval_strategy="epoch",
        save_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True,
        use_cpu=True, seed=0, dataloader_num_workers=0)
    options.update(overrides)
    return transformers.TrainingArguments(**options)


def test_the_callback_reports_each_evaluation_and_prunes(tmp_path: Path) -> None:
    train, val = Tokens(96, 0), Tokens(64, 1)
    trainers: dict[int, Any] = {}

    def objective(trial: tunecraft.Trial) -> float:
        lr = trial.suggest_float("learning_rate", 1e-4, 3e-3, log=True)
        trainer = transformers.Trainer(
            model=tiny_bert(), args=training_args(tmp_path / str(trial.number),
                                                  learning_rate=lr),
            train_dataset=train, eval_dataset=val, compute_metrics=accuracy,
            callbacks=[PruningCallback(trial, metric="eval_accuracy")])
        trainers[trial.number] = trainer
        trainer.train()
        return float(trainer.evaluate()["eval_accuracy"])

    study = tunecraft.create_study(direction="maximize", pruner=PruneOddTrials(),
                                   sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.PRUNED] * 2  # none failed
    steps_per_epoch = 96 // 16
    for t in study.trials:
        expected = [steps_per_epoch] if t.state is TrialState.PRUNED else [
            steps_per_epoch * e for e in (1, 2, 3)]
        assert sorted(t.intermediate_values) == expected  # one report per evaluation
        assert all(0.0 <= v <= 1.0 for v in t.intermediate_values.values())
        # the pruned Trainer left its loop after the first evaluation
        assert trainers[t.number].state.global_step == expected[-1]


def test_a_missing_metric_names_the_logged_keys() -> None:
    study = tunecraft.create_study()
    callback = PruningCallback(study.ask(), metric="accuracy")
    args = type("Args", (), {"world_size": 1})()
    control = transformers.TrainerControl()
    callback.on_train_begin(args, transformers.TrainerState(), control)
    with pytest.raises(ValueError, match=r"'accuracy'.*\['eval_accuracy', 'eval_loss'\].*eval_"):
        callback.on_evaluate(args, transformers.TrainerState(), control,
                             metrics={"eval_loss": 0.5, "eval_accuracy": 0.75})


def test_hyperparameter_search_matches_the_trainer_method(tmp_path: Path) -> None:
    train, val = Tokens(96, 2), Tokens(64, 3)
    inits: list[float] = []

    def model_init(trial: tunecraft.Trial | None) -> Any:
        dropout = 0.1 if trial is None else trial.suggest_float("dropout", 0.0, 0.3)
        inits.append(dropout)
        return tiny_bert(dropout)

    def hp_space(trial: tunecraft.Trial) -> dict[str, Any]:
        return {"learning_rate": trial.suggest_float("learning_rate", 3e-4, 3e-3, log=True),
                "per_device_train_batch_size": trial.suggest_categorical(
                    "per_device_train_batch_size", [16, 32])}

    trainer = transformers.Trainer(
        model_init=model_init, args=training_args(tmp_path, num_train_epochs=2),
        train_dataset=train, eval_dataset=val, compute_metrics=accuracy)
    inits.clear()  # the Trainer built one model at construction
    best = hyperparameter_search(
        trainer, hp_space=hp_space, n_trials=4, direction="maximize", backend="optuna",
        compute_objective=lambda m: m["eval_accuracy"], sampler=RandomSampler(seed=0),
        pruner=PruneOddTrials())

    study = best.run_summary
    assert isinstance(best, transformers.trainer_utils.BestRun)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    assert best.run_id == str(study.best_trial.number)
    assert best.objective == study.best_value
    assert best.hyperparameters == dict(study.best_trial.params)
    assert set(best.hyperparameters) == {"learning_rate", "per_device_train_batch_size",
                                         "dropout"}
    assert len(inits) == 4  # model_init ran once per trial, with the trial
    for t in study.trials:
        assert t.params["dropout"] in inits
        steps = -(-96 // t.params["per_device_train_batch_size"])  # the trial's batch size
        assert min(t.intermediate_values) == steps
    # the trainer is left as it was given, and nothing of the trials is held
    assert trainer.args.learning_rate == 1e-3 and trainer.args.per_device_train_batch_size == 16
    assert trainer.args.output_dir == str(tmp_path)
    assert trainer.model is None and not trainer.is_in_train
    assert not any(isinstance(c, PruningCallback) for c in trainer.callback_handler.callbacks)


def test_hyperparameter_search_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    trainer = transformers.Trainer(model=tiny_bert(), args=training_args(tmp_path),
                                   train_dataset=Tokens(8, 0), eval_dataset=Tokens(8, 1))
    with pytest.raises(RuntimeError, match="model_init"):
        hyperparameter_search(trainer, n_trials=1)
    trainer.model_init = tiny_bert
    with pytest.raises(ValueError, match="n_jobs must be 1"):
        hyperparameter_search(trainer, n_trials=1, n_jobs=2)
    with pytest.raises(ValueError, match="backend='ray'"):
        hyperparameter_search(trainer, n_trials=1, backend="ray")
