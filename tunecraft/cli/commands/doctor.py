"""``tunecraft doctor``: train a few epochs under the training doctor, or explain a finished trial.

``tunecraft doctor CONFIG.yaml`` reads the config form of ``tunecraft lr-find`` (a model
factory, a data function, the loss and the optimizer; the ``range_test`` and ``plot`` keys
are ignored) plus the learning rate and any other :class:`~tunecraft.torch.TrainConfig`
field, trains ``epochs`` epochs with ``fit(..., doctor=True)`` and prints the diagnosis and
the config with the remedies applied, as YAML to save and run again::

    model: digits_model:make_model      # () -> nn.Module, or (TrainConfig) -> nn.Module
    data: digits_model:train_data       # () -> {train: ..., val: ...} | (X, y) | DataLoader
    batch_size: 64
    loss: cross_entropy                 # or mse, bce_with_logits, or module:function
    optimizer: {name: sgd, lr: 0.05, momentum: 0.9, weight_decay: 0.0}
    train: {schedule: constant, init: torch_default, grad_clip: null}   # TrainConfig fields
    epochs: 5
    seed: 0

``tunecraft doctor --study NAME --trial N`` prints the diagnosis that ``fit(doctor=True)``
recorded on the trial (user attribute ``diagnosis``), with its state and values.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunecraft._names import visible
from tunecraft._validation import Interval
from tunecraft.cli._common import (
    UsageError,
    add_storage_option,
    check_flag,
    console,
    fmt_values,
    open_storage,
    read_history,
    storage_url,
)

if TYPE_CHECKING:
    from tunecraft.config.source import Source
    from tunecraft.torch.doctor import Diagnosis
    from tunecraft.torch.train_config import TrainConfig

KEYS = ("model", "data", "batch_size", "loss", "optimizer", "train", "epochs", "seed",
        "device", "range_test", "plot")
OPTIMIZER_KEYS = ("lr", "weight_decay", "momentum", "nesterov", "betas", "eps", "alpha")
DEFAULT_EPOCHS = 5


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "doctor", help="diagnose a training run and print the fixed config",
        description="With CONFIG.yaml (the lr-find config form plus the learning rate): train "
                    "a few epochs under the training doctor, print the diagnosis and the "
                    "config with the remedies applied. With --study and --trial: explain a "
                    "finished trial from the diagnosis recorded during its training.")
    p.add_argument("config", metavar="CONFIG.yaml", nargs="?",
                   help="the doctor config (see docs/doctor.md)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs to train (default: the config's, else {DEFAULT_EPOCHS})")
    p.add_argument("--study", metavar="NAME", help="explain a trial of this study")
    p.add_argument("--trial", metavar="N", type=int, help="the trial number (with --study)")
    add_storage_option(p)
    p.set_defaults(handler=handle)


@dataclasses.dataclass(frozen=True)
class DoctorRun:
    """What ``tunecraft doctor CONFIG.yaml`` found: the diagnosis, the config it trained,
    the fixed config and the fixed config file (a mapping to dump as YAML)."""

    diagnosis: Diagnosis
    config: TrainConfig
    fixed: TrainConfig
    fixed_file: dict[str, Any]
    best_metric: float


def _split(data: Any, source: Source) -> tuple[Any, Any]:
    """``(train, val)`` from what the data function returned (an ``(X, y)`` pair is split
    80/20 in its stored order, so the doctor sees a validation loss)."""
    if isinstance(data, Mapping):
        if "train" not in data:
            raise source.error(("data",), "returned a mapping without a 'train' entry; "
                                          "return {train: ..., val: ...}")
        return data["train"], data.get("val")
    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "__len__") and (
            hasattr(data[0], "shape")):
        x, y = data
        cut = max(1, int(0.8 * len(x)))
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])
    return data, None


def _factory(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    """``fit``'s ``config -> nn.Module`` from a ``() -> nn.Module`` or ``(config) ->``."""
    try:
        takes = len([p for p in inspect.signature(fn).parameters.values()
                     if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                            p.POSITIONAL_OR_KEYWORD)])
    except (TypeError, ValueError):
        takes = 0
    return fn if takes >= 1 else (lambda config: fn())


def train_config(cfg: Mapping[str, Any], source: Source) -> TrainConfig:
    """The :class:`TrainConfig` a doctor config describes (``optimizer`` + ``train``)."""
    from tunecraft.config import checks
    from tunecraft.torch.train_config import TrainConfig

    opt = dict(checks.mapping(cfg.get("optimizer", {"name": "adamw"}), ("optimizer",), source,
                              "{name: adam, lr: 0.001}"))
    fields: dict[str, Any] = {"optimizer": str(opt.pop("name", "adamw"))}
    unknown = sorted(set(opt) - set(OPTIMIZER_KEYS))
    if unknown:
        raise source.error(("optimizer",), f"unknown key(s) {unknown}; known: name, "
                                           f"{', '.join(OPTIMIZER_KEYS)}")
    fields.update(opt)
    extra = dict(checks.mapping(cfg.get("train", {}), ("train",), source,
                                "{schedule: cosine, init: kaiming_normal}"))
    known = set(TrainConfig().to_dict())  # its keywords (optimizer ones flat)
    bad = sorted(set(extra) - known)
    if bad:
        raise source.error(("train",), f"unknown TrainConfig field(s) {bad}; known: "
                                       f"{', '.join(sorted(known))}")
    fields.update(extra)
    if "batch_size" in cfg:
        fields["batch_size"] = checks.integer(cfg["batch_size"], ("batch_size",), source)
    if "seed" in cfg:
        fields["seed"] = checks.integer(cfg["seed"], ("seed",), source)
    if isinstance(fields.get("betas"), list):
        fields["betas"] = tuple(fields["betas"])
    try:
        return TrainConfig(**fields)
    except (TypeError, ValueError) as exc:
        raise source.error(("train",), str(exc)) from None


def config_file(cfg: Mapping[str, Any], config: TrainConfig) -> dict[str, Any]:
    """``cfg`` with its optimizer and train sections rewritten from ``config`` (only the
    fields that differ from TrainConfig's defaults, so the file stays short)."""
    from tunecraft.torch.train_config import TrainConfig

    default, now = TrainConfig().to_dict(), config.to_dict()
    out = {k: v for k, v in cfg.items() if k not in ("optimizer", "train", "range_test",
                                                      "plot")}
    optimizer: dict[str, Any] = {"name": now["optimizer"], "lr": now["lr"]}
    optimizer.update({k: now[k] for k in OPTIMIZER_KEYS[1:] if now[k] != default[k]})
    out["optimizer"] = optimizer
    skip = {"optimizer", "batch_size", "seed", *OPTIMIZER_KEYS}
    train = {k: v for k, v in now.items() if k not in skip and v != default[k]}
    if train:
        out["train"] = train
    return out


def diagnose_config(path: str, *, epochs: int | None = None) -> DoctorRun:
    """Train the run ``path`` describes under the doctor and apply ``Diagnosis.fix``."""
    from tunecraft.cli.commands.lr_find import LOSSES, _import_ref
    from tunecraft.config import checks
    from tunecraft.config.source import check_keys, load_yaml
    from tunecraft.torch.regularization import make_loss
    from tunecraft.torch.trainer import fit

    raw, source = load_yaml(path)
    cfg = checks.mapping(raw, (), source, "{model: pkg:make_model, data: pkg:loaders}")
    check_keys(cfg, KEYS, (), source, "the doctor config")
    for key in ("model", "data"):
        if key not in cfg:
            raise source.error((), f"needs a {key!r} key ('module:function')")
    base = os.path.dirname(os.path.abspath(path))
    n_epochs = epochs if epochs is not None else checks.integer(
        cfg.get("epochs", DEFAULT_EPOCHS), ("epochs",), source)
    check_flag("doctor", "epochs", n_epochs, Interval(int, 1))
    config = train_config(cfg, source)
    model_fn = _factory(_import_ref(cfg["model"], "model", base, source))
    train, val = _split(_import_ref(cfg["data"], "data", base, source)(), source)
    loss_ref = cfg.get("loss", "cross_entropy")
    loss_fn: Any = (make_loss(kind=loss_ref) if loss_ref in LOSSES
                    else _import_ref(loss_ref, "loss", base, source)())
    result = fit(model_fn, train, val, config, max_epochs=n_epochs, loss=loss_fn,
                 device=str(cfg.get("device", "auto")), doctor=True)
    diagnosis = result.diagnosis
    fixed = diagnosis.fix(config)
    return DoctorRun(diagnosis, config, fixed, config_file(cfg, fixed), result.best_metric)


def explain_trial(storage: Any, study: str, number: int) -> tuple[Any, Diagnosis | None]:
    """The trial record and its recorded diagnosis (None when the trial has none)."""
    from tunecraft.torch.doctor import Diagnosis
    from tunecraft.viz.diagnoses import ATTR as DIAGNOSIS_ATTR

    history = read_history(storage, study)
    try:
        trial = history.trial(number)
    except (KeyError, IndexError, LookupError):
        numbers = [t.number for t in history.trials]
        span = f"0..{max(numbers)}" if numbers else "none"
        raise UsageError(f"tunecraft doctor: error: study {study!r} has no trial {number} "
                         f"(trials: {span})") from None
    data = trial.user_attrs.get(DIAGNOSIS_ATTR)
    return trial, (Diagnosis.from_dict(data) if isinstance(data, Mapping) else None)


def handle(args: argparse.Namespace) -> int:
    out = console()
    if args.study is not None or args.trial is not None:
        if args.config is not None or args.study is None or args.trial is None:
            raise UsageError("tunecraft doctor: error: give either CONFIG.yaml, or --study "
                             "NAME with --trial N")
        storage = open_storage(storage_url(args), access="read")
        trial, diagnosis = explain_trial(storage, args.study, args.trial)
        out.print(f"Trial #{trial.number} of {visible(args.study)!r}: {trial.state.name}, "
                  f"value {fmt_values(trial.values)}")
        if "diverged" in trial.user_attrs:
            out.print(f"  diverged: {visible(str(trial.user_attrs['diverged']))}")
        if diagnosis is None:
            out.print("No diagnosis was recorded for this trial: train it with "
                      "fit(..., doctor=True) (or tunecraft.torch.Doctor) to record one.")
            return 1
        # line by line: visible() escapes control characters, newlines included
        out.print("\n".join(visible(line) for line in str(diagnosis).splitlines()),
                  markup=False, highlight=False)
        return 0
    if args.config is None:
        raise UsageError("tunecraft doctor: error: give CONFIG.yaml, or --study NAME --trial N "
                         "(see 'tunecraft doctor --help')")
    import yaml

    run = diagnose_config(args.config, epochs=args.epochs)
    out.print(str(run.diagnosis), markup=False, highlight=False)
    if run.fixed == run.config:
        out.print("\nNothing for the config to change.")
        return 0
    out.print("\nFixed config (save it and run 'tunecraft doctor' on it again):",
              markup=False)
    out.print(yaml.safe_dump(run.fixed_file, sort_keys=False).rstrip(), markup=False,
              highlight=False)
    return 0
