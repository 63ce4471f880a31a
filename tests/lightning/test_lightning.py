"""PyTorch Lightning: the pruning callback (one process and DDP), pause/resume through Lightning
checkpoints under ASHA, and the LR range test and batch-size finder on a LightningModule."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import tunecraft  # noqa: E402
from tunecraft import FrozenTrial, History, TrialState  # noqa: E402
from tunecraft.artifacts import checkpoint_key  # noqa: E402
from tunecraft.lightning import (  # noqa: E402
    PruningCallback,
    lightning_find_max_batch_size,
    lightning_lr_range_test,
)
from tunecraft.lightning._link import Owner, Remote, Server  # noqa: E402
from tunecraft.pruners import SuccessiveHalvingPruner  # noqa: E402
from tunecraft.pruners.base import BasePruner, Decision  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402

# Lightning 2.6 on torch 2.13 warns about torch's pytree API: theirs to fix, not ours
pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.* is deprecated:FutureWarning")

X = torch.randn(256, 8, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).long()
BATCHES_PER_EPOCH = 4


class PruneOddAtStep(BasePruner):
    """Prunes odd-numbered trials once they have reported ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        last = trial.last_step
        if trial.number % 2 == 1 and last is not None and last >= self.step:
            return Decision.PRUNE
        return Decision.CONTINUE


class Classifier(pl.LightningModule):  # type: ignore[misc]
    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        super().__init__()
        self.lr, self.momentum = lr, momentum
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(),
                                       torch.nn.Linear(16, 2))
        self.steps = 0

    def training_step(self, batch: Any, index: int) -> Any:
        self.steps += 1
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: Any, index: int) -> None:
        x, y = batch
        acc = (self.net(x).argmax(1) == y).float().mean()
        self.log("val_acc", acc, sync_dist=True)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=self.momentum)

    def train_dataloader(self) -> Any:
        return DataLoader(TensorDataset(X, Y), batch_size=256 // BATCHES_PER_EPOCH)

    def val_dataloader(self) -> Any:
        return DataLoader(TensorDataset(X, Y), batch_size=128)


def make_trainer(callbacks: list[Any], max_epochs: int = 4, **options: Any) -> Any:
    return pl.Trainer(max_epochs=max_epochs, callbacks=callbacks, accelerator="cpu",
                      logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, num_sanity_val_steps=1, **options)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def link_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("tunecraft-lightning")]


def test_the_callback_reports_each_epoch_and_prunes(tmp_path: Any) -> None:
    trainers: dict[int, Any] = {}

    def objective(trial: tunecraft.Trial) -> float:
        model = Classifier(trial.suggest_float("lr", 0.01, 1.0, log=True))
        callback = PruningCallback(trial, monitor="val_acc")
        trainer = trainers[trial.number] = make_trainer([callback])
        trainer.fit(model)
        callback.check_pruned()  # a no-op here: one process raises from the hook
        trainer.validate(model, verbose=False)  # outside fit: not reported
        return float(trainer.callback_metrics["val_acc"])

    study = tunecraft.create_study(direction="maximize", pruner=PruneOddAtStep(2),
                                   sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    for t in study.trials:
        pruned = t.state is TrialState.PRUNED
        # one report per epoch, counted from 1; the sanity check reported nothing
        assert sorted(t.intermediate_values) == ([1, 2] if pruned else [1, 2, 3, 4])
        trainer = trainers[t.number]
        # the Trainer was shut down: interrupted at epoch 2 when pruned, finished otherwise
        assert trainer.state.status.value == ("interrupted" if pruned else "finished")
        assert trainer.state.stage is None
        assert trainer.state.fn.value == ("fit" if pruned else "validate")
        assert trainer.lightning_module.steps == BATCHES_PER_EPOCH * (2 if pruned else 4)
    assert study.trials[0].value == pytest.approx(study.trials[0].intermediate_values[4])
    assert link_threads() == []  # one process: no link server was ever started


def test_a_missing_monitor_names_the_logged_metrics() -> None:
    study = tunecraft.create_study()
    callback = PruningCallback(study.ask(), monitor="val_accuracy")
    trainer = SimpleNamespace(sanity_checking=False, state=SimpleNamespace(fn="fit"),
                              callback_metrics={"val_acc": 0.5, "train_loss": 1.0})
    with pytest.raises(ValueError, match=r"'val_accuracy'.*\['train_loss', 'val_acc'\]"):
        callback.on_validation_end(trainer, None)
    with pytest.raises(ValueError, match="'epoch' or 'global_step'"):
        PruningCallback(study.ask(), step="batch")  # type: ignore[arg-type]


def test_paused_trials_resume_from_lightning_checkpoints(tmp_path: Any) -> None:
    curves: dict[int, list[float]] = {}

    def objective(trial: tunecraft.Trial) -> float:
        lr = trial.suggest_float("lr", 0.05, 1.0, log=True)
        torch.manual_seed(0)  # the same initial weights for every trial
        model = Classifier(lr, momentum=0.9)
        callback = PruningCallback(trial, monitor="val_acc", checkpoints=True)
        trainer = make_trainer([callback], max_epochs=4)
        try:
            trainer.fit(model, ckpt_path=callback.ckpt_path)
        finally:
            curves[trial.number] = [model.steps]
        callback.check_pruned()
        return float(trainer.callback_metrics["val_acc"])

    study = tunecraft.create_study(
        direction="maximize", sampler=RandomSampler(seed=3), artifacts=tmp_path / "ckpt",
        pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, max_resource=4,
                                       pause=True))
    study.optimize(objective, n_trials=10)
    assert not [t for t in study.trials if t.state is TrialState.FAIL]
    resumed = [t for t in study.trials if t.system_attrs.get("resume")]
    finished = [t for t in resumed if t.state is TrialState.COMPLETE]
    assert resumed and finished  # promotions happened, and some reached the end
    for t in resumed:
        source = t.system_attrs["resume"]
        assert source["checkpoint"] is not None  # the paused trial saved one
        # trained only the epochs after the checkpoint, not from the start
        last = max(t.intermediate_values)
        assert curves[t.number] == [BATCHES_PER_EPOCH * (last - source["step"])]
        assert sorted(t.intermediate_values) == list(range(1, last + 1))

    # a resumed chain is the uninterrupted run: same curve as four epochs in one go
    chain = finished[0]
    torch.manual_seed(0)
    model = Classifier(chain.params["lr"], momentum=0.9)
    seen: list[float] = []
    record = pl.Callback()
    record.on_validation_end = lambda trainer, module: None if trainer.sanity_checking else (
        seen.append(float(trainer.callback_metrics["val_acc"])))
    make_trainer([record], max_epochs=4).fit(model)
    assert [chain.intermediate_values[s] for s in (1, 2, 3, 4)] == pytest.approx(seen)


def test_the_link_carries_reports_and_decisions_between_processes(tmp_path: Path) -> None:
    study = tunecraft.create_study(pruner=PruneOddAtStep(2))
    study.ask()  # trial 0
    trial = study.ask()  # trial 1: pruned at step 2
    callback = PruningCallback(trial, monitor="val_acc")
    copy = pickle.loads(pickle.dumps(callback))  # what ddp_spawn sends to its workers
    assert copy.trial is None and isinstance(copy._link, Remote)
    assert link_threads() == ["tunecraft-lightning-trial-1"]
    assert copy._link.report(0.25, 1) == "continue"
    assert copy._link.report(0.5, 2) == "prune"
    with pytest.raises(RuntimeError, match="ValueError.*must be a non-negative integer"):
        copy._link.report(0.5, -1)
    assert study.history().trial(1).intermediate_values == {1: 0.25, 2: 0.5}
    checkpoint = tmp_path / "paused.ckpt"
    checkpoint.write_bytes(b"lightning checkpoint")
    copy._link.store_checkpoint(str(checkpoint), 2)  # rank 0 saved it; the owner stores it
    assert study.artifacts.get(checkpoint_key(study.study_name, 1, 2)) == checkpoint.read_bytes()
    stranger = Remote(copy._link.address, "not-the-token", 1)
    with pytest.raises(ConnectionError, match="refused"):
        stranger.report(0.1, 3)
    copy._link.close()
    with pytest.raises(tunecraft.TrialPruned, match="trial 1 pruned at epoch 2"):
        callback.check_pruned()
    assert link_threads() == []  # check_pruned stopped the server

    server = Server(Owner(study.ask()))
    server.close()
    assert server.closed and link_threads() == []


def test_a_forked_copy_is_refused_with_the_fix() -> None:
    callback = PruningCallback(tunecraft.create_study().ask())
    callback._owner_pid = -1  # as in a process forked by 'ddp_fork' / 'ddp_notebook'
    with pytest.raises(RuntimeError, match="strategy='ddp_spawn'"):
        callback.setup(None, None, "fit")


def test_range_test_and_batch_size_finder_on_a_lightning_module() -> None:
    torch.manual_seed(0)
    model = Classifier(lr=0.1, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = lightning_lr_range_test(model, num_iter=40, end_lr=1.0)
    assert 10 <= len(result.lrs) <= 40 and 1e-7 <= result.suggestion() <= 1.0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # training_step ran once per iteration of the sweep and of every confirmation probe
    # (candidates, the step-down fallback and the upward probe)
    assert result.confirmation is not None
    conf = result.confirmation
    probed = sum(len(run) for run in (*conf.losses, *conf.lower_losses, *conf.upper_losses))
    assert model.steps == len(result.lrs) + probed

    found = lightning_find_max_batch_size(
        model, lambda n: (torch.randn(n, 8), torch.randint(0, 2, (n,))), max_size=64,
        steps_per_trial=2)
    assert 1 <= found.max_batch_size <= 64
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())

    manual = Classifier(lr=0.1)
    manual.automatic_optimization = False
    with pytest.raises(ValueError, match="manual optimization"):
        lightning_lr_range_test(manual)


def ddp_objective(trial: tunecraft.Trial) -> float:
    callback = PruningCallback(trial, monitor="val_acc")
    trainer = make_trainer([callback], max_epochs=5, devices=2, strategy="ddp_spawn")
    trainer.fit(Classifier(trial.suggest_float("lr", 0.05, 0.5, log=True)))
    assert trainer.state.status.value == "finished"  # stopped by should_stop, no traceback
    callback.check_pruned()
    return float(trainer.callback_metrics["val_acc"])


@pytest.mark.slow
def test_ddp_spawn_reports_from_rank_zero_and_stops_every_rank() -> None:
    # children left by earlier tests of this process (joblib's loky pool) are not ranks
    earlier = set(multiprocessing.active_children())
    study = tunecraft.create_study(direction="maximize", pruner=PruneOddAtStep(2),
                                   sampler=RandomSampler(seed=0))
    study.ask()  # trial 0 is not run: trial 1, the one run, is pruned at epoch 2
    study.optimize(ddp_objective, n_trials=1)
    trial = study.trials[1]
    assert trial.state is TrialState.PRUNED  # in-memory storage: rank 0 reported over the link
    assert sorted(trial.intermediate_values) == [1, 2]  # once per epoch, not once per rank
    assert set(multiprocessing.active_children()) - earlier == set()  # both ranks exited
    assert link_threads() == []
