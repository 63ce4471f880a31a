"""Pause and resume for :func:`~tunecraft.torch.fit`: the whole training state in one checkpoint,
and learning-rate schedules whose horizon fits a scheduler's rungs.

A checkpoint holds everything the next epoch depends on: the model's and optimizer's state,
the schedule's step count, the early-stopping state (with its best weights), the shuffling
generator, every global random generator (torch CPU and CUDA, numpy, ``random``), the
GradScaler and the epochs so far. On CPU, a run paused after epoch ``e`` and resumed therefore
continues bit for bit like an uninterrupted one. Saved with ``torch.save`` and read back with
``weights_only=True``: plain containers and tensors only, no pickled code.

Schedules and budgets. ``fit(horizon="max_epochs")`` (the default) lays the schedule over the
full ``max_epochs``: a trial stopped at a rung is judged mid-schedule (a cosine over 81 epochs
seen at epoch 3 has barely decayed), a biased proxy of its final value, but a resumed trial
follows exactly the run it continues. ``fit(horizon="rungs")`` restarts the schedule at each
rung of the trial's budget: every rung is judged at the end of a full decay (a fair proxy),
and a promoted trial, resumed or not, runs a new decay up to the next rung (the final model
has followed a cosine-with-restarts schedule).
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from tunecraft.torch.schedules import OneCycle, Schedule, schedule_from_config
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

FORMAT = 1


@dataclass(frozen=True)
class SegmentedSchedule:
    """A schedule restarted at each start step: at step ``t`` of segment ``i`` (``starts[i]
    <= t < starts[i + 1]``) it is ``schedules[i](t - starts[i])``."""

    starts: tuple[int, ...]
    schedules: tuple[Schedule, ...]

    def __call__(self, step: int) -> float:
        i = max(bisect.bisect_right(self.starts, step) - 1, 0)
        return float(self.schedules[i](step - self.starts[i]))


def make_schedule(config: TrainConfig, steps_per_epoch: int, max_epochs: int,
                  restarts: Sequence[int] = ()) -> tuple[Schedule, Schedule | None]:
    """The learning-rate schedule of a run (and its momentum cycle for one-cycle), restarted
    at the epochs in ``restarts`` (those in ``1 .. max_epochs - 1``)."""
    bounds = [0, *sorted({int(r) for r in restarts if 0 < r < max_epochs}), max_epochs]
    parts: list[Schedule] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        steps = steps_per_epoch * (end - start)
        parts.append(schedule_from_config(
            config.schedule, steps, warmup_steps=min(round(config.warmup_pct * steps),
                                                     steps - 1),
            **config.schedule_params))
    cycles = all(isinstance(p, OneCycle) for p in parts) and \
        config.optimizer in ("sgd", "adam", "adamw")
    moments = [p.momentum() for p in parts if isinstance(p, OneCycle)] if cycles else []
    if len(parts) == 1:
        return parts[0], moments[0] if moments else None
    starts = tuple(b * steps_per_epoch for b in bounds[:-1])
    momentum = SegmentedSchedule(starts, tuple(moments)) if moments else None
    return SegmentedSchedule(starts, tuple(parts)), momentum


def dumps(*, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
          stopper: Any, generator: torch.Generator, scaler: Any, epoch: int,
          history: Sequence[Any], config: TrainConfig) -> bytes:
    """The training state after ``epoch`` epochs, as bytes."""
    import torch

    np_state = cast(tuple[Any, ...], np.random.get_state(legacy=True))
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None  # type: ignore[no-untyped-call]
    state = {
        "format": FORMAT,
        "epoch": epoch,
        "config": config.to_dict(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "stopper": stopper.state_dict(),
        "generator": generator.get_state(),
        "rng": {"torch": torch.get_rng_state(), "cuda": cuda, "python": random.getstate(),
                "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)),
                          *np_state[2:])},
        "scaler": None if scaler is None else scaler.state_dict(),
        "history": [dataclasses.astuple(h) for h in history],
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def loads(data: bytes) -> dict[str, Any]:
    """Read a checkpoint written by :func:`dumps` (tensors on CPU)."""
    import torch

    state: dict[str, Any] = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if state.get("format") != FORMAT:
        raise ValueError(f"checkpoint format {state.get('format')!r} is not {FORMAT}; it was "
                         "written by another tunecraft version")
    return state


def restore(state: dict[str, Any], *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
            scheduler: Any, stopper: Any, generator: torch.Generator, scaler: Any,
            config: TrainConfig) -> int:
    """Load ``state`` into freshly built training objects; returns the epochs it holds.

    When ``config`` differs from the checkpoint's (PBT's exploit and explore), the weights,
    optimizer moments and schedule position are kept and the new config's optimizer
    settings (learning rate, weight decay, momentum...) take over; with another optimizer
    type the optimizer starts fresh.
    """
    import torch

    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise ValueError(f"the checkpoint does not fit this model ({exc}); a resumed trial must "
                         "build the same architecture (leave shape parameters out of PBT's "
                         "hyperparams)") from None
    old = state["config"]
    adopt = old != config.to_dict()
    fresh = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    if old.get("optimizer") == config.optimizer:
        optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if adopt:
        for group, new in zip(optimizer.param_groups, fresh, strict=True):
            group.update({k: v for k, v in new.items() if k != "lr"})
        scheduler.base_lrs = [g["initial_lr"] for g in fresh]
        for group, lr in zip(optimizer.param_groups, scheduler.get_lr(), strict=True):
            group["lr"] = lr
        scheduler._last_lr = [float(g["lr"]) for g in optimizer.param_groups]
    stopper.load_state_dict(state["stopper"])
    generator.set_state(state["generator"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    random.setstate(rng["python"])
    kind, key, *rest = rng["numpy"]
    np.random.set_state((kind, key.numpy().astype(np.uint32), *rest))
    return int(state["epoch"])
