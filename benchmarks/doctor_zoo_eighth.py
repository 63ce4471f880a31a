"""The eighth doctor zoo, ``eighth``: built blind to the doctor's rules, run once.

Run (single process): ``python -m benchmarks.doctor_zoo_eighth [--only CODE] [--no-repair]
[--out PATH] [--tunecraft DIR]``. The doctor is imported from ``DIR/tunecraft`` (``DIR`` goes
first on ``sys.path`` before anything imports tunecraft); without ``--tunecraft``, from
wherever Python finds it. The path used is printed and saved in the JSON. ``--only`` keeps
the cases whose label (or name) contains the text, e.g. ``--only healthy``.

Built from the issue text, the doctor's public types, the ``fit``/``TrainConfig``/``fix``
signatures, the zoo harness (benchmarks/doctor_zoo.py: each case is run and scored as there)
and the earlier zoos' module docstrings only (to pick other data, models and recipes); not
from the rules, their thresholds or any result. Data and models:
benchmarks/doctor_zoo_eighth_data.py (Hastie's 10-D chi-square task, standardised and raw
x30+12, Friedman #1 tertiles, a swiss roll cut in quartiles, jittered iris with polynomial
features, 12x12 quadrant-blob images, max-position sequences, pulse-count signals, ordered
token motifs; plain MLPs with ReLU/tanh/sigmoid/ELU/Mish/Hardswish/Softplus/SiLU, GLU-gated
residual MLPs, DenseNet-style MLPs, depthwise-separable GroupNorm CNNs, an MLP-Mixer, a
dilated residual TCN, an LSTM on real sequences and a token CNN). Optimizers: SGD with
momentum (and plain, once), SGD with Nesterov momentum, Adam, AdamW with decay 0.1,
RMSprop, Adagrad, and NAdam, RAdam and Adamax through ``fit(optimizer=...)`` (the config
names them ``adam``; the callable reads its ``lr`` and ``weight_decay``). Seeds 81-83, 14
epochs (20 for overfitting), 900 training and 240 validation examples (iris: 600/250).

Sickness recipes (benchmarks/doctor_zoo_eighth_cases.py; the label is the recipe's, whatever
the run reaches): learning rates 120x to 20000x the recipe's (one with plain SGD on ReLUs)
or 6e-4x to 5e-6x; vanishing by 8-9 sigmoid layers (not curable by a config) and by 8
tanh/softplus/mish/ELU layers with weights shrunk 0.2-0.35x (an init cures it); exploding by
6-8 ReLU/ELU/Hardswish/Mish layers, GLU blocks, a dense MLP and a residual TCN with weights
6-16x; dead units by hidden biases -3.5 to -9 (ReLU, Hardswish, token and residual convs);
saturation by raw inputs (x30+12; not curable: standardising is), tanh/sigmoid/LSTM/conv
weights 8-20x, sigmoid biases +7 and tanh biases +5; overfitting of 256-768-wide MLPs, a
mixer, an LSTM and a token CNN on 40-56 examples for 20 epochs; underfitting by 1-2 unit
models (not curable), L2 0.3-2.0 (SGD, RMSprop, Adagrad, NAdam), decoupled decay 40 (AdamW)
and dropout 0.88/0.9; plateaus by cosine restarts whose every peak is 0.003-0.02x the last
(3-12 cycles) and exponential decay to 1e-9 over the run. Recipes were checked by their own
symptoms only (accuracy, loss curve, gradient ratio and dead/saturated fractions at init,
measured with torch, no doctor) before the one run; six were changed on that evidence.

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

from benchmarks.doctor_zoo_eighth_cases import CODES, EXTERNAL, UNTRAINED, Case, eighth_zoo, select
from benchmarks.doctor_zoo_eighth_data import EIGHTH_DIMS, load, make_model

__all__ = ["CODES", "eighth_zoo", "main", "run", "run_case", "select", "threshold",
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
    chance = 1.0 / EIGHTH_DIMS[data][1]
    return chance + 0.5 * (1.0 - chance)


def _optimizer(name: str) -> Any:
    """``fit(optimizer=...)`` for NAdam/RAdam/Adamax (None for the config's own)."""
    if name not in EXTERNAL:
        return None

    def build(model: Any, config: Any) -> Any:
        import torch

        cls = {"nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
               "adamax": torch.optim.Adamax}[name]
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
    opt = _optimizer(case.optimizer)
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
    cases = select(eighth_zoo(), args.only)
    started = time.perf_counter()
    rows = run(cases, repair=not args.no_repair, log=sys.stdout)
    report(rows, started, args.out, {"zoo": "eighth", "tunecraft": where,
                                     "only": args.only, "repair": not args.no_repair})
    return 0


if __name__ == "__main__":
    sys.exit(main())
