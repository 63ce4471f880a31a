"""How ``benchmarks/optuna_suite.py`` classifies each of Optuna's tests run against tunecraft.

Scope is decided by rules applied in this order, first match wins:

1. ``TABLE``: an explicit, commented list of test-name (and failure-message) patterns with
   the class and reason; each row is a deliberate difference documented in
   ``docs/differences.md``.
2. ``SOURCE_TABLE``: explicit, commented patterns on the test's source (a documented
   difference that shows in what the test mocks).
3. Static rule, Optuna internals: the test's source (with its decorators; for tests that
   Optuna's shared test classes define, their source in ``optuna/testing``) uses a private
   name: an attribute ``._x``, a name imported from an Optuna private module (``optuna.x._y``),
   a private helper whose body does (``_create_new_trial`` reaches into ``study._storage``),
   or a ``patch("optuna....._x")`` target.
4. Dynamic rule, Optuna internals: the failure is the shim's ``OptunaInternalUsed``, or an
   AttributeError for a ``_``-prefixed name (used by the test or by Optuna's helpers).

Everything else is in scope. An in-scope failure is classified from its exception:
``NotInTunecraft``/``ImportError``/``has no attribute`` -> missing API; a ``TypeError``
about arguments -> signature; anything else -> tunecraft bug (a behaviour differs).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

INTERNALS = "Optuna internals"
DIFFERENCE = "deliberate documented difference"
MISSING = "missing API"
SIGNATURE = "signature"
BUG = "tunecraft bug"

_ANY = r""
TABLE: list[tuple[str, str, str, str, str]] = [
    # (file regex, test-id regex, failure-message regex, class, reason); "" matches anything.
    # n_jobs > 1 on a shared storage runs worker processes in tunecraft (docs/distributed.md),
    # so an objective holding a lock cannot be sent; Optuna runs threads.
    (_ANY, _ANY, r"cannot be sent to worker processes", DIFFERENCE,
     "`n_jobs > 1` on SQLite runs worker processes; the objective must pickle "
     "(`executor='thread'` for threads)"),
    # FrozenTrial is immutable in tunecraft (docs/differences.md, `FrozenTrial`): Optuna's
    # setters and in-place edits fail by design.
    (_ANY, _ANY, r"FrozenInstanceError|object attribute '\w+' is read-only|"
     r"'mappingproxy' object does not support item assignment", DIFFERENCE,
     "FrozenTrial is immutable; build a new one with `dataclasses.replace`"),
    # One parameter name with two distributions in one study raises IncompatibleSpace
    # (docs/differences.md); Optuna silently records both ("dynamic range" tests).
    (_ANY, _ANY, r"IncompatibleSpace", DIFFERENCE,
     "one parameter name, two distributions: IncompatibleSpace by design"),
    # These read tqdm's text on stderr; tunecraft's progress bar is Rich's, with the trial
    # count, best value and times in its own layout (docs/differences.md, progress bar).
    (r"test_study", r"progbar", _ANY, DIFFERENCE,
     "progress bar is Rich's layout, not tqdm's text on stderr"),
    # Records are immutable, so get_trials(deepcopy=True) has nothing to copy; the test
    # counts calls of copy.deepcopy (docs/differences.md, FrozenTrial).
    (r"test_study", r"^test_get_trials\[", _ANY, DIFFERENCE,
     "immutable records: no `copy.deepcopy` to count"),
    # The default sampler is AutoSampler, not TPE (docs/differences.md, default sampler).
    (r"test_study", r"^test_(create|load)_study_default_sampler", _ANY, DIFFERENCE,
     "default sampler is AutoSampler"),
    # trials, get_trials() and directions are tuples (docs/differences.md): an assertion
    # comparing one to a list literal fails although the items are equal.
    (_ANY, _ANY, r"AssertionError: assert \(.*\) == \[", DIFFERENCE,
     "tuples, not lists (immutable records)"),
    # Several objectives can be reported and pruned on (docs/differences.md, pruning several
    # objectives); Optuna raises NotImplementedError for both.
    (r"test_trial", r"^test_raise_error_for_(report_with|should_prune)_multi_objectives",
     _ANY, DIFFERENCE, "multi-objective report/should_prune are supported, not refused"),
    # An enqueued value outside its distribution raises ValueError naming the fix; Optuna
    # warns and records the illegal value (docs/differences.md, enqueue_trial).
    (r"test_study", r"^test_enqueue_trial_with_out_of_range_parameters", _ANY, DIFFERENCE,
     "an enqueued value outside its distribution is refused, not recorded with a warning"),
    # Study names have a visible character in every storage (docs/differences.md).
    (r"test_study", r"^test_copy_study_to_study_name\[-", _ANY, DIFFERENCE,
     "an empty study name is refused"),
    # A failed tell is logged on the ``tunecraft`` logger, and tell() without values or state
    # raises ValueError (docs/differences.md, tell); Optuna emits UserWarnings and FAILs.
    (r"test_study", r"^test_tell(_multi_objective)?_automatically_fail", _ANY, DIFFERENCE,
     "a failed tell is logged, not warned; tell() without values raises"),
    # FrozenTrial.constraints is a tuple of values (docs/differences.md, constraints).
    (r"test_frozen", r"^test_create_trial_with_constraints$", _ANY, DIFFERENCE,
     "`FrozenTrial.constraints` is a tuple, not Optuna 5's dict of named values"),
]
"""Explicit classifications, checked before the rules (module docstring)."""

SOURCE_TABLE: list[tuple[str, str, str]] = [
    # (regex on the test's source, class, reason)
    # The study samples through tunecraft's pure ``sample(space, history, rng, number)``
    # with the trial's own generator; tests that mock Optuna's sampler methods and count
    # the study's calls of them test Optuna's internal call path (docs/differences.md,
    # samplers). Every tunecraft sampler still answers these methods when called.
    (r"patch(\.object)?\([^)]*[\"'.](sample_independent|sample_relative|"
     r"infer_relative_search_space)[\"']", DIFFERENCE,
     "mocks Optuna's sampler methods to count the study's calls; the study calls `sample`"),
    # Optuna reseeds each thread's sampler; tunecraft draws every trial from
    # (seed, trial number), the same for any n_jobs (docs/differences.md, reproducibility).
    (r"reseed_rng.*call_count|call_count.*reseed_rng|patch\.object\([^)]*reseed_rng",
     DIFFERENCE, "per-trial generators: no reseeding per worker"),
]
"""Explicit classifications by the test's source, checked after ``TABLE``."""


@dataclass(frozen=True)
class Verdict:
    """Scope and class of one test."""

    excluded: bool
    klass: str
    reason: str


def _file_sources(path: Path, out: dict[str, str], private: set[str], prefix: str) -> None:
    text = path.read_text()
    tree = ast.parse(text)
    lines = text.splitlines()

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str) -> None:
        start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        out.setdefault(owner + node.name, "\n".join(lines[start:node.end_lineno]))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node, prefix)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    add(sub, prefix + node.name + "::")
                    add(sub, "*::")  # inherited by the test classes of another file
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = alias.asname or alias.name
                if any(p.startswith("_") for p in node.module.split(".") + [alias.name]):
                    private.add(name)


def source_index(path: Path, helpers: Path | None = None) -> dict[str, str]:
    """``name`` or ``Class::name`` -> that test's source with decorators (``*::name`` for
    methods of Optuna's shared test classes in ``helpers``), plus ``<private>``: the names
    that stand for Optuna internals: names imported from private modules and private helper
    functions whose body uses internals (such as ``_create_new_trial``, which reaches into
    ``study._storage``)."""
    out: dict[str, str] = {}
    private: set[str] = set()
    _file_sources(path, out, private, "")
    if helpers is not None:
        _file_sources(helpers, out, private, "helpers:")
    for key, src in list(out.items()):
        name = key.rsplit(":", 1)[-1]
        if name.startswith("_") and not name.startswith("__") and uses_internals(src, ""):
            private.add(name)
    out["<private>"] = " ".join(sorted(private))
    return out


_PRIVATE_ATTR = re.compile(r"(?<![\w.])(?:[A-Za-z]\w*)(?:\.\w+)*\._[A-Za-z]\w*")
_PATCH_PRIVATE = re.compile(r"[\"']optuna\.[\w.]*\b_[A-Za-z]\w*")


def uses_internals(source: str, private_names: str) -> str | None:
    """The private name a test's source uses, or None."""
    for pattern in (_PATCH_PRIVATE, _PRIVATE_ATTR):
        m = pattern.search(source)
        if m:
            return m.group(0).strip("\"'")
    for name in private_names.split():
        if re.search(rf"\b{re.escape(name)}\b", source):
            return name
    return None


def _exception_class(message: str) -> str:
    head = next((x for x in message.splitlines() if x.strip()), "")  # the exception line
    if "OptunaInternalUsed" in head:
        return INTERNALS
    if "NotInTunecraft" in head:
        return MISSING
    if re.search(r"has no attribute '_[a-z]\w*'", head):
        return INTERNALS  # an Optuna private name (used by the test or by Optuna's helpers)
    if re.search(r"ImportError|ModuleNotFoundError|has no attribute", head):
        return MISSING
    if re.search(r"TypeError: .*(argument|positional|keyword|takes \d|missing \d)", head):
        return SIGNATURE
    return BUG


def _first_line(message: str) -> str:
    line = next((x for x in message.splitlines() if x.strip()), "")
    line = line.replace("|", "\\|").replace("`", "'")
    return line[:160]


def classify(file: str, test_id: str, outcome: str, message: str,
             sources: dict[str, str]) -> Verdict:
    """Scope and class of one test (module docstring: the rules)."""
    for file_re, id_re, message_re, klass, reason in TABLE:
        if (re.search(file_re, file) and re.search(id_re, test_id)
                and (not message_re or (outcome == "failed" and re.search(message_re, message)))):
            return Verdict(klass in (INTERNALS, DIFFERENCE), klass, reason)
    base = test_id.split("[", 1)[0]
    source = sources.get(base) or sources.get("*::" + base.rsplit("::", 1)[-1], "")
    for source_re, klass, reason in SOURCE_TABLE:
        if re.search(source_re, source, re.DOTALL):
            return Verdict(klass in (INTERNALS, DIFFERENCE), klass, reason)
    name = uses_internals(source, sources.get("<private>", ""))
    if name:
        return Verdict(True, INTERNALS, f"uses `{name}`")
    if outcome != "failed":
        return Verdict(False, "", "")
    klass = _exception_class(message)
    return Verdict(klass == INTERNALS, klass, _first_line(message))
