"""``tunecraft lr-find CONFIG.yaml``: run an LR range test, print the suggestions, save the plot.

The config names a model factory and a data function (``module:function`` or
``file.py:function``, imported from the config's folder first), the optimizer and the range
test settings::

    model: digits_model:make_model      # () -> torch.nn.Module
    data: digits_model:train_data       # () -> DataLoader | (X, y) | {train: ..., val: ...}
    batch_size: 64                      # batches (X, y) arrays; a DataLoader keeps its own
    loss: cross_entropy                 # or mse, bce_with_logits, or module:function -> loss
    optimizer: {name: sgd, momentum: 0.9, weight_decay: 0.0}   # make_optimizer's keywords
    range_test: {start_lr: 1.0e-7, end_lr: 10, num_iter: 100, mode: exp, confirm_steps: 300}
    seed: 0
    plot: lr_find.png                   # default: <config name>_lr_find.png next to it

It prints every rule's suggestion and, for the chosen rule, a ``space:`` entry for the
learning rate to paste into a ``tunecraft run`` config.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft._names import visible
from tunecraft.cli._common import console

if TYPE_CHECKING:
    from tunecraft.config.source import Source
    from tunecraft.torch.lr_result import LRRangeResult

KEYS = ("model", "data", "batch_size", "loss", "optimizer", "range_test", "seed", "plot")
RANGE_KEYS = ("start_lr", "end_lr", "num_iter", "mode", "smooth_beta", "diverge_factor",
              "accumulation_steps", "confirm_steps")
LOSSES = ("cross_entropy", "mse", "bce_with_logits")


@dataclass(frozen=True)
class LRFindReport:
    """What :func:`lr_find` found: the range-test result, the LR bounds and the plot path."""

    result: LRRangeResult
    rule: str
    bounds: tuple[float, float] | None
    plot: str | None


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "lr-find", help="run an LR range test and suggest a learning rate",
        description="Run the learning-rate range test described by CONFIG.yaml (model, data, "
                    "optimizer), print the suggested learning rates and save the loss plot.")
    p.add_argument("config", metavar="CONFIG.yaml", help="the lr-find config (see docs)")
    p.add_argument("--rule", default="confirmed",  # tunecraft.torch.lr_rules.DEFAULT_RULE
                   choices=("confirmed", "minimum/3", "steepest", "valley", "minimum", "slide"),
                   help="rule for the search-range hint (default: confirmed, the API's "
                        "default: minimum/3 checked by a short training probe, chosen by "
                        "benchmarks/lr_find.py)")
    p.add_argument("--plot", metavar="PATH", help="where to save the plot (PNG)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    p.set_defaults(handler=handle)


def _import_ref(ref: Any, key: str, base_dir: str, source: Source) -> Callable[..., Any]:
    """``module:function`` or ``file.py:function`` from the config's folder or the cwd."""
    if not isinstance(ref, str) or ":" not in ref:
        raise source.error((key,), f"must be 'module:function', got {ref!r}")
    module_name, _, attr = ref.rpartition(":")
    for folder in (os.getcwd(), base_dir):  # the config's folder ends up first
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)
    if module_name.endswith(".py"):
        module_name = module_name[:-3].replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name + ".").startswith(exc.name + "."):
            raise source.error((key,), f"no module named {exc.name!r} (looked in {base_dir} "
                                       "and the current directory)") from None
        raise
    obj = getattr(module, attr, None)
    if not callable(obj):
        raise source.error((key,), f"{module_name} has no callable {attr!r}")
    return obj  # type: ignore[no-any-return]


def _loader(data: Any, batch_size: int, seed: int) -> Any:
    from tunecraft.torch.data import TensorBatches
    from tunecraft.torch.trainer import resolve_device

    if isinstance(data, tuple) and len(data) == 2 and not hasattr(data[0], "__next__"):
        import torch

        gen = torch.Generator().manual_seed(seed)
        return TensorBatches(data[0], data[1], batch_size, shuffle=True, generator=gen,
                             device=resolve_device("cpu"))
    return data


def lr_find(path: str, *, rule: str = "confirmed", plot: str | None = None,
            draw: bool = True) -> LRFindReport:
    """Run the range test a config file describes; save the plot unless ``draw`` is False."""
    from tunecraft.config import checks
    from tunecraft.config.source import check_keys, load_yaml
    from tunecraft.torch import seed_everything
    from tunecraft.torch.lr_range import lr_range_test
    from tunecraft.torch.lr_result import lr_bounds_from_range_test
    from tunecraft.torch.optimizers import make_optimizer
    from tunecraft.torch.regularization import make_loss

    raw, source = load_yaml(path)
    cfg = checks.mapping(raw, (), source, "{model: pkg:make_model, data: pkg:loaders}")
    check_keys(cfg, KEYS, (), source, "the lr-find config")
    for key in ("model", "data"):
        if key not in cfg:
            raise source.error((), f"needs a {key!r} key ('module:function')")
    base = os.path.dirname(os.path.abspath(path))
    seed = checks.integer(cfg.get("seed", 0), ("seed",), source)
    batch_size = checks.integer(cfg.get("batch_size", 64), ("batch_size",), source)
    opt_cfg = dict(checks.mapping(cfg.get("optimizer", {"name": "sgd"}), ("optimizer",), source,
                                  "{name: sgd, momentum: 0.9}"))
    settings = dict(checks.mapping(cfg.get("range_test", {}), ("range_test",), source,
                                   "{start_lr: 1.0e-7, end_lr: 10}"))
    check_keys(settings, RANGE_KEYS, ("range_test",), source, "range_test")
    loss_ref = cfg.get("loss", "cross_entropy")
    seed_everything(seed)
    model = _import_ref(cfg["model"], "model", base, source)()
    data = _import_ref(cfg["data"], "data", base, source)()
    train, val = (data.get("train"), data.get("val")) if isinstance(data, Mapping) else (data,
                                                                                      None)
    if loss_ref in LOSSES:
        loss_fn: Any = make_loss(kind=loss_ref)
    else:
        loss_fn = _import_ref(loss_ref, "loss", base, source)()
    name = str(opt_cfg.pop("name", "sgd"))
    try:
        optimizer = make_optimizer(model, name, settings.get("start_lr", 1e-7), **opt_cfg)
        result = lr_range_test(model, loss_fn, _loader(train, batch_size, seed), optimizer,
                               val_loader=None if val is None else _loader(val, 1024, seed),
                               **settings)
    except (TypeError, ValueError) as exc:
        raise source.error((), f"{exc}") from None
    try:
        bounds: tuple[float, float] | None = lr_bounds_from_range_test(result, rule=rule)
    except ValueError:
        bounds = None
    out = None
    if draw:  # --plot is relative to the cwd; the config's plot key to the config's folder
        default = os.path.splitext(os.path.basename(path))[0] + "_lr_find.png"
        out = plot or os.path.join(base, str(cfg.get("plot") or default))
        result.plot(out)
    return LRFindReport(result, rule, bounds, out)


def handle(args: argparse.Namespace) -> int:
    report = lr_find(args.config, rule=args.rule, plot=args.plot, draw=not args.no_plot)
    out = console()
    res = report.result
    out.print(f"LR range test: {len(res.lrs)} iterations from {res.lrs[0]:.3g} to "
              f"{res.lrs[-1]:.3g} ({visible(res.stop_reason)}).")
    found = res.suggestions()
    if not found:
        out.print("Too few points for a suggestion; raise num_iter or lower start_lr.")
        return 1
    for rule, lr in found.items():
        mark = "  <- --rule" if rule == report.rule else ""
        out.print(f"  {rule:<9} {lr:.3g}{mark}")
    if res.confirmation is not None:  # stepped down, or unconfirmed (with the fix)
        out.print(f"Probe: {visible(res.confirmation.note)}")
    if report.bounds is not None:
        low, high = report.bounds
        out.print("Search range for the learning rate (paste under 'space:'):")
        out.print(f"  optimizer_lr: {{type: float, low: {low:.3g}, high: {high:.3g}, log: true}}")
    if report.plot is not None:
        out.print(f"Plot saved to {visible(report.plot)}")
    return 0
