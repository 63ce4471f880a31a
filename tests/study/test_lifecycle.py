"""The Study's public lifecycle (reserve / begin / tell) that the optimize loop and the
executors drive, the storage capability that decides leasing, and the Trial's narrow context."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunecraft
from tunecraft.decision import Decision
from tunecraft.execution.leases import keeper
from tunecraft.pruners import NopPruner
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import RandomSampler
from tunecraft.storage import InMemoryStorage, Storage
from tunecraft.storage.sql import SQLStorage
from tunecraft.study import Reservation


def _study(storage: Storage | str | None) -> tunecraft.Study:
    return tunecraft.create_study(storage=storage, sampler=RandomSampler(seed=1),
                                  pruner=NopPruner())


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_reserve_begin_tell_is_ask_and_tell(kind: str, tmp_path: Path) -> None:
    study = _study(None if kind == "memory" else str(tmp_path / "s.db"))
    reservation = study.reserve()
    assert reservation == Reservation(0, reservation.token, claimed=False)
    record = study.history().trial(0)
    assert record.state is TrialState.RUNNING and not record.params  # reserved, not sampled
    tracked = (study.study_name, 0) in keeper.tracked()
    assert not tracked  # the keeper renews from begin on (a driver tracks its reservations)
    trial = study.begin(reservation.number, reservation.token)
    assert ((study.study_name, 0) in keeper.tracked()) is study.storage.shared
    x = trial.suggest_float("x", 0.0, 1.0)
    frozen = study.tell(trial, x)
    assert frozen.state is TrialState.COMPLETE and frozen.params == {"x": x}
    assert (study.study_name, 0) not in keeper.tracked()


def test_a_queued_trial_is_claimed_by_reserve() -> None:
    study = _study(None)
    study.enqueue_trial({"x": 0.25})
    reservation = study.reserve()
    assert reservation.number == 0 and reservation.claimed
    trial = study.begin(reservation.number, reservation.token)
    assert trial.suggest_float("x", 0.0, 1.0) == 0.25


def test_begin_under_a_lost_lease_fails_the_write_not_the_study() -> None:
    study = _study(None)
    reservation = study.reserve()
    with pytest.raises(tunecraft.exceptions.TrialFinishedError):
        trial = study.begin(reservation.number, "another worker's token")
        trial.suggest_float("x", 0.0, 1.0)  # the write presents the wrong token


def test_storages_say_whether_other_processes_see_them(tmp_path: Path) -> None:
    assert InMemoryStorage.shared is False
    storage = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    try:
        assert storage.shared is True
    finally:
        storage.close()


class _FlipPruner(BasePruner):
    """Prunes every trial: stands in for a pruner set on the study mid-trial."""

    def decide(self, trial: FrozenTrial, history: tunecraft.History) -> Decision:
        return Decision.PRUNE


def test_a_trial_asks_the_studys_current_pruner() -> None:
    study = _study(None)
    trial = study.ask()
    trial.report(1.0, 0)
    assert not trial.should_prune()
    study.pruner = _FlipPruner()  # Optuna users swap plug-ins on a live study
    assert trial.should_prune()
    assert trial.study is study
