"""The learning-rate range test for torch models (Smith 2017; fastai's ``lr_find``).

Train for ``num_iter`` mini-batches while the learning rate grows from ``start_lr`` to ``end_lr``,
record the loss, then put the model, the optimizer and every random generator back exactly as
they were. Then confirm the suggestion (:func:`confirm_lr`): train a few hundred steps from the
same start at a few constant rates from ``minimum/3`` up to the lowest loss's LR and keep the
best one that stays stable with a step of margin. The suggestion rules and smoothing live in
the torch-free :mod:`tunecraft.torch.lr_rules`, the probe's decisions in
:mod:`tunecraft.torch.lr_confirm`; the loop and the result in :mod:`tunecraft.torch.lr_result`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, check
from tunecraft.torch import _restore
from tunecraft.torch.lr_confirm import (
    CONFIRM_FACTORS,
    CONFIRM_STEPS,
    MAX_STEP_DOWNS,
    STEP_DOWN,
    all_diverged,
    confirm_candidates,
    confirm_pick,
    probe_trains,
)
from tunecraft.torch.lr_result import (
    LRConfirmation,
    LRRangeResult,
    lr_bounds_from_range_test,
    run_range_test,
)
from tunecraft.torch.lr_rules import CURVE_DEFAULT, Mode
from tunecraft.torch.lr_upward import probe_upward

if TYPE_CHECKING:
    import torch

__all__ = ["LRConfirmation", "LRRangeResult", "confirm_lr", "lr_bounds_from_range_test",
           "lr_range_test"]

OptimizerArg: TypeAlias = "torch.optim.Optimizer | Callable[[Any], torch.optim.Optimizer] | None"


def move_to(obj: Any, device: torch.device) -> Any:
    """Move a tensor, or tensors nested in tuples/lists/dicts, to ``device``."""
    if hasattr(obj, "to"):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(move_to(o, device) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(move_to(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: move_to(v, device) for k, v in obj.items()}
    return obj


def split_batch(batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` from a loader's batch (its first two entries)."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            f"each batch must be an (inputs, targets, ...) tuple or list, got "
            f"{type(batch).__name__}; wrap your dataset so that it yields (x, y) pairs"
        )
    return batch[0], batch[1]


class _Cycle:
    """Endless iteration over a re-iterable loader, starting a new pass when one ends."""

    def __init__(self, loader: Iterable[Any]) -> None:
        self._loader = loader
        self._it: Iterator[Any] = iter(loader)

    def __next__(self) -> Any:
        try:
            return next(self._it)
        except StopIteration:
            self._it = iter(self._loader)
            try:
                return next(self._it)
            except StopIteration:
                raise ValueError("train_loader yields no batches; give it data") from None


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU if it has none)."""
    import torch

    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


def _make_optimizer(model: torch.nn.Module, optimizer: Any, lr: float) -> tuple[Any, bool]:
    """The optimizer to sweep, and whether the caller owns it (so it must be restored)."""
    import torch

    if optimizer is None:
        return torch.optim.SGD(model.parameters(), lr=lr), False
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer, True
    if callable(optimizer):
        made = optimizer(model.parameters())
        if not isinstance(made, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer factory returned {type(made).__name__}, not a torch optimizer; "
                "pass e.g. functools.partial(torch.optim.AdamW, weight_decay=0.01)"
            )
        return made, False
    raise TypeError(
        f"optimizer={optimizer!r} must be None (SGD), a torch.optim.Optimizer, or a factory "
        "called with model.parameters()"
    )


def lr_range_test(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    train_loader: Iterable[Any],
    optimizer: OptimizerArg = None,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: Mode = "exp",
    smooth_beta: float = 0.5,
    diverge_factor: float | None = 4.0,
    val_loader: Iterable[Any] | None = None,
    accumulation_steps: int = 1,
    confirm_steps: int = CONFIRM_STEPS,
) -> LRRangeResult:
    """Run the LR range test on ``model``, confirm its pick, and restore everything afterwards.

    Each iteration sets the learning rate of every parameter group to the sweep's value,
    runs ``accumulation_steps`` mini-batches (loss divided by ``accumulation_steps``), steps the
    optimizer and records the summed loss, or the mean validation loss over ``val_loader`` when
    given (slower, smoother; Smith's original uses validation accuracy). The loader is cycled
    when it runs out. Batches move to the model's device.

    Args:
        model: The network, in the state you will train it from.
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        train_loader: A DataLoader (or any re-iterable) of ``(inputs, targets)`` batches, with
            the batch size you will train with: the curve depends on it.
        optimizer: ``None`` for plain SGD, your optimizer (its state is restored afterwards), or
            a factory called with ``model.parameters()``.
        start_lr, end_lr, num_iter, mode: The sweep; ``exp`` is geometric (the default of
            fastai and torch-lr-finder), ``linear`` is Smith's original.
        smooth_beta: Factor of the zero-lag (symmetric exponential) smoothing the rules read:
            a point ``d`` iterations away weighs ``smooth_beta ** d`` (0.5: about 3 points;
            fastai's one-sided EMA of 0.98 lags ~49 iterations).
        diverge_factor: Stop when the running median of 5 raw losses exceeds this multiple of
            its lowest (fastai and Lightning compare their smoothed loss with 4x its best;
            torch-lr-finder 5x). ``None`` runs all iterations.
        val_loader: Optional loader whose mean loss replaces the training loss.
        accumulation_steps: Mini-batches per optimizer step (gradient accumulation).
        confirm_steps: Mini-batches per probe of the confirmation (:func:`confirm_lr`: 3
            rates from ``minimum/3`` to the lowest loss's LR and a sentinel above; up to 4
            more when the sweep or the probes stayed flat); 0 skips it. The probe is skipped
            too when the sweep leaves too few points for a suggestion.

    Returns:
        A frozen :class:`LRRangeResult`; ``result.suggestion()`` gives the default rule
        ``confirmed``: the probe's pick, or ``minimum/3`` without a probe (see
        :mod:`tunecraft.torch.lr_rules`).
    """
    require("torch")

    _check_int("accumulation_steps", accumulation_steps, 1)
    check("confirm_steps", confirm_steps, Interval(int, 20),
          Options(0, note="no confirmation probe"))
    device = model_device(model)
    opt, owned = _make_optimizer(model, optimizer, start_lr)
    snap = _restore.take(model, opt if owned else None)
    batches = _Cycle(train_loader)

    def step(lr: float) -> float:
        model.train()
        for group in opt.param_groups:
            group["lr"] = lr
        total = _accumulate_gradients(model, opt, batches, loss_fn, accumulation_steps, device)
        opt.step()
        if val_loader is None:
            return total
        return _mean_loss(model, loss_fn, val_loader, device)

    try:
        result = run_range_test(step, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter,
                                mode=mode, smooth_beta=smooth_beta,
                                diverge_factor=diverge_factor)
    finally:
        _restore.restore(snap, model, opt if owned else None)
    if confirm_steps == 0:
        return result
    try:
        result.suggestion(CURVE_DEFAULT)
    except ValueError:  # too few points: no candidates to probe
        return result
    return result.with_confirmation(confirm_lr(
        model, loss_fn, train_loader, result, opt if owned else optimizer,
        steps=confirm_steps, accumulation_steps=accumulation_steps))


def _check_int(name: str, value: object, low: int, fix: str = "") -> None:
    check(name, value, Interval(int, low), fix=fix)


def probe_losses(model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
                 train_loader: Iterable[Any], optimizer: OptimizerArg, rates: Sequence[float],
                 steps: int, accumulation_steps: int = 1, decay_steps: int = 0
                 ) -> list[list[float]]:
    """Train ``steps`` mini-batches at each constant rate, each from the same start; restore.

    ``decay_steps`` more mini-batches follow with the rate annealed to 0 by a cosine
    (Loshchilov & Hutter 2017, eq. 5): the end of a scheduled run.

    Every probe starts from the model, the optimizer state and the random generators as they
    were on entry (a factory or ``None`` gives a fresh optimizer per probe), so a loader that
    shuffles with the global generator yields the same batches to each; a probe stops at its
    first NaN/inf loss. Returns the raw losses per rate.
    """
    require("torch")
    import torch

    device = model_device(model)
    mine = optimizer if isinstance(optimizer, torch.optim.Optimizer) else None
    snap = _restore.take(model, mine)
    out: list[list[float]] = []
    try:
        for rate in rates:
            _restore.restore(snap, model, mine)
            # the caller's optimizer (its state restored), or a fresh one for each probe
            opt, _ = _make_optimizer(model, optimizer, rate)
            for group in opt.param_groups:
                group["lr"] = rate
            batches = _Cycle(train_loader)
            model.train()
            losses: list[float] = []
            for k in range(steps + decay_steps):
                if k >= steps:  # cosine from the rate to 0 over decay_steps (0 never trained)
                    scale = 0.5 * (1.0 + math.cos(math.pi * (k - steps + 1) / (decay_steps + 1)))
                    for group in opt.param_groups:
                        group["lr"] = rate * scale
                total = _accumulate_gradients(model, opt, batches, loss_fn,
                                              accumulation_steps, device)
                losses.append(total)
                if not math.isfinite(total):
                    break
                opt.step()
            out.append(losses)
    finally:
        _restore.restore(snap, model, mine)
    return out


def confirm_lr(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    train_loader: Iterable[Any],
    result: LRRangeResult,
    optimizer: OptimizerArg = None,
    *,
    steps: int = CONFIRM_STEPS,
    factors: Sequence[float] = CONFIRM_FACTORS,
    accumulation_steps: int = 1,
    decay_steps: int = 0,
    upward: bool = True,
) -> LRConfirmation:
    """Probe rates from the range test's ``minimum/3`` up to its lowest loss; keep the best.

    A range test finds the LR of the lowest loss ``m``, just below the edge of stability, but
    cannot tell a run that converges below the edge (best rate near ``m/3``) from one that
    stays rate-limited up to it (best rate near ``m``: plain SGD on an under-trained model).
    So ask the model: from its current state, train ``steps`` mini-batches at each constant
    rate ``m/3 * f`` for ``f`` in ``factors`` (default ``1, sqrt(3), 3``; capped at ``m``, so
    none lies past the lowest loss toward divergence) and keep the pick of
    :func:`~tunecraft.torch.lr_confirm.confirm_pick`: the lowest loss at the end of the probe
    among probes that never blew up, a higher rate only when clearly better and only when the
    probe one step (``sqrt(3)``) above it still trains: near the edge a run blows up by
    chance, so the pick keeps a step of margin. The step above ``m`` is a sentinel probe,
    capped at the sweep's last LR and never picked. A constant rate for a few hundred steps
    is the first, hardest stretch of a decaying schedule at that peak rate. Costs ``steps``
    training steps per probe (4 by default); everything is restored afterwards.

    The pick is never a rate whose own probe did not train
    (:func:`~tunecraft.torch.lr_confirm.probe_trains`: no blow-up and a fall clearly above
    batch noise). When the kept candidate did not train, the lowest candidate that did is
    taken; when every candidate diverged from the start weights (a sweep whose late steps
    acted on a model its earlier steps had trained puts ``m`` too high), rates ``sqrt(3)``
    apart below ``m/3`` are probed, at most 4, until one trains (``stepped_down``). When no
    probe trains at all, the result has ``confirmed=False``, keeps ``m/3`` (or the lowest
    rate stepped down to) and a ``UserWarning`` names the fix (:attr:`LRConfirmation.note`).
    When the sweep or the probes stayed flat, rates probed down from the sweep's last rate may
    raise the pick (``upward``); when they did not, and the sentinel trained clearly better than
    the pick, the pick climbs above ``m`` a step at a time (also ``upward``).

    Args:
        model, loss_fn, train_loader, optimizer, accumulation_steps: As for
            :func:`lr_range_test` (pass the same).
        result: The range test's result on this model, loader and optimizer.
        steps: Mini-batches per probe (at least 20).
        factors: Multiples of ``minimum/3`` to probe: start at 1 and rise.
        decay_steps: Mini-batches appended to each candidate's probe with the rate annealed
            to 0 (cosine); the candidates are then compared at the end of that decay (see
            :func:`~tunecraft.torch.lr_confirm.confirm_pick`). 0 (default): constant-rate
            probes only; a 100-step tail fixed one miss of the benchmark and made another
            (benchmarks/results/issue-14.md), so it is not the default.
        upward: When the sweep or the probes stayed flat, probe down from the sweep's last
            rate and raise the pick to a rate that trains clearly better
            (:func:`~tunecraft.torch.lr_upward.probe_upward`; at most 4 more probes), else
            climb above ``m`` (:func:`~tunecraft.torch.lr_upward.probe_climb`; at most 3
            more). On by default (benchmarks/results/issue-14.md); False: the rule before.

    Raises:
        ValueError: ``steps`` below 20, ``decay_steps`` below 0, bad ``factors``, or a result
            with too few points for a suggestion.
    """
    _check_int("steps", steps, 20, "the score averages the last quarter of the probe")
    _check_int("accumulation_steps", accumulation_steps, 1)
    _check_int("decay_steps", decay_steps, 0)
    skip_start, skip_end = result.num_iter // 10, 2  # the skips of result.suggestion()
    rates, sentinel = confirm_candidates(
        result.lrs, result.smoothed, result.suggestion(CURVE_DEFAULT), factors,
        skip_start=skip_start, skip_end=skip_end)
    losses = probe_losses(model, loss_fn, train_loader, optimizer, rates, steps,
                          accumulation_steps, decay_steps)
    if sentinel is not None:  # its constant-rate steps are all it is checked on
        losses += probe_losses(model, loss_fn, train_loader, optimizer, [sentinel], steps,
                               accumulation_steps)
    # without room for a sentinel, the highest rate serves as one (probed, never picked)
    index, scores = confirm_pick(losses, steps, decay_steps=decay_steps)
    trains = [probe_trains(run[:steps], steps) for run in losses[:len(rates)]]
    lower: list[float] = []
    lower_losses: list[list[float]] = []
    lr, confirmed = rates[index], any(trains)
    if not trains[index]:  # never a rate whose own probe showed it does not train
        lr = rates[trains.index(True)] if confirmed else rates[0]
    if not confirmed and all_diverged(losses[:len(rates)], steps):
        while not confirmed and len(lower) < MAX_STEP_DOWNS:  # past the edge: step down
            lr /= STEP_DOWN
            lower.append(lr)
            lower_losses += probe_losses(model, loss_fn, train_loader, optimizer, [lr],
                                         steps, accumulation_steps)
            confirmed = probe_trains(lower_losses[-1], steps)
    out = LRConfirmation(lr=lr, candidates=tuple(rates), sentinel=sentinel,
                         losses=tuple(tuple(v) for v in losses), scores=tuple(scores),
                         steps=steps, decay_steps=decay_steps, lower=tuple(lower),
                         lower_losses=tuple(tuple(v) for v in lower_losses),
                         confirmed=confirmed)
    if upward:
        out = probe_upward(result, out, lambda rate: probe_losses(
            model, loss_fn, train_loader, optimizer, [rate], steps, accumulation_steps)[0])
    if not out.confirmed:
        warnings.warn(f"LR range test: the suggestion is {out.note}", UserWarning,
                      stacklevel=2)
    return out


def _mean_loss(model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
               loader: Iterable[Any], device: torch.device) -> float:
    """Sample-weighted mean loss over ``loader`` in eval mode, without gradients."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            inputs, targets = split_batch(batch)
            n = len(targets)
            loss = loss_fn(model(move_to(inputs, device)), move_to(targets, device))
            total += float(loss.item()) * n
            count += n
    model.train()
    if count == 0:
        raise ValueError("val_loader yields no batches; give it data or pass None")
    return total / count


def _accumulate_gradients(model: Any, opt: Any, batches: Any, loss_fn: Any,
                          accumulation_steps: int, device: Any) -> float:
    """Zero the gradients, then add those of ``accumulation_steps`` batches (each loss divided
    by their number, as ``fit`` does); returns the summed loss. The caller decides whether to
    step: the sweep always does, a probe not after a non-finite loss."""
    import torch

    opt.zero_grad(set_to_none=True)
    total = 0.0
    for _ in range(accumulation_steps):
        inputs, targets = split_batch(next(batches))
        inputs, targets = move_to(inputs, device), move_to(targets, device)
        loss = loss_fn(model(inputs), targets) / accumulation_steps
        torch.autograd.backward(loss)
        total += float(loss.item())
    return total
