"""Issue #12 (scale): listings read a part of a study, never its whole history, and show the
same as a full replay; the event codec's fast path; the replay's system-attribute registry.

Speed itself is measured by ``benchmarks/scale.py``, never here: these tests check that the
slow path (a full replay) is not taken, and that the fast one gives the same answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import tunecraft as tc
from tunecraft.cli.main import main
from tunecraft.dashboard.cache import StudyCache
from tunecraft.history import History
from tunecraft.pruners.lineage import RESUME_KEY, heads
from tunecraft.record import TrialState
from tunecraft.storage.base import Storage
from tunecraft.storage.events import _decode_hook, dumps, loads
from tunecraft.storage.replay import Replayer
from tunecraft.storage.sql import SQLStorage
from tunecraft.testing._values import exact, json_values
from tunecraft.viz import table
from tunecraft.viz.info import summary_info


def _objective(trial: tc.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    if trial.suggest_categorical("kind", ["a", "b"]) == "b":
        x += trial.suggest_float("shift", 0.0, 1.0)  # a conditional parameter
    trial.report(x, 0)
    if trial.number % 5 == 4:
        raise tc.TrialPruned()
    return (x - 1.0) ** 2


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    sampler = tc.samplers.RandomSampler(seed=1)
    tc.create_study(storage=str(path), study_name="one", sampler=sampler).optimize(
        _objective, n_trials=30)
    two = tc.create_study(storage=str(path), study_name="two", sampler=sampler,
                          directions=["minimize", "maximize"])
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                 n_trials=12)
    return path


@pytest.fixture
def no_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a full replay fail, so that a test proves a path never takes it."""
    def refuse(self: Storage, study: str) -> History:
        raise AssertionError(f"the whole history of {study!r} was replayed")

    monkeypatch.setattr(Storage, "history", refuse)


def _history(db: Path, study: str) -> History:
    storage = SQLStorage(f"sqlite:///{db}")
    try:
        return storage.history(study)
    finally:
        storage.close()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------------- command line
def test_cli_listings_read_no_whole_history(db: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    one, two = _history(db, "one"), _history(db, "two")
    best = one.best_trial()
    assert best is not None
    with pytest.MonkeyPatch.context() as m:
        m.setattr(Storage, "history", lambda self, s: pytest.fail(f"{s} was replayed whole"))
        listing = _run(capsys, "--storage", str(db), "studies")
        best_json = json.loads(_run(capsys, "--storage", str(db), "best", "one", "--json"))
        front = json.loads(_run(capsys, "--storage", str(db), "best", "two", "--json"))
        last = _run(capsys, "--storage", str(db), "trials", "one", "--limit", "4")
        pruned = _run(capsys, "--storage", str(db), "trials", "one", "--limit", "2",
                      "--state", "pruned")
    row = next(line for line in listing.splitlines() if " one " in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:8] == ["one", "minimize", "30", "24", "6", "0", "0", "0"]
    assert cells[9] == str(best.number)
    assert best_json == {"number": best.number, "values": list(best.values or ()),
                         "params": dict(best.params)}
    assert [d["number"] for d in front] == [t.number for t in two.best_trials()]
    assert "(4 of 30)" in last and "(2 of 30)" in pruned
    for t in one.trials[-4:]:
        assert f"│ {t.number:>6} │ {t.state.name}" in last
    assert [n for n in (19, 24, 29) if f"│ {n:>6} │ PRUNED" in pruned] == [24, 29]


def test_study_summaries_read_no_whole_history(db: Path, no_replay: None) -> None:
    one, two = tc.get_all_study_summaries(str(db))
    assert (one.n_trials, one.state_counts[TrialState.PRUNED], two.n_trials) == (30, 6, 12)
    assert one.best_trial is not None and two.best_trial is None


# ---------------------------------------------------------------------- dashboard
def test_dashboard_summary_before_any_replay_equals_the_replayed_one(db: Path) -> None:
    for study in ("one", "two"):
        cache = StudyCache(SQLStorage(f"sqlite:///{db}"))
        with pytest.MonkeyPatch.context() as m:
            m.setattr(Storage, "history", lambda self, s: pytest.fail(f"{s} replayed"))
            version, fast, columns = cache.summary(study)
            first = cache.trial(study, 3)
            assert cache.trial(study, 999) is None
        history = _history(db, study)
        assert version == 0 and columns == table.columns(history)
        assert fast == summary_info(history) and first == history.trial(3)
        cache.snapshot(study)  # the study page's table replays it; from now on, the snapshot
        assert cache.summary(study)[1:] == (fast, columns)
        assert cache.trial(study, 3) == first and cache.trial(study, 999) is None
        cache.storage.close()


# ---------------------------------------------------------------------- codec and replay
@given(value=json_values())
def test_the_codec_fast_path_decodes_as_the_tag_hook_does(value: Any) -> None:
    text = dumps(value)
    assert exact(loads(text)) == exact(value)
    assert exact(loads(text)) == exact(json.loads(text, object_hook=_decode_hook))
    # the same encoded form with non-ASCII characters written as they are (no \u escapes)
    literal = json.dumps(json.loads(text), ensure_ascii=False)
    assert exact(loads(literal)) == exact(value)


def test_escaped_or_padded_texts_take_the_full_decoder() -> None:
    assert str(loads('{"\\u005f_float__": "nan"}')) == "nan"  # an escaped tag is a tag
    assert loads(' {"a": [1, 2.5]} ') == {"a": [1, 2.5]}
    with pytest.raises(json.JSONDecodeError):
        loads('{"a": 1} trailing')


def test_replayer_registers_every_system_attribute_key(db: Path) -> None:
    storage = SQLStorage(f"sqlite:///{db}")
    rep = Replayer()
    rep.apply(storage._read("one", -1).events)
    keys = {k for t in rep.trials() for k in t.system_attrs}
    assert rep.system_attr_keys() == keys and storage.history("one").system_attr_keys() == keys
    storage.close()


def test_heads_skips_the_scan_unless_a_trial_continues_another() -> None:
    study = tc.create_study(sampler=tc.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    history = study.history()
    assert RESUME_KEY not in history.system_attr_keys() and heads(history) is history
    first = history.trial(0)
    resumed = [first, *(tc.FrozenTrial(number=t.number, state=t.state, values=t.values,
                                       system_attrs={RESUME_KEY: {"trial": 0}})
                        for t in history.trials[1:2])]
    view = heads(History(resumed, history.directions))
    assert [t.number for t in view.trials] == [1]


@pytest.mark.parametrize("study", ["one", "two"])
def test_trial_summaries_and_best_of_a_real_study(db: Path, study: str) -> None:
    storage = SQLStorage(f"sqlite:///{db}")
    history = _history(db, study)
    rows = storage.trial_summaries(study)
    assert [(r.number, r.state, r.values, r.duration) for r in rows] == [
        (t.number, t.state, t.values, t.duration) for t in history.trials]
    want = ((history.best_trial(),) if history.n_objectives == 1 else history.best_trials())
    assert storage.best_trials(study) == want
    assert storage.param_distributions(study) == dict(history.param_distributions())
    storage.close()

