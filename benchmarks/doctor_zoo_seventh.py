"""The seventh doctor zoo, ``seventh``: built blind to the doctor's rules, run once.

Run (single process): ``python -m benchmarks.doctor_zoo_seventh [--only CODE] [--no-repair]
[--out PATH] [--tunecraft DIR]``. The doctor is imported from ``DIR/tunecraft`` (``DIR`` goes
first on ``sys.path`` before anything imports tunecraft); without ``--tunecraft``, from
wherever Python finds it. The path used is printed and saved in the JSON. ``--only`` keeps
the cases whose label (or name) contains the text, e.g. ``--only healthy``.

Built from the issue text, the doctor's public types and ``fit``/``TrainConfig``/``fix``
signatures, the zoo harness (benchmarks/doctor_zoo.py: each case is scored as there) and the
earlier zoos' module docstrings only (to pick other data, models and recipes); not from the
rules, their thresholds or results. Data and models: benchmarks/doctor_zoo_seventh_data.py
(wine with jitter, breast cancer standardised and raw, a noisy 16-feature table, a
checkerboard, 12x12 shapes, chirp signals, bag-of-tokens topics, token majority; plain,
mixed-activation (Tanh/SiLU/Softplus) and residual LayerNorm MLPs, a CNN, a BatchNorm CNN, a
1-D CNN, an embedding GRU, a bidirectional LSTM, an attention-pooling model). Optimizers:
SGD with momentum, SGD with Nesterov momentum, Adam, AdamW, RMSprop, Adagrad, and NAdam,
RAdam and Adamax through ``fit(optimizer=...)`` (the config names them ``adam``; the
callable reads its ``lr`` and ``weight_decay``). Seeds 61-63, 15-30 epochs.

Sickness recipes (the label is the recipe's, whatever the run reaches): learning rates 30x to
2500x the recipe's (lr_too_high; one of them on ReLUs with SGD) or 1.2e-3x to 1.5e-5x
(lr_too_low); vanishing by deep (8-10 layer) sigmoid stacks (not curable by a config) and
deep tanh/mixed/softplus stacks and a tanh 1-D CNN with weights shrunk 0.15-0.5x (an init
cures it); exploding by 8-layer ReLU/SiLU MLPs, a CNN, a 1-D CNN, a residual MLP and the
attention model with weights scaled 5.5-10x; dead units by biases -2.5 to -5 in ReLU layers
(an init zeroes them); saturation by unstandardised inputs (cancer_raw, noisy_mc_x40: not
curable by a config), by tanh/sigmoid weights 10-12x and by sigmoid biases +4/+5;
overfitting of 512-wide MLPs, a CNN, the attention model, a residual MLP and a BiLSTM on
40-80 examples for 30 epochs; underfitting by 2-3 unit models (not curable by a config), by
weight decay (L2 0.05-1.0 with SGD/RMSprop/Adam/Adagrad, decoupled 20 with AdamW) and by
dropout 0.8-0.9; plateaus by schedules that collapse the rate early (polynomial of power
14-30, a multistep drop at 3-10% of the run by 1e-4/1e-5, exponential to 1e-8/1e-10, cosine
restarts decaying each cycle by 0.01). ``curable`` says whether a TrainConfig can express
the cure. Each sick recipe was checked to be sick by its own symptoms (accuracy and loss
curves of a run without the doctor, against its healthy counterpart) before the zoo ran;
healthy recipes were checked the same way (early stopping and dropout were added to the
recipes whose validation loss climbed).

**Labelling rule for healthy runs (fixed before any run of this zoo):** a healthy recipe is
labelled ``healthy`` only if its own best validation accuracy reaches
``chance + 0.5 * (1 - chance)`` (chance = 1 / classes); otherwise ``healthy_untrained``,
reported apart and counted in neither rate. The rule reads the accuracy only, never the
diagnosis. Sick runs keep their recipe's label.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from typing import Any

from benchmarks.doctor_zoo_seventh_cases import (
    CODES,
    EXTERNAL,
    SEEDS,
    UNTRAINED,
    Case,
    select,
    seventh_zoo,
)
from benchmarks.doctor_zoo_seventh_data import SEVENTH_DIMS, load, make_model

__all__ = ["CODES", "SEEDS", "Case", "main", "run", "run_case", "select", "seventh_zoo",
           "tunecraft_root", "use_tunecraft"]

def healthy_threshold(classes: int) -> float:
    """The best validation accuracy a healthy recipe must reach (module docstring)."""
    chance = 1.0 / classes
    return chance + 0.5 * (1.0 - chance)


def tunecraft_root(given: str | None) -> str | None:
    """The tree whose ``tunecraft`` package is tested (``given``, checked), or None."""
    if given is None:
        return None
    root = os.path.abspath(given)
    if not os.path.isfile(os.path.join(root, "tunecraft", "__init__.py")):
        raise SystemExit(f"--tunecraft {given} holds no tunecraft/__init__.py; give the "
                         "root of a checkout (the folder that contains tunecraft/)")
    return root


def use_tunecraft(root: str | None) -> str:
    """Put ``root`` first on ``sys.path`` (before tunecraft is imported); return the path of
    the tunecraft package that is then imported."""
    if root is not None:
        if "tunecraft" in sys.modules:
            raise SystemExit("tunecraft was imported before --tunecraft could take effect")
        sys.path.insert(0, root)
    import tunecraft

    path = os.path.dirname(os.path.abspath(tunecraft.__file__))
    if root is not None and not path.startswith(root):
        raise SystemExit(f"imported tunecraft from {path}, not from {root}")
    return path


def _optimizer(name: str) -> Any:
    """``fit(optimizer=...)`` for NAdam/RAdam/Adamax (None: the config's own optimizer)."""
    if name not in EXTERNAL:
        return None
    import torch

    cls = {"nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
           "adamax": torch.optim.Adamax}[name]

    def build(model: Any, config: Any) -> Any:
        return cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    return build


def _best_acc(result: Any) -> float:
    accs = [h.val_accuracy for h in result.history if h.val_accuracy is not None
            and math.isfinite(h.val_accuracy)]
    return max(accs) if accs else 0.0


def run_case(case: Case, *, repair: bool = True) -> dict[str, Any]:
    """Train one case under the doctor, and once more after ``fix`` when it is not healthy
    (scored as benchmarks/doctor_zoo.py scores its rows)."""
    import torch

    from tunecraft.torch import TrainConfig, fit

    torch.set_num_threads(1)
    train, val = load(case.data, case.seed, case.n_train)
    factory = make_model(case.arch, case.data, **case.model)
    config = TrainConfig(**case.config)
    opt = _optimizer(case.optimizer)
    started = time.perf_counter()
    result = fit(factory, train, val, config, max_epochs=case.epochs, device="cpu",
                 optimizer=opt, doctor=True)
    seconds = time.perf_counter() - started
    dx = result.diagnosis
    threshold = healthy_threshold(SEVENTH_DIMS[case.data][1])
    acc = _best_acc(result)
    label = case.label
    if label == "healthy" and acc < threshold:
        label = UNTRAINED
    out: dict[str, Any] = {
        "name": case.name, "label": label, "recipe": case.recipe, "arch": case.arch,
        "data": case.data, "optimizer": case.optimizer, "seed": case.seed,
        "config": case.config, "model": case.model, "epochs": case.epochs,
        "n_train": case.n_train, "seconds": seconds, "accuracy": acc,
        "threshold": threshold, "stop_reason": str(getattr(result, "stop_reason", "")),
        "train_loss": [h.train_loss for h in result.history],
        "val_loss": [h.val_loss for h in result.history],
        "codes": sorted(p.code for p in dx.at_least("warning")),
        "info": sorted(p.code for p in dx.problems if p.severity == "info"),
        "top": dx.worst.code if dx.worst is not None and dx.worst.rank >= 1 else "healthy",
        "evidence": [f"{p.code} ({p.severity}): {p.evidence}" for p in dx.problems],
        "curable": case.curable,
    }
    if repair and case.label != "healthy" and not dx.healthy:
        fixed = dx.fix(config)
        again = fit(factory, train, val, fixed, max_epochs=case.epochs, device="cpu",
                    optimizer=opt, doctor=True)
        out.update(fixed={k: v for k, v in fixed.to_dict().items()
                          if v != config.to_dict()[k]},
                   accuracy_after=_best_acc(again), healthy_after=again.diagnosis.healthy,
                   codes_after=sorted(p.code for p in again.diagnosis.at_least("warning")))
    return out


def run(cases: list[Case], *, repair: bool = True, log: bool = False) -> list[dict[str, Any]]:
    """Run ``cases`` one after another in this process."""
    rows = []
    for i, case in enumerate(cases):
        rows.append(run_case(case, repair=repair))
        if log:
            r = rows[-1]
            print(f"[{i + 1}/{len(cases)}] {r['name']}: acc {r['accuracy']:.3f} -> "
                  f"{r['codes'] or 'healthy'} ({r['seconds']:.1f} s)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--only", default=None, help="run only cases whose label/name has this")
    ap.add_argument("--no-repair", action="store_true")
    ap.add_argument("--out", default=None, help="write rows and summary as JSON here")
    ap.add_argument("--tunecraft", default=None, help="test the tunecraft in DIR/tunecraft")
    ap.add_argument("--limit", type=int, default=None, help="run only the first N selected")
    args = ap.parse_args(argv)
    path = use_tunecraft(tunecraft_root(args.tunecraft))
    print(f"tunecraft from {path}", flush=True)
    from benchmarks.doctor_zoo import report

    cases = select(seventh_zoo(), args.only)[:args.limit]
    started = time.perf_counter()
    rows = run(cases, repair=not args.no_repair, log=True)
    report(rows, started, args.out, {"zoo": "seventh", "tunecraft": path,
                                     "cases": [dataclasses.asdict(c) for c in cases]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
