"""Asynchronous successive halving (ASHA): keep about the top 1/eta of trials at each rung."""

from __future__ import annotations

from typing import Literal

from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.pruners import _rungs
from tunecraft.pruners.base import BasePruner, Budget, Decision, Resume
from tunecraft.record import FrozenTrial

_CONSTRAINTS: Spec = {
    "min_resource": [Interval(int, 1), Options("auto")],
    "reduction_factor": Interval(int, 2),
    "min_early_stopping_rate": Interval(int, 0),
    "bootstrap_count": Interval(int, 0),
    "max_resource": [Interval(int, 1), Options(None)],
    "pause": Options(True, False),
    "rank_by": Options("value", "forecast"),
}


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (Li et al., MLSys 2020): rungs at steps
    ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.

    A trial is decided at the first report at or past each rung, against every configuration
    that reached that rung so far (in any process; a paused and resumed chain counts once).
    Two rules, chosen by ``pause``:

    - ``pause=False`` (Optuna's ``SuccessiveHalvingPruner``, the stopping variant): continue
      when the trial's value is no worse than the ``max(floor(n / eta), 1)``-th best of the
      ``n`` values at the rung (itself included), else PRUNE for good. The first trial at a
      rung always continues. The order of arrival matters: with ``eta=4`` and values 0..9
      arriving in ascending order (minimising) only the first trial continues past rung 0;
      in descending order every trial does, each being the best so far (mispromotions).
    - ``pause=True`` (Li et al.'s promotion rule): continue when the trial is in the top
      ``floor(n / eta)``, else PAUSE. A paused trial saves a checkpoint (``fit`` does this)
      and waits; whenever a worker asks for a trial, the best paused configuration that has
      entered its rung's top ``floor(n / eta)`` (as more trials arrived) is promoted, highest
      rung first, before any new trial starts: it continues in a new trial from its
      checkpoint (or from scratch when the objective keeps none). Nothing is lost to early
      arrivals, but some trials wait at a rung for a promotion that may never come. With
      ``promote_in_place=False`` a trial in the top is paused too, and promoted through the
      queue like any other: each rung ends a job, as in Li et al.'s algorithm, where a free
      worker always takes the highest promotable rung first. The
      checkpoints of paused trials ranked ``floor(2 n / eta) + eta`` or lower at their rung are
      deleted (they would need the rung to double to be promoted).

    Args:
        min_resource: Steps of the first rung, or ``"auto"``: the last step of the first
            COMPLETE trial // 100 (at least 1); nothing is pruned until a trial completes.
        reduction_factor: eta >= 2; about 1/eta of the trials pass each rung.
        min_early_stopping_rate: s >= 0; the first rung is at ``min_resource * eta ** s``.
        bootstrap_count: Decide nobody at a rung until more than this many configurations
            reached it (they are pruned, or paused and promoted later, with ``pause``).
        max_resource: Steps of a full run, if known: rungs stop below it (reaching it
            completes the trial) and budgets list the rungs for ``fit(horizon="rungs")``.
        pause: PAUSE instead of PRUNE, and promote paused trials (see above).
        promote_in_place: With ``pause``, let a trial promoted on arrival at a rung go on
            training (True), or pause it and promote it through the queue (False).
        rank_by: ``"value"`` (the value reported at the rung) or ``"forecast"`` (the curve
            up to the rung extrapolated to ``max_resource``, which it then needs); see
            :class:`~tunecraft.pruners.HyperbandPruner`.
    """

    name = "asha"
    aliases = ("successive_halving",)

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        *,
        max_resource: int | None = None,
        pause: bool = False,
        promote_in_place: bool = True,
        rank_by: Literal["value", "forecast"] = "value",
    ) -> None:
        validate(_CONSTRAINTS, min_resource=min_resource, reduction_factor=reduction_factor,
                 min_early_stopping_rate=min_early_stopping_rate,
                 bootstrap_count=bootstrap_count, max_resource=max_resource, pause=pause,
                 rank_by=rank_by)
        if rank_by == "forecast" and max_resource is None:
            raise ValueError("rank_by='forecast' extrapolates curves to max_resource; set "
                             "max_resource (the steps of a full run) or use rank_by='value'")
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = min_early_stopping_rate
        self.bootstrap_count = bootstrap_count
        self.max_resource = max_resource
        self.pause = pause
        self.promote_in_place = bool(promote_in_place)
        self.rank_by = rank_by
        self._horizon = max_resource if rank_by == "forecast" else None

    def _min_resource(self, history: History) -> int | None:
        if self.min_resource != "auto":
            return int(self.min_resource)
        last = _rungs.first_complete_last_step(history)
        return None if last is None else max(last // 100, 1)

    def rungs(self, history: History) -> list[int]:
        """The rung steps (empty while ``"auto"`` is unresolved)."""
        r = self._min_resource(history)
        if r is None:
            return []
        return _rungs.rung_steps(r, self.reduction_factor, self.min_early_stopping_rate,
                                 self.max_resource)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        _rungs.single_objective(history, type(self).__name__)
        return _rungs.decide_at_rung(trial, history, None, self.rungs(history),
                                     self.reduction_factor, self.bootstrap_count, self.pause,
                                     self.promote_in_place, self._horizon)

    def allocate(self, number: int, history: History) -> Budget | None:
        rungs = self.rungs(history)
        return Budget(0, rungs[0] if rungs else 0, self.max_resource, tuple(rungs))

    def promote(self, history: History) -> Resume | None:
        if not self.pause or len(history.directions) != 1:
            return None
        found = _rungs.promotion(history, None, self.rungs(history), self.reduction_factor,
                                 self.bootstrap_count, self._horizon)
        return None if found is None else found[1]

    def keep_checkpoints(self, history: History) -> set[int]:
        keep = super().keep_checkpoints(history)
        if self.pause and len(history.directions) == 1:
            keep -= _rungs.unlikely_promotions(history, None, self.rungs(history),
                                               self.reduction_factor, self._horizon)
        return keep

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(min_resource={self.min_resource!r}, "
                f"reduction_factor={self.reduction_factor}, "
                f"min_early_stopping_rate={self.min_early_stopping_rate}, "
                f"bootstrap_count={self.bootstrap_count}, max_resource={self.max_resource}, "
                f"pause={self.pause}, rank_by={self.rank_by!r})")
