"""The ninth doctor zoo, ``ninth``: built blind to the doctor's rules, run once.

Run (single process): ``python -m benchmarks.doctor_zoo_ninth [--only CODE] [--no-repair]
[--out PATH] [--tunecraft DIR]``. The doctor is imported from ``DIR/tunecraft`` (``DIR`` goes
first on ``sys.path`` before anything imports tunecraft); without ``--tunecraft``, from
wherever Python finds it. The path used is printed and saved in the JSON. ``--only`` keeps
the cases whose label (or name) contains the text, e.g. ``--only healthy``.

Built from the issue text, the doctor's public types, the ``fit``/``TrainConfig``/``fix``
signatures, the zoo harness (benchmarks/doctor_zoo.py: each case is scored by its
``summarise``/``report``) and the earlier zoos' module docstrings only (to pick other data,
models and recipes); not from the rules, their thresholds or any result. Data and models
(benchmarks/doctor_zoo_ninth_data.py): tic-tac-toe final boards (one-hot and as tokens), Dyck
bracket validity (tokens and one-hot), a 20-class Gaussian mixture in 16-D (and raw x25+40),
count-the-dots 10x10 images, scikit-learn's diabetes target in tertiles; plain ReLU,
LeakyReLU, tanh and sigmoid MLPs, a SELU MLP with LeCun init, a highway MLP, a VGG-style
6-conv CNN without normalisation, a CLS-token transformer with learned positions and a tanh
``nn.RNN``. Optimizers: SGD with momentum (plain once), Adam, AdamW, RMSprop, and Adadelta
and ASGD through ``fit(optimizer=...)`` (the config names them ``sgd``; the callable reads its
``lr`` and ``weight_decay``). Seeds 91-93, 14 epochs (20 for overfitting), 900 training and
240 validation examples (diabetes: 300/142).

Sickness recipes (benchmarks/doctor_zoo_ninth_cases.py; the label is the recipe's, whatever
the run reaches): learning rates 40x (SGD momentum lr 4), 25x (Adam 0.05 on a transformer)
and 20x (RMSprop 0.02 on a CNN), or 5e-4x to 2e-3x (SGD 2e-5, Adam 3e-6, Adadelta 2e-3);
vanishing by 10 sigmoid layers (not curable), 8 tanh layers with weights x0.3 and a VGG with
the N(0, 0.01) init of the VGG paper and zero biases; exploding by 8 ReLU layers x6, an
8-layer SELU MLP x1.7 and 6 LeakyReLU layers x8; dead units by hidden biases -5 (MLP), -3
(VGG) and -4 (highway); saturation by raw inputs x25+40 into tanh (not curable: the data
must be standardised), 3 sigmoid layers with biases +4.5 and RNN input weights x10 (not
curable: the init reaches Linear/Conv layers only); overfitting of 512/1024-wide MLPs and a
VGG on 48-60 examples for 20 epochs; underfitting by a 2-unit MLP (not curable), AdamW decay
30 and L2 0.1 with SGD; plateaus by an exponential decay to 1e-7 over the run, three step
drops of x0.001 and a x1e-4 drop after the third epoch. Recipes were checked by their own
symptoms only (accuracy, loss curve, gradient norms across depth and dead/saturated fractions
at init, measured with torch, no doctor) before the one run; the case file's docstring lists
what that check changed and why.

**Labelling rule for healthy runs (fixed before any run of this zoo, copied from the eighth
zoo):** a healthy recipe is labelled ``healthy`` only if its own best validation accuracy
reaches ``chance + 0.5 * (1 - chance)`` (chance = 1 / classes); otherwise
``healthy_untrained``, counted in neither rate and reported apart with what the doctor said.
The rule reads the accuracy only, never the diagnosis. Sick runs keep their recipe's label.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.doctor_zoo_ninth_cases import CODES, EXTERNAL, UNTRAINED, Case, ninth_zoo, select
from benchmarks.doctor_zoo_ninth_data import NINTH_DIMS, load, make_model

__all__ = ["CODES", "main", "ninth_zoo", "optimizer_for", "run", "run_case", "select",
           "threshold", "tunecraft_root"]


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
    chance = 1.0 / NINTH_DIMS[data][1]
    return chance + 0.5 * (1.0 - chance)


def optimizer_for(name: str) -> Any:
    """``fit(optimizer=...)`` for Adadelta/ASGD (None for the config's own optimizer)."""
    if name not in EXTERNAL:
        return None

    def build(model: Any, config: Any) -> Any:
        import torch

        cls = {"adadelta": torch.optim.Adadelta, "asgd": torch.optim.ASGD}[name]
        return cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

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
    opt = optimizer_for(case.optimizer)
    started = time.perf_counter()
    result = fit(factory, train, val, config, max_epochs=case.epochs, device="cpu",
                 doctor=True, optimizer=opt)
    seconds = time.perf_counter() - started
    dx = result.diagnosis
    out: dict[str, Any] = {
        "name": case.name, "label": case.label, "recipe": case.recipe, "arch": case.arch,
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
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
    cases = select(ninth_zoo(), args.only)
    started = time.perf_counter()
    rows = run(cases, repair=not args.no_repair, log=sys.stdout)
    report(rows, started, args.out, {"zoo": "ninth", "tunecraft": where,
                                     "only": args.only, "repair": not args.no_repair})
    return 0


if __name__ == "__main__":
    sys.exit(main())
