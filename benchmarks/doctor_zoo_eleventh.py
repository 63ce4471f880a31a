"""The eleventh doctor zoo, ``eleventh``: built blind to the doctor's rules, run once.

Run (single process): ``python -m benchmarks.doctor_zoo_eleventh [--only CODE] [--no-repair]
[--out PATH] [--tunecraft DIR]``. The doctor is imported from ``DIR/tunecraft`` (``DIR`` goes
first on ``sys.path`` before anything imports tunecraft); without ``--tunecraft``, from
wherever Python finds it. The path used is printed and saved in the JSON. ``--only`` keeps
the cases whose label (or name) contains the text, e.g. ``--only healthy``.

Built from the issue text, the doctor's public types, the ``fit``/``TrainConfig``/``fix``
signatures, the zoo harness (benchmarks/doctor_zoo.py: each case is scored by its
``summarise``/``report``), the eighth zoo's runner as the format, and the earlier zoos' module
docstrings only (to pick other data, models and recipes); not from the rules, their
thresholds or any result. Data and models (benchmarks/doctor_zoo_eleventh_data.py):
palindrome-or-not token sequences, mirror-symmetric-or-not 12x12 images, the period of
seasonal series with trend and noise, Friedman #2/#3 targets in tertiles (#2 also raw), an
S-curve's position in quartiles lifted to 12-D; a mixture-of-experts MLP, an
inverted-residual CNN with squeeze-and-excitation and BatchNorm, a causal transformer encoder
reading the last token, a weight-normalised MLP and an LSTM classifier. Optimizers: SGD with
cosine warm restarts, SGD with Nesterov momentum, Adam with AMSGrad (through
``fit(optimizer=...)``), AdamW with one-cycle, RMSprop with momentum. Seeds 111-113, 12
epochs (20 for overfitting), 600 training and 240 validation examples.

Sickness recipes (benchmarks/doctor_zoo_eleventh_cases.py; the label is the recipe's,
whatever the run reaches): learning rates 40x-170x the healthy one or ~1e-3x; vanishing by 8
sigmoid layers (not curable by a config) and by 8 tanh layers with weights 0.15-0.25x;
exploding by 5-7 ReLU/ELU layers with weights 5-7x; dead units by hidden biases -5/-2 and
BatchNorm shifts -3 before ReLU; saturation by raw Friedman #2 inputs into tanh (not curable),
LSTM weights 8x and sigmoid biases +6; overfitting of wide models on 48 examples; underfitting
by a 1-unit bottleneck (not curable), L2 1.0 and dropout 0.9; plateaus by learning-rate cuts
(1e-4x after 25 steps, 1e-3x after 8 steps, a power-12 polynomial decay). Recipes were
checked by their own symptoms only (fit without the doctor, and gradient ratio and
dead/saturated fractions at init measured with torch hooks; seed 111 each) before the one run.
Two were changed on that evidence: the tanh mixture-of-experts (6 layers, weights 0.3x, SGD
0.05) trained to 0.95, so it became 8 layers, 0.15x, SGD 0.01; the inverted-residual CNN's
three 1e-3x steps came after it had already reached 0.99, so it became one 1e-3x cut after
8 steps. The seasonal series got less noise and trend (0.2, 0.02) because no healthy
sequence model learned the first version, and the causal transformer was kept to palindromes
(it did not learn the periods in 12 epochs).

**Labelling rule for healthy runs (fixed before any run of this zoo):** a healthy recipe is
labelled ``healthy`` only if its own best validation accuracy reaches
``chance + 0.5 * (1 - chance)`` (chance = 1 / classes); otherwise ``healthy_untrained``,
counted in neither rate and reported apart with what the doctor said. The rule reads the
accuracy only, never the diagnosis. Sick runs keep their recipe's label.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.doctor_zoo_eleventh_cases import (
    CODES,
    EXTERNAL,
    UNTRAINED,
    Case,
    eleventh_zoo,
    select,
)
from benchmarks.doctor_zoo_eleventh_data import ELEVENTH_DIMS, load, make_model

__all__ = ["CODES", "eleventh_zoo", "main", "run", "run_case", "select", "threshold",
           "tunecraft_root"]


def tunecraft_root(tree: str | None) -> str | None:
    """The directory to import tunecraft from (``tree``, checked), or None for the default."""
    if tree is None:
        return None
    if not (Path(tree) / "tunecraft" / "__init__.py").is_file():
        raise SystemExit(f"--tunecraft {tree} holds no tunecraft/__init__.py; give the root "
                         "of a tunecraft checkout or worktree")
    return str(Path(tree).resolve())


def threshold(data: str) -> float:
    """The accuracy a healthy recipe must reach to be labelled ``healthy``."""
    chance = 1.0 / ELEVENTH_DIMS[data][1]
    return chance + 0.5 * (1.0 - chance)


def _optimizer(name: str) -> Any:
    """``fit(optimizer=...)`` for Adam with AMSGrad (None for the config's own)."""
    if name not in EXTERNAL:
        return None

    def build(model: Any, config: Any) -> Any:
        import torch

        return torch.optim.Adam(model.parameters(), lr=config.lr,
                                weight_decay=config.weight_decay, amsgrad=True)

    return build


def _acc(result: Any) -> float:
    accs = [h.val_accuracy for h in result.history if h.val_accuracy is not None
            and math.isfinite(h.val_accuracy)]
    return max(accs) if accs else 0.0


def run_case(case: Case, *, repair: bool = True) -> dict[str, Any]:
    """Train one case under the doctor (and once more after ``fix`` when it is not healthy);
    the row has the fields benchmarks/doctor_zoo.py's ``summarise`` reads."""
    import torch

    from tunecraft.torch import TrainConfig, fit

    torch.set_num_threads(1)
    train, val = load(case.data, case.seed, case.n_train)
    factory = make_model(case.arch, case.data, **case.model)
    config = TrainConfig(**case.config)
    opt = _optimizer(case.optimizer)
    started = time.perf_counter()
    result = fit(factory, train, val, config, max_epochs=case.epochs, device="cpu",
                 doctor=True, optimizer=opt)
    seconds = time.perf_counter() - started
    dx = result.diagnosis
    out: dict[str, Any] = {
        "name": case.name, "label": case.label, "recipe": case.name.rsplit("-s", 1)[0],
        "arch": case.arch,
        "data": case.data, "optimizer": case.optimizer, "seed": case.seed,
        "config": case.config, "seconds": seconds, "accuracy": _acc(result),
        "threshold": threshold(case.data), "stop_reason": result.stop_reason,
        "codes": sorted(p.code for p in dx.at_least("warning")),
        "info": sorted(p.code for p in dx.problems if p.severity == "info"),
        "top": dx.worst.code if dx.worst is not None and dx.worst.rank >= 1 else "healthy",
        "evidence": [f"{p.code}: {p.evidence}" for p in dx.problems],
        "curable": case.curable,
    }
    if case.label == "healthy" and out["accuracy"] < out["threshold"]:
        out["label"] = UNTRAINED
    if repair and case.label != "healthy" and not dx.healthy:
        fixed = dx.fix(config)
        again = fit(factory, train, val, fixed, max_epochs=case.epochs, device="cpu",
                    doctor=True, optimizer=opt)
        out.update(fixed={k: v for k, v in fixed.to_dict().items()
                          if v != config.to_dict()[k]},
                   accuracy_after=_acc(again), healthy_after=again.diagnosis.healthy,
                   codes_after=sorted(p.code for p in again.diagnosis.at_least("warning")),
                   seconds=seconds + time.perf_counter() - started)
    return out


def run(cases: list[Case], *, repair: bool = True, log: Any = None) -> list[dict[str, Any]]:
    """Run ``cases`` one after another in this process."""
    rows = []
    for i, case in enumerate(cases):
        row = run_case(case, repair=repair)
        rows.append(row)
        if log is not None:
            print(f"[{i + 1}/{len(cases)}] {row['name']}: acc {row['accuracy']:.3f} "
                  f"codes {row['codes'] or 'healthy'} after {row.get('codes_after', '-')} "
                  f"({row['seconds']:.1f} s)", file=log, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="run only cases whose label or name "
                    "contains this")
    ap.add_argument("--no-repair", action="store_true")
    ap.add_argument("--out", default=None, help="write rows and summary as JSON here")
    ap.add_argument("--tunecraft", default=None, help="import tunecraft from this tree")
    args = ap.parse_args(argv)
    root = tunecraft_root(args.tunecraft)
    if root is not None:
        if "tunecraft" in sys.modules:
            raise SystemExit("tunecraft was imported before --tunecraft could take effect")
        sys.path.insert(0, root)
    import tunecraft
    from benchmarks.doctor_zoo import report

    where = str(Path(tunecraft.__file__).resolve().parent.parent)
    print(f"doctor from {where}", flush=True)
    cases = select(eleventh_zoo(), args.only)
    started = time.perf_counter()
    rows = run(cases, repair=not args.no_repair, log=sys.stdout)
    report(rows, started, args.out, {"zoo": "eleventh", "tunecraft": where,
                                     "only": args.only, "repair": not args.no_repair})
    return 0


if __name__ == "__main__":
    sys.exit(main())
