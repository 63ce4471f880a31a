"""Build the before/after plots of the doctor's problem pages (docs/doctor/*.md).

Run from the repository root: ``python docs/doctor/make_plots.py`` (about a minute on 2 CPU
cores). For each problem it trains one labelled run of the dev zoo (benchmarks/
doctor_zoo_cases.py) under the doctor, applies ``diagnosis.fix(config)``, trains again, and
saves ``docs/doctor/img/<code>.png`` (step losses and validation accuracy, before and after)
and ``docs/doctor/img/<code>.txt`` (the diagnosis and the change ``fix`` made).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.doctor_zoo import _LAST_OBS, _keep_observations  # noqa: E402
from benchmarks.doctor_zoo_cases import build_zoo, load, make_model  # noqa: E402

OUT = Path(__file__).resolve().parent / "img"
PICK = {  # one readable case per problem (label -> substring of the case name)
    "lr_too_high": "lr_too_high/mlp-digits/sgd", "lr_too_low": "lr_too_low/mlp-digits/adam",
    "vanishing_gradients": "vanishing_gradients/mlp/adam", "dead_units": "dead_units/mlp",
    "exploding_gradients": "exploding_gradients/mlp-digits/sgd",
    "saturated_units": "saturated_units/mlp-digits/adam",
    "overfitting": "overfitting/mlp-digits/adam", "underfitting": "underfitting/mlp-digits/adamw",
    "plateau": "plateau/mlp-digits/adam"}


def _train(case: Any, config: Any) -> tuple[Any, list[float]]:
    from tunecraft.torch import fit

    train, val = load(case.data, case.seed, case.n_train)
    result = fit(make_model(case.arch, case.data, **case.model), train, val, config,
                 max_epochs=case.epochs, device="cpu", doctor=True)
    return result, list(_LAST_OBS[-1].step_losses)


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from tunecraft.torch import TrainConfig

    torch.set_num_threads(1)
    _keep_observations()
    OUT.mkdir(exist_ok=True)
    zoo = build_zoo("dev")
    for code, needle in PICK.items():
        case = next(c for c in zoo if needle in c.name)
        config = TrainConfig(**case.config)
        before, losses0 = _train(case, config)
        fixed = before.diagnosis.fix(config)
        after, losses1 = _train(case, fixed)
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax0.plot(losses0, label="before", color="#c0392b")
        ax0.plot(losses1, label="after fix()", color="#2471a3")
        ax0.set_yscale("log")
        ax0.set_xlabel("optimizer step")
        ax0.set_ylabel("training loss (log)")
        ax0.legend()
        for res, name, color in ((before, "before", "#c0392b"), (after, "after", "#2471a3")):
            acc = [h.val_accuracy for h in res.history]
            ax1.plot(range(1, len(acc) + 1), acc, marker="o", label=name, color=color)
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("validation accuracy")
        ax1.set_ylim(0, 1)
        fig.suptitle(f"{code}: {case.name}", fontsize=9)
        fig.tight_layout()
        fig.savefig(OUT / f"{code}.png", dpi=90)
        plt.close(fig)
        changed = {k: v for k, v in fixed.to_dict().items() if v != config.to_dict()[k]}
        text = [f"case: {case.name}", str(before.diagnosis), f"fix() changed: {changed}",
                f"after: {after.diagnosis}",
                f"best validation accuracy {before.best_metric:.3f} -> {after.best_metric:.3f}"]
        (OUT / f"{code}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
        print(f"{code}: {before.best_metric:.3f} -> {after.best_metric:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
