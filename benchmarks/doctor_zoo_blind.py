"""The sixth doctor zoo, ``blind``: built without reading the doctor's rules, run once.

Run (single process): ``python -m benchmarks.doctor_zoo_blind [--only CODE] [--no-repair]
[--out PATH] [--tunecraft DIR]``. The doctor is imported from ``DIR/tunecraft``; without
``--tunecraft``, from the first ``PYTHONPATH`` entry holding a ``tunecraft`` package (so
``PYTHONPATH=/tmp/wt-head`` tests that tree, although ``-m`` puts the working directory
first), else from wherever Python finds it. The path used is printed and saved.

Data and models are in benchmarks/doctor_zoo_blind_data.py (an XOR table, 3-D shells, a
sum-of-sines task, two moons in 8-D, first-vs-last and parity sequences, 8x8 strokes; MLPs
with and without LayerNorm, a stride-2 CNN, a two-layer LSTM, a GRU, a plain RNN, a pre-LN
transformer block). Optimizers: SGD with and without momentum, Adam, AdamW, RMSprop; batch
sizes 32/64/96; seeds 51-53. Sickness recipes and factors the earlier zoos did not use:
learning rates 40/250/900/12000x too high (and three that kill ReLUs with plain SGD or
Adam), 8e-4..8e-6x too low; vanishing by tiny-init deep tanh (curable by an init) and
sigmoid stacks (not curable by a config); exploding by large-init ReLU MLPs and CNNs and a
ReLU RNN with scaled recurrent weights; dead units by negative biases in MLPs and CNNs;
saturation by unstandardised inputs (not curable by a config: standardising is) and by
scale + bias combinations; overfitting of wide LayerNorm MLPs, MLPs and CNNs on 32-64
examples; underfitting by a 2-3 unit model (not curable by a config), by weight decay with
plain SGD/RMSprop/Adam and by dropout + weight decay together; plateaus by multistep,
per-step exponential and step schedules that collapse the rate early.

**Labelling rule for healthy runs (fixed before any run of this zoo, as in the unseen
zoo):** a healthy recipe is labelled ``healthy`` only if its own best validation accuracy
reaches ``chance + 0.5 * (1 - chance)``; otherwise ``healthy_untrained``, reported apart.
Sick runs keep their recipe's label whatever they reach.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

from benchmarks.doctor_zoo_blind_data import BLIND_DIMS
from benchmarks.doctor_zoo_cases import Case

GOOD_LR = {"sgd": 0.05, "sgd0": 0.3, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3}
OPTS = ("sgd", "sgd0", "adam", "adamw", "rmsprop")
SEEDS = (51, 52, 53)
CODES = ("lr_too_high", "lr_too_low", "vanishing_gradients", "exploding_gradients",
         "dead_units", "saturated_units", "overfitting", "underfitting", "plateau")
ADAPTIVE = ("adam", "adamw", "rmsprop")  # the LSTM does not learn these tasks with SGD
EPOCHS = 20
# (arch, data, activation, depth, optimizers, SGD rate multiplier): the grid of healthy,
# too-high and too-low rate runs
GROUPS = (("mlp", "xor10", "relu", 3, OPTS, 1.0), ("ln_mlp", "sines5", "gelu", 3, OPTS, 1.0),
          ("cnn_s2", "strokes8", "relu", 3, OPTS, 1.0),
          ("lstm2", "parity_seq", "relu", 2, ADAPTIVE, 1.0),
          ("tblock", "firstlast_seq", "gelu", 2, OPTS, 1.0),
          ("mlp", "moons8", "elu", 2, OPTS, 1.0))


def config(opt: str, seed: int, batch: int, lr_mult: float = 1.0, **extra: Any
           ) -> dict[str, Any]:
    """A TrainConfig's keywords: ``sgd0`` is SGD without momentum, AdamW decays 1e-2."""
    out: dict[str, Any] = {"optimizer": "sgd" if opt == "sgd0" else opt,
                           "lr": GOOD_LR[opt] * lr_mult, "seed": seed, "batch_size": batch}
    if opt.startswith("sgd"):
        out["momentum"] = 0.9 if opt == "sgd" else 0.0
    if opt == "adamw":
        out["weight_decay"] = 1e-2
    out.update(extra)
    return out


def blind_zoo() -> list[Case]:
    """The 120 labelled runs (30 healthy recipes, 90 sick ones), deterministic."""
    rng = np.random.default_rng(60606)
    cases: list[Case] = []

    def add(label: str, arch: str, data: str, opt: str, cfg: dict[str, Any],
            model: dict[str, Any], epochs: int = EPOCHS, n_train: int | None = None,
            curable: bool = True) -> None:
        seed = int(cfg["seed"])
        model = {"width": int(rng.choice((48, 80, 128))), **model}
        name = f"{label}/{arch}-{data}/{opt}/s{seed}/{len(cases)}"
        cases.append(Case(name, label, data, arch, opt, seed, cfg, model, epochs, n_train,
                          curable))

    def batch() -> int:
        return int(rng.choice((32, 64, 96)))

    def wrong_lr(high: bool, opt: str, seed: int, base: float) -> tuple[str, dict[str, Any]]:
        """The label and config of a run whose rate is a drawn factor above (or below) the
        optimizer's good one."""
        factors = (40.0, 250.0, 900.0, 12000.0) if high else (8e-4, 1.5e-4, 6e-5, 8e-6)
        factor = float(rng.choice(factors))
        return ("lr_too_high" if high else "lr_too_low",
                config(opt, seed, batch(), base * factor))

    for i, (arch, data, act, depth, group_opts, sgd_mult) in enumerate(GROUPS):
        opts = [group_opts[(i + j) % len(group_opts)] for j in range(4)]
        m = {"act": act, "depth": depth}
        epochs = 30 if arch == "lstm2" else EPOCHS  # the LSTM needs longer on parity
        for j, opt in enumerate(opts):
            seed = SEEDS[(i + j) % 3]
            base = sgd_mult if opt.startswith("sgd") else 1.0
            add("healthy", arch, data, opt, config(opt, seed, batch(), base), m, epochs)
            label, cfg = wrong_lr(j % 2 == 0, opt, seed, base)
            add(label, arch, data, opt, cfg, m, epochs)
        for j, opt in enumerate(opts[2:]):  # the other sign for two optimizers per group
            base = sgd_mult if opt.startswith("sgd") else 1.0
            label, cfg = wrong_lr(j % 2 == 1, opt, SEEDS[(i + j + 1) % 3], base)
            add(label, arch, data, opt, cfg, m, epochs)
    extra_healthy = (("mlp", "rings3d", "tanh", 2, "sgd0"), ("mlp", "moons8", "sigmoid", 2,
                     "adam"), ("ln_mlp", "xor10", "tanh", 3, "rmsprop"),
                     ("gru", "parity_seq", "relu", 2, "adamw"),
                     ("rnn", "parity_seq", "relu", 2, "adam"),
                     ("cnn_s2", "strokes8", "leaky", 4, "sgd0"))
    for k, (arch, data, act, depth, opt) in enumerate(extra_healthy):
        add("healthy", arch, data, opt, config(opt, SEEDS[k % 3], batch()),
            {"act": act, "depth": depth})
    # learning rates that kill the ReLUs (the loss falls to the prior and stays)
    for arch, data, opt, mult in (("mlp", "xor10", "sgd0", 25.0),
                                  ("cnn_s2", "strokes8", "sgd", 40.0),
                                  ("mlp", "rings3d", "adam", 150.0)):
        add("lr_too_high", arch, data, opt, config(opt, SEEDS[0], 64, mult),
            {"act": "relu", "depth": 3})
    tables = ("xor10", "sines5", "rings3d")
    for k in range(9):
        opt, seed, data = OPTS[k % 5], SEEDS[k % 3], tables[k % 3]
        # vanishing: tiny-init deep tanh (an init cures it) or deep sigmoid (needs a new net)
        tanh = k < 6
        add("vanishing_gradients", "mlp", data, opt, config(opt, seed, batch()),
            {"act": "tanh" if tanh else "sigmoid",
             "depth": int(rng.choice((9, 12, 15) if tanh else (7, 9))),
             "weight_scale": float(rng.choice((0.25, 0.35)) if tanh else 0.5)},
            curable=tanh)
        # exploding: large-init ReLU MLPs and CNNs, a ReLU RNN with big recurrent weights
        if k < 3:
            add("exploding_gradients", "mlp", ("xor10", "moons8", "rings3d")[k], opt,
                config(opt, seed, batch()), {"act": "relu", "depth": int(rng.choice((6, 8))),
                                             "weight_scale": float(rng.choice((3.2, 4.2)))})
        elif k < 6:
            add("exploding_gradients", "cnn_s2", "strokes8", opt, config(opt, seed, batch()),
                {"act": "relu", "depth": int(rng.choice((5, 6))),
                 "weight_scale": float(rng.choice((4.5, 5.5)))})
        else:
            add("exploding_gradients", "rnn", "parity_seq", opt, config(opt, seed, batch()),
                {"act": "relu", "depth": 2,
                 "recurrent_scale": float(rng.choice((8.0, 12.0)))})
        # dead units: negative biases
        if k < 6:
            add("dead_units", "mlp", ("xor10", "sines5", "moons8")[k % 3], opt,
                config(opt, seed, batch()), {"act": "relu", "depth": int(rng.choice((3, 4))),
                                             "bias": float(rng.choice((-2.2, -5.0)))})
        else:
            add("dead_units", "cnn_s2", "strokes8", opt, config(opt, seed, batch()),
                {"act": "relu", "depth": 3, "bias": float(rng.choice((-1.2, -2.8)))})
        # saturation: raw inputs, or scale + bias together
        act = ("tanh", "sigmoid")[k % 2]
        if k < 3:
            add("saturated_units", "mlp", "rings3d_raw", opt, config(opt, seed, batch()),
                {"act": act, "depth": 2}, curable=False)
        elif k < 6:
            add("saturated_units", "mlp", ("sines5", "moons8", "xor10")[k - 3], opt,
                config(opt, seed, batch()), {"act": "sigmoid", "depth": 3,
                                             "weight_scale": 2.5, "bias": 1.5})
        else:
            add("saturated_units", "mlp", ("sines5", "moons8", "xor10")[k - 6], opt,
                config(opt, seed, batch()), {"act": "tanh", "depth": 3,
                                             "weight_scale": 3.5, "bias": -2.0})
        # overfitting: big models on a few dozen examples, many epochs
        arch, data, width = (("ln_mlp", "sines5", 512), ("mlp", "xor10", 384),
                             ("cnn_s2", "strokes8", 256))[k % 3]
        add("overfitting", arch, data, opt, config(opt, seed, 32),
            {"act": "relu", "depth": 3, "width": width}, epochs=60,
            n_train=int(rng.choice((32, 48, 64))))
        # underfitting: a 2-3 unit model, weight decay, or dropout + weight decay
        if k < 3:
            add("underfitting", "mlp", ("xor10", "sines5", "rings3d")[k], opt,
                config(opt, seed, batch()), {"act": "relu", "depth": 1, "width": 2 + k % 2},
                curable=False)
        elif k < 6:
            wopt = ("sgd0", "rmsprop", "adam")[k - 3]
            add("underfitting", ("mlp", "ln_mlp", "mlp")[k - 3], tables[k - 3], wopt,
                config(wopt, seed, batch(), weight_decay=float(rng.choice((5.0, 12.0)))),
                {"act": "relu", "depth": 2})
        else:
            add("underfitting", "mlp", tables[k - 6], opt,
                config(opt, seed, batch(), dropout=0.7,
                       weight_decay=3.0 if opt != "adamw" else 30.0),
                {"act": "relu", "depth": 2})
        # plateau: the schedule collapses the rate early
        arch, data = (("mlp", "xor10"), ("lstm2", "parity_seq"), ("cnn_s2", "strokes8"),
                      ("ln_mlp", "sines5"), ("tblock", "firstlast_seq"))[k % 5]
        sched = ({"schedule": "multistep", "schedule_params": {"milestones": [12, 24],
                                                               "gamma": 1e-3}},
                 {"schedule": "exponential", "schedule_params": {"gamma": 0.85}},
                 {"schedule": "step", "schedule_params": {"step_size": 10, "gamma": 0.03}})[k % 3]
        add("plateau", arch, data, opt, config(opt, seed, batch(), 0.25, **sched),
            {"act": "relu", "depth": 2})
    return cases


def run(cases: list[Case], repair: bool = True) -> list[dict[str, Any]]:
    """Run the cases one after another (the unseen zoo's runner), labelled by the rule."""
    from benchmarks.doctor_zoo import run_case
    from benchmarks.doctor_zoo_unseen import relabel

    rows = []
    for case in cases:
        row = run_case(case, repair=repair)
        row.pop("signals", None)  # the rules' internals: not read by this blind zoo
        row.update(config=case.config, model=case.model, epochs=case.epochs,
                   n_train=case.n_train)
        rows.append(row)
        print(f"{row['name']}: acc {row['accuracy']:.3f} codes {row['codes']} "
              f"after {row.get('codes_after')} {row.get('accuracy_after')}", flush=True)
    return relabel(rows, BLIND_DIMS)


def select(cases: list[Case], only: str | None) -> list[Case]:
    """``only``: a label (a code or ``healthy``) or, failing that, part of a case name."""
    if only is None:
        return cases
    labelled = [c for c in cases if c.label == only]
    return labelled or [c for c in cases if only in c.name]


def tunecraft_root(given: str | None) -> str | None:
    """The directory to import ``tunecraft`` from (see the module docstring), or None."""
    if given is not None:
        if not os.path.isfile(os.path.join(given, "tunecraft", "__init__.py")):
            raise SystemExit(f"--tunecraft {given!r} holds no tunecraft package; give the "
                             "directory that contains tunecraft/")
        return given
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and os.path.isfile(os.path.join(entry, "tunecraft", "__init__.py")):
            return entry
    return None


def main(argv: list[str] | None = None) -> int:
    from benchmarks.doctor_zoo import report

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--only", default=None, help="a code, 'healthy', or part of a case name")
    ap.add_argument("--no-repair", action="store_true")
    ap.add_argument("--out", default=None, help="write rows and summary as JSON here")
    ap.add_argument("--tunecraft", default=None, help="import tunecraft from this directory")
    args = ap.parse_args(argv)
    root = tunecraft_root(args.tunecraft)
    if root is not None:
        if "tunecraft" in sys.modules:
            raise SystemExit("tunecraft was imported before --tunecraft could apply; run "
                             "this module as a fresh process")
        sys.path.insert(0, os.path.abspath(root))
    import tunecraft

    print(f"tunecraft from {tunecraft.__file__}", flush=True)
    cases = select(blind_zoo(), args.only)
    if not cases:
        raise SystemExit(f"--only {args.only!r} matches no case; give a code of {CODES}")
    started = time.perf_counter()
    rows = run(cases, repair=not args.no_repair)
    report(rows, started, args.out, {"zoo": "blind", "tunecraft": tunecraft.__file__})
    return 0


if __name__ == "__main__":
    sys.exit(main())
