"""Hyperband: successive halving in several brackets, from aggressive to none at all."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.pruners import _bracket_choice, _rungs
from tunecraft.pruners.base import BasePruner, Budget, Decision, Resume
from tunecraft.record import FrozenTrial
from tunecraft.system_attrs import RESUME_KEY


@dataclass(frozen=True, slots=True)
class HyperbandBracket:
    """One bracket of Li et al. (2018): ``n`` configurations start with ``r`` steps each.

    ``s`` is the paper's bracket index (``s_max`` the most aggressive); ``index`` is the
    bracket number recorded on trials (0 the most aggressive, whose first rung is at
    ``min_resource``).
    """

    index: int
    s: int
    n: int
    r: float


def hyperband_brackets(min_resource: int, max_resource: int, reduction_factor: int = 3
                       ) -> tuple[HyperbandBracket, ...]:
    """The brackets of Hyperband (Li et al., JMLR 2018, Algorithm 1), most aggressive first.

    ``s_max = floor(log_eta(R / r))``; bracket ``s`` starts ``n = ceil((s_max + 1) * eta**s
    / (s + 1))`` configurations at ``R * eta**-s`` steps. With R = 81, r = 1, eta = 3 the
    ``(n, r)`` are (81, 1), (34, 3), (15, 9), (8, 27), (5, 81) (the paper's Table 1).
    """
    _rungs.check_int("min_resource", min_resource, 1)
    _rungs.check_int("max_resource", max_resource, min_resource)
    eta = _rungs.check_int("reduction_factor", reduction_factor, 2)
    s_max = 0
    while min_resource * eta ** (s_max + 1) <= max_resource:
        s_max += 1
    return tuple(
        HyperbandBracket(s_max - s, s, math.ceil((s_max + 1) * eta**s / (s + 1)),
                         max_resource / eta**s)
        for s in range(s_max, -1, -1))


@lru_cache(maxsize=32)
def _round_robin(weights: tuple[int, ...]) -> tuple[int, ...]:
    """One period of smooth weighted round robin: each index ``i`` appears ``weights[i]``
    times, spread out evenly (deterministic)."""
    total = sum(weights)
    current = [0] * len(weights)
    order = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        pick = max(range(len(weights)), key=lambda i: (current[i], -i))
        current[pick] -= total
        order.append(pick)
    return tuple(order)


_CONSTRAINTS: Spec = {
    "min_resource": Interval(int, 1),
    "reduction_factor": Interval(int, 2),
    "bootstrap_count": Interval(int, 0),
    "pause": Options(True, False),
    "rank_by": Options("value", "forecast"),
    "bracket_choice": Options("equal", "adaptive"),
}


class HyperbandPruner(BasePruner):
    """Hyperband (Li et al., JMLR 2018) run asynchronously: each bracket is a
    :class:`~tunecraft.pruners.SuccessiveHalvingPruner` with its own first rung.

    Bracket ``b`` (0 .. s_max) has rungs at ``min_resource * eta ** (b + k)``: bracket 0
    prunes from the first rung on, the last bracket runs every trial to ``max_resource``.
    Trials are compared only with trials of their own bracket.

    New trials are assigned to brackets as a pure function of the history (resumed trials
    keep their bracket). By default (``bracket_choice="adaptive"``) every bracket spends the
    same number of steps, as in the paper (in proportion to the brackets' ``n``: 81, 34, 15,
    8, 5 for R = 81, eta = 3), until configurations trained in full show that a bracket's
    first rung ranks unlike ``max_resource``; then that bracket's share shrinks (see
    ``bracket_choice``). ``"equal"`` keeps the paper's split for good, as a smooth weighted
    round robin over the order of new configurations. The study records the
    bracket on the trial and hands the sampler only that bracket's trials
    (``history.where(bracket=b)``), unless the sampler models budgets itself, such as
    ``TPESampler(multi_fidelity=True)`` (BOHB-style), which then sees them all.

    Args:
        min_resource: Steps of the most aggressive bracket's first rung.
        max_resource: Steps of a full run, or ``"auto"``: the last step of the first COMPLETE
            trial; until one completes, new trials get no bracket and run in full.
        reduction_factor: eta >= 2.
        bootstrap_count: As for successive halving, per bracket.
        pause: PAUSE and promote paused trials (Li et al. 2020) instead of pruning; see
            :class:`~tunecraft.pruners.SuccessiveHalvingPruner`.
        promote_in_place: With ``pause``, let a trial promoted on arrival at a rung go on
            training (True), or pause it and promote it through the queue (False: every rung
            ends a job).
        rank_by: What a rung ranks configurations by: ``"value"``, the value reported at
            the rung (Li et al.; Optuna), or ``"forecast"``, the curve up to the rung
            extrapolated to ``max_resource`` (a least-squares fit of three saturating
            families, as in :class:`~tunecraft.pruners.CurveExtrapolationPruner`) once a
            curve has 4 reports up to the rung, which averages out the noise of single
            reports and does not favour configurations that learn fast but level off high.
            It needs a report at most steps (e.g. every epoch).
        bracket_choice: How new configurations are split between brackets: ``"adaptive"``
            (the default since 2026-12, measured against ``"equal"`` in
            ``benchmarks/results/issue-18.md``) or ``"equal"`` (Li et al.: every bracket
            gets the same epochs, the round robin above). With ``"adaptive"`` a bracket's
            share of the epochs follows how well the ranking at its first rung agrees with
            the ranking at ``max_resource`` (Kendall's tau over the configurations trained in
            full, measured online, as Hyper-Tune's bracket selection, Li et al. VLDB 2022),
            so that when early values mislead (curves that cross, a plateau before a late
            drop) the budget moves to brackets that prune later; see
            ``tunecraft.pruners._bracket_choice``. With agreeing rankings, and until a
            configuration has been trained in full, it is the equal split.
    """

    name = "hyperband"

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
        *,
        pause: bool = False,
        promote_in_place: bool = True,
        rank_by: Literal["value", "forecast"] = "value",
        bracket_choice: Literal["equal", "adaptive"] = "adaptive",
    ) -> None:
        validate(_CONSTRAINTS, min_resource=min_resource, reduction_factor=reduction_factor,
                 bootstrap_count=bootstrap_count, pause=pause, rank_by=rank_by,
                 bracket_choice=bracket_choice)
        if max_resource != "auto":
            _rungs.check_int("max_resource", max_resource, min_resource)
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.bootstrap_count = bootstrap_count
        self.pause = pause
        self.promote_in_place = bool(promote_in_place)
        self.rank_by = rank_by
        self.bracket_choice = bracket_choice

    def _horizon(self, r_max: int) -> int | None:
        return r_max if self.rank_by == "forecast" else None

    def _max_resource(self, history: History) -> int | None:
        if self.max_resource != "auto":
            return int(self.max_resource)
        last = _rungs.first_complete_last_step(history)
        return None if last is None else max(last, self.min_resource)

    def brackets(self, history: History) -> tuple[HyperbandBracket, ...]:
        """The brackets (empty while ``"auto"`` is unresolved)."""
        r_max = self._max_resource(history)
        if r_max is None:
            return ()
        return hyperband_brackets(self.min_resource, r_max, self.reduction_factor)

    def rungs(self, bracket: int, max_resource: int) -> list[int]:
        """The rung steps of ``bracket``."""
        return _rungs.rung_steps(self.min_resource, self.reduction_factor, bracket,
                                 max_resource)

    def bracket_for(self, index: int, history: History) -> int | None:
        """The bracket of the ``index``-th new configuration (0-based) under
        ``bracket_choice="equal"`` (the paper's round robin)."""
        brackets = self.brackets(history)
        if not brackets:
            return None
        order = _round_robin(tuple(b.n for b in brackets))
        return order[index % len(order)]

    def bracket_shares(self, history: History) -> tuple[float, ...]:
        """Each bracket's share of the epochs relative to the equal split (all 1 with
        ``bracket_choice="equal"``; empty while ``"auto"`` is unresolved)."""
        r_max = self._max_resource(history)
        if r_max is None:
            return ()
        brackets = self.brackets(history)
        if self.bracket_choice == "equal":
            return tuple(1.0 for _ in brackets)
        firsts = [self.rungs(b.index, r_max)[0] for b in brackets[:-1]]
        return _bracket_choice.epoch_shares(history, firsts, r_max)

    def _adaptive_bracket(self, number: int, history: History) -> int | None:
        brackets = self.brackets(history)
        if not brackets:
            return None
        counts = [0] * len(brackets)
        for t in history.trials:
            if t.number < number and RESUME_KEY not in t.system_attrs:
                b = _rungs.bracket_of(t)
                if b is not None and 0 <= b < len(counts):
                    counts[b] += 1
        return _bracket_choice.pick(self.bracket_shares(history), [b.n for b in brackets],
                                    counts)

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        _rungs.single_objective(history, type(self).__name__)
        bracket = _rungs.bracket_of(trial)
        r_max = self._max_resource(history)
        if bracket is None or r_max is None:
            return Decision.CONTINUE
        return _rungs.decide_at_rung(trial, history, bracket, self.rungs(bracket, r_max),
                                     self.reduction_factor, self.bootstrap_count, self.pause,
                                     self.promote_in_place, self._horizon(r_max))

    def allocate(self, number: int, history: History) -> Budget | None:
        r_max = self._max_resource(history)
        if self.bracket_choice == "adaptive":
            bracket = self._adaptive_bracket(number, history)
        else:
            index = sum(1 for t in history.trials
                        if t.number < number and RESUME_KEY not in t.system_attrs)
            bracket = self.bracket_for(index, history)
        if bracket is None or r_max is None:
            return None
        rungs = self.rungs(bracket, r_max)
        return Budget(bracket, rungs[0] if rungs else r_max, r_max, tuple(rungs))

    def promote(self, history: History) -> Resume | None:
        r_max = self._max_resource(history)
        if not self.pause or r_max is None or len(history.directions) != 1:
            return None
        best: tuple[int, int, Resume] | None = None
        for b in self.brackets(history):
            found = _rungs.promotion(history, b.index, self.rungs(b.index, r_max),
                                     self.reduction_factor, self.bootstrap_count,
                                     self._horizon(r_max))
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], b.index, found[1])
        return None if best is None else best[2]

    def keep_checkpoints(self, history: History) -> set[int]:
        keep = super().keep_checkpoints(history)
        r_max = self._max_resource(history)
        if self.pause and r_max is not None and len(history.directions) == 1:
            for b in self.brackets(history):
                keep -= _rungs.unlikely_promotions(history, b.index, self.rungs(b.index, r_max),
                                                   self.reduction_factor, self._horizon(r_max))
        return keep

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(min_resource={self.min_resource}, "
                f"max_resource={self.max_resource!r}, "
                f"reduction_factor={self.reduction_factor}, "
                f"bootstrap_count={self.bootstrap_count}, pause={self.pause}, "
                f"rank_by={self.rank_by!r}, bracket_choice={self.bracket_choice!r})")
