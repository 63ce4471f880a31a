"""What TPE learns from in a History, as per-trial columns that are updated incrementally.

Rows are the History's trials in number order. COMPLETE (finite) and PRUNED trials are
observations; RUNNING trials are used by the constant liar, at what they have flushed so far
merged over the joint proposal they published (``system_attrs["proposal"]``); other trials
are ignored.

Storage replay hands out the same FrozenTrial object for a trial until that trial changes, so
the table of a new History reuses every row whose trial object is unchanged and encodes only
the others: a suggestion costs O(n) array work but only O(changed trials) Python work. A table
is immutable once built (its lazy caches hold pure functions of it), and whether rows are
reused or rebuilt never changes a result.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.tpe._encoding import encode_column
from tunecraft.samplers.tpe._split import COMPLETE, INFEASIBLE, PRUNED, RUNNING
from tunecraft.space import Dim, is_single
from tunecraft.system_attrs import PROPOSAL_KEY

IGNORED = -1
_Column = tuple[np.ndarray, np.ndarray]


class TrialTable:
    """Per-trial rows of one History; see the module docstring.

    Attributes:
        kind: (n,) COMPLETE, PRUNED, RUNNING or IGNORED.
        numbers: (n,) trial numbers.
        values: (n, m) objective values, every column minimised; NaN unless COMPLETE.
        pruned_key: (n, 2) ``(-last_step, signed last value)`` for PRUNED rows; inf where
            there is no report or the value is NaN (the sort order of the split).
        violation: (n,) total constraint violation of INFEASIBLE rows (trials of any
            finished state that recorded a violated constraint); 0 elsewhere.
    """

    __slots__ = ("history", "trials", "directions", "kind", "numbers", "values", "pruned_key",
                 "violation", "params", "dists", "keysets", "_columns", "_groups", "_latest")

    def __init__(self, history: History, previous: TrialTable | None = None) -> None:
        self.history = history
        self.trials = history.trials
        self.directions = history.directions
        n, m = len(self.trials), len(self.directions)
        changed = _changed_rows(previous, history)
        if previous is None or changed.size == n:
            previous = None
            self.kind = np.full(n, IGNORED, dtype=np.int8)
            self.numbers = np.zeros(n, dtype=np.int64)
            self.values = np.full((n, m), math.nan)
            self.pruned_key = np.full((n, 2), math.inf)
            self.violation = np.zeros(n)
            self.params: list[Mapping[str, Any]] = [{}] * n
            self.dists: list[Mapping[str, Dim] | None] = [None] * n
            self.keysets: list[frozenset[str] | None] = [None] * n
        else:
            keep = min(n, len(previous.trials))
            self.kind = _resized(previous.kind, n, IGNORED)
            self.numbers = _resized(previous.numbers, n, 0)
            self.values = _resized(previous.values, n, math.nan)
            self.pruned_key = _resized(previous.pruned_key, n, math.inf)
            self.violation = _resized(previous.violation, n, 0.0)
            self.params = previous.params[:keep] + [{}] * (n - keep)
            self.dists = previous.dists[:keep] + [None] * (n - keep)
            self.keysets = previous.keysets[:keep] + [None] * (n - keep)
        sign = np.array([d.sign for d in self.directions], dtype=float)
        for i in changed.tolist():
            self._set_row(i, self.trials[i], sign)
        self._columns: dict[tuple[str, Dim], _Column] = {}
        self._groups: list[dict[str, Dim]] | None = None
        self._latest = _updated_latest(previous, self.keysets, changed)
        if previous is not None:
            rows = [self.params[i] for i in changed.tolist()]
            for (name, dim), (ok, data) in list(previous._columns.items()):
                new_ok = _resized(ok, n, False)
                new_data = _resized(data, n, 0)
                if changed.size:
                    new_ok[changed], new_data[changed] = encode_column(dim, name, rows)
                self._columns[(name, dim)] = (new_ok, new_data)

    def _set_row(self, i: int, t: FrozenTrial, sign: np.ndarray) -> None:
        self.numbers[i] = t.number
        self.values[i] = math.nan
        self.pruned_key[i] = math.inf
        self.violation[i] = 0.0
        self.params[i] = t.params
        self.dists[i] = None
        self.keysets[i] = None
        state = t.state
        if state.is_finished() and not t.is_feasible():
            # any finished trial with a violated constraint (a FAIL one too, e.g. out of
            # memory): an observation that goes below only after every feasible one
            cons = t.constraints or ()
            self.kind[i] = INFEASIBLE
            self.violation[i] = sum(c if c > 0 else (math.inf if c != c else 0.0)
                                    for c in cons)
            self.dists[i] = t.distributions
            self.keysets[i] = frozenset(t.distributions)
            return
        if state is TrialState.COMPLETE:
            vals = t.values
            losses = None if vals is None else np.asarray(vals, dtype=float) * sign
            if losses is None or np.isnan(losses).any() or (losses == -math.inf).any():
                self.kind[i] = IGNORED
                return
            if (losses == math.inf).any():
                # an infinite loss (a diverged run): worse than every finite result, so it
                # is ranked after every COMPLETE and PRUNED trial, in the bad group
                self.kind[i] = PRUNED
                self.pruned_key[i] = (math.inf, math.inf)
                self.dists[i] = t.distributions
                self.keysets[i] = frozenset(t.distributions)
                return
            self.kind[i] = COMPLETE
            self.values[i] = np.asarray(vals, dtype=float) * sign
            self.dists[i] = t.distributions
            self.keysets[i] = frozenset(t.distributions)
        elif state is TrialState.PRUNED:
            self.kind[i] = PRUNED
            self.dists[i] = t.distributions
            self.keysets[i] = frozenset(t.distributions)
            if t.intermediate_values:
                step, value = max(t.intermediate_values.items())
                self.pruned_key[i] = (-float(step),
                                      math.inf if math.isnan(value) else sign[0] * value)
        elif state is TrialState.RUNNING:
            self.kind[i] = RUNNING
            self.params[i] = running_params(t)
        else:
            self.kind[i] = IGNORED

    # ------------------------------------------------------------------ queries
    def n_finished(self) -> int:
        """COMPLETE (finite), PRUNED and INFEASIBLE trials: what counts toward
        ``n_startup_trials``."""
        return int(np.count_nonzero((self.kind == COMPLETE) | (self.kind == PRUNED)
                                    | (self.kind == INFEASIBLE)))

    def usable(self, number: int, constant_liar: bool) -> np.ndarray:
        """Mask of the rows TPE learns from when sampling trial ``number``."""
        mask: np.ndarray = ((self.kind == COMPLETE) | (self.kind == PRUNED)
                            | (self.kind == INFEASIBLE))
        if constant_liar:
            mask |= (self.kind == RUNNING) & (self.numbers != number)
        return mask

    def column(self, name: str, dim: Dim) -> _Column:
        """``(ok, data)`` of param ``name`` encoded for ``dim`` (see ``encode_column``)."""
        key = (name, dim)
        col = self._columns.get(key)
        if col is None:
            col = self._columns[key] = encode_column(dim, name, self.params)
        return col

    def groups(self) -> list[dict[str, Dim]]:
        """Partition the params of finished trials into groups that always occur together.

        Two params share a group when every COMPLETE or PRUNED trial has both or neither
        (e.g. ``momentum`` and ``nesterov`` when both are suggested only for SGD). Each param
        takes the distribution of the latest finished trial that has it: if a range changed
        during the study, the current one is proposed, and the trials whose values fall
        outside it are not used. Single-valued params are left out. Groups are sorted by their
        first name, and names within a group are sorted.
        """
        if self._groups is None:
            if self._latest is None:
                self._latest = _latest_rows(self.keysets)
            self._groups = _groups(self._latest, self.dists)
        return self._groups

    def intersection(self) -> dict[str, Dim]:
        """Params present with the same distribution in every COMPLETE or PRUNED trial."""
        space: dict[str, Dim] | None = None
        for dists in self.dists:
            if dists is None:
                continue
            if space is None:
                space = dict(dists)
            else:
                space = {k: d for k, d in space.items() if (o := dists.get(k)) is d or o == d}
        return {k: d for k, d in sorted((space or {}).items()) if not is_single(d)}


def running_params(trial: FrozenTrial) -> Mapping[str, Any]:
    """A RUNNING trial's flushed params over its published joint proposal."""
    proposal = trial.system_attrs.get(PROPOSAL_KEY)
    if not isinstance(proposal, Mapping) or not proposal:
        return trial.params
    return {**proposal, **trial.params}


def _changed_rows(previous: TrialTable | None, history: History) -> np.ndarray:
    n = len(history.trials)
    if previous is None or previous.directions != history.directions:
        return np.arange(n)
    old = previous.trials
    k = min(n, len(old))
    same = np.fromiter(map(operator.is_, old[:k], history.trials[:k]), dtype=bool, count=k)
    return np.concatenate([np.flatnonzero(~same), np.arange(k, n)])


def _resized(a: np.ndarray, n: int, fill: Any) -> np.ndarray:
    if a.shape[0] >= n:
        head: np.ndarray = a[:n].copy()
        return head
    out = np.full((n, *a.shape[1:]), fill, dtype=a.dtype)
    out[:a.shape[0]] = a
    return out


def _latest_rows(keysets: Sequence[frozenset[str] | None]) -> dict[frozenset[str], int]:
    """Each distinct set of param names of the finished rows -> the last row that has it."""
    latest: dict[frozenset[str], int] = {}
    for i, keys in enumerate(keysets):
        if keys is not None:
            latest[keys] = i
    return latest


def _updated_latest(previous: TrialTable | None, keysets: Sequence[frozenset[str] | None],
                    changed: np.ndarray) -> dict[frozenset[str], int] | None:
    """:func:`_latest_rows` of the new table from the previous table's, in O(changed rows)
    (a scan of every row costs 14 ms per suggestion at 20,000 trials); None when it must be
    recomputed: no previous map, fewer rows than before, or a changed row that had names
    before (its old entry may be stale). A finished trial never changes, so in a growing
    study only new rows and RUNNING rows that finished are changed."""
    if previous is None or previous._latest is None or len(keysets) < len(previous.keysets):
        return None
    old = previous.keysets
    rows = changed.tolist()
    if any(i < len(old) and old[i] is not None for i in rows):
        return None
    latest = dict(previous._latest)
    for i in rows:
        keys = keysets[i]
        if keys is not None and latest.get(keys, -1) < i:
            latest[keys] = i
    return latest


def _groups(latest: Mapping[frozenset[str], int], dists: Sequence[Mapping[str, Dim] | None]
            ) -> list[dict[str, Dim]]:
    # The partition depends only on which name sets occur, not on their order: the parts are
    # the classes of names present in exactly the same sets.
    parts: list[set[str]] = []
    for keys in latest:
        rest = set(keys)
        refined: list[set[str]] = []
        for part in parts:
            inside, outside = part & rest, part - rest
            refined.extend(p for p in (inside, outside) if p)
            rest -= part
        if rest:
            refined.append(rest)
        parts = refined
    dims: dict[str, Dim] = {}
    for i in sorted(latest.values()):  # later trials overwrite earlier ones
        dims.update(dists[i] or {})
    out: list[dict[str, Dim]] = []
    for part in parts:
        names = sorted(n for n in part if not is_single(dims[n]))
        if names:
            out.append({n: dims[n] for n in names})
    return sorted(out, key=lambda g: next(iter(g)))
