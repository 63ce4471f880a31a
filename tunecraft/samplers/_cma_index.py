"""An incremental index of a study's trials for CmaEsSampler: constant work per ask.

Replaying a CMA-ES run from the history (find the newest state blob, collect the finished
trials of its generation, intersect every trial's space) reads every trial at every ask, so
the time per trial grows with the study. :class:`TrialIndex` reads each trial once when it
first appears and again only while it is unfinished, and keeps what the sampler needs: the
intersection of the COMPLETE trials' spaces, the trial numbers tagged with each generation,
and the newest state blob per search space.

The index is derived data, never a source of truth: every answer equals the one a full scan
of the same History gives. It is rebuilt from scratch whenever the History it is shown is
not a continuation of the one it indexed (another study, a filtered view with trials left
out, a shorter history, a new process).
"""

from __future__ import annotations

from collections.abc import Mapping

from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.space import Dim


class TrialIndex:
    """What CmaEsSampler reads from a History, updated in O(new + unfinished trials).

    Args:
        generation_key: System attribute holding a trial's generation number.
        x_key: System attribute holding the point a trial tells.
        state_key: System attribute holding a run state blob (with its ``"space"`` key).
    """

    def __init__(self, generation_key: str, x_key: str, state_key: str) -> None:
        self._gen_key, self._x_key, self._state_key = generation_key, x_key, state_key
        self._reset()

    def _reset(self) -> None:
        self.scanned = 0  # trials at positions < scanned have been read at least once
        self.cursor = -1  # the storage cursor of the last History folded in (-1: unknown)
        self._open: set[int] = set()  # positions read while unfinished: read again
        self._joint: dict[str, Dim] | None = None  # None: no COMPLETE trial yet
        self.n_complete = 0  # COMPLETE trials with finite values: len(history.complete())
        self._gens: dict[int, set[int]] = {}  # generation -> tagged trial numbers
        self._latest: dict[str, tuple[int, int]] = {}  # space key -> (generation, number)
        self._first: FrozenTrial | None = None  # first finished trial: the study's identity
        self._first_pos = -1

    # ------------------------------------------------------------------ update
    def update(self, history: History) -> None:
        """Fold in what changed since the last History; rebuild if it does not continue it."""
        trials = history.trials
        if not self._continues(trials) or -1 < history.cursor < self.cursor:
            self._reset()  # another study, a filtered view, or an older snapshot
        for pos in sorted(self._open):
            self._read(pos, trials[pos])
        for pos in range(self.scanned, len(trials)):
            self._read(pos, trials[pos])
        self.scanned = len(trials)
        self.cursor = history.cursor

    def _continues(self, trials: tuple[FrozenTrial, ...]) -> bool:
        """Whether ``trials`` extends the indexed trials: same length or longer, dense numbers
        at the indexed positions, and the same first finished trial."""
        n = self.scanned
        if n == 0:
            return True
        if len(trials) < n or trials[n - 1].number != n - 1:
            return False
        if self._first is not None:
            now = trials[self._first_pos]
            return now is self._first or now == self._first
        return True

    def _read(self, pos: int, t: FrozenTrial) -> None:
        if t.number != pos:  # a filtered view: numbers are not positions; index it densely
            raise _NotDense
        attrs = t.system_attrs
        gen = attrs.get(self._gen_key)
        if isinstance(gen, int) and self._x_key in attrs:
            self._gens.setdefault(gen, set()).add(t.number)
            run = attrs.get(self._state_key)
            if isinstance(run, Mapping) and isinstance(run.get("space"), str):
                key = run["space"]
                if key not in self._latest or gen > self._latest[key][0]:
                    self._latest[key] = (gen, t.number)
        if not t.state.is_finished():
            self._open.add(pos)
            return
        self._open.discard(pos)
        if self._first is None:
            self._first, self._first_pos = t, pos
        if t.is_finite_complete():
            self.n_complete += 1
            if self._joint is None:
                self._joint = dict(t.distributions)
            else:
                self._joint = {k: d for k, d in self._joint.items()
                               if (o := t.distributions.get(k)) is d or o == d}

    # ------------------------------------------------------------------ queries
    def intersection(self) -> dict[str, Dim]:
        """Equals ``history.intersection_space()`` of the History last folded in."""
        return dict(sorted((self._joint or {}).items()))

    def latest(self, space_key: str) -> tuple[int, int] | None:
        """(generation, trial number) of the newest state blob for ``space_key``, or None."""
        return self._latest.get(space_key)

    def generation(self, gen: int) -> list[int]:
        """The numbers of the trials tagged with generation ``gen``, in order."""
        return sorted(self._gens.get(gen, ()))


class _NotDense(Exception):
    """A History whose trial numbers are not their positions (a filtered view)."""


def indexed(index: TrialIndex | None, history: History, keys: tuple[str, str, str]
            ) -> TrialIndex | None:
    """``index`` (or a new one) brought up to date with ``history``; None when the History
    cannot be indexed by position (a filtered view), where the caller scans it instead."""
    if index is None:
        index = TrialIndex(*keys)
    try:
        index.update(history)
    except _NotDense:
        return None
    return index
