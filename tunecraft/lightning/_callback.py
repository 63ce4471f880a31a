"""A Lightning callback that reports a monitored metric to a trial at each validation end, stops
pruned trials, and pauses and resumes them through Lightning checkpoints."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import weakref
from typing import Any, Literal

from tunecraft._validation import InstanceOf, Options, Spec, Text, validate
from tunecraft.decision import Decision
from tunecraft.exceptions import TrialPruned
from tunecraft.lightning._link import Owner, Remote, Server
from tunecraft.lightning._load import load_lightning
from tunecraft.trial import Trial

_Callback: Any = load_lightning().Callback

_CONTINUE, _PAUSE = Decision.CONTINUE.value, Decision.PAUSE.value
_CONSTRAINTS: Spec = {
    "trial": InstanceOf(Trial, "the tunecraft.Trial given to the objective"),
    "monitor": Text("the name of a logged metric"),
    "step": Options("epoch", "global_step"),
}


class PruningCallback(_Callback):  # type: ignore[misc]
    """Report ``trainer.callback_metrics[monitor]`` after each validation run and stop the
    trial when the study's pruner says so.

    The step reported is the number of epochs completed (1 after the first epoch, as in
    :func:`tunecraft.torch.fit` and the Keras callback), or ``trainer.global_step`` with
    ``step="global_step"`` (needed when validation runs several times per epoch). Only
    validation inside ``trainer.fit`` is reported: never the sanity check, nor
    ``trainer.validate``.

    **Stopping.** In a one-process run the callback raises ``TrialPruned`` from the hook:
    Lightning's error path tears the Trainer down (loggers are finalised with status
    ``"failed"``, dataloader workers stop) and the study records the trial PRUNED. In a
    multi-process run (DDP) the decision is taken once, on rank 0, broadcast to every rank,
    and the Trainer stops at the end of the epoch through ``trainer.should_stop``, as
    Lightning's own early stopping does; call :meth:`check_pruned` after ``trainer.fit``
    to raise ``TrialPruned`` in the process that owns the trial. Calling it is harmless in a
    one-process run, so objectives can always call it.

    **Multi-process strategies.** Rank 0 holds the metric. With ``"ddp"`` launched from a
    script, rank 0 is the process that runs the study and reports directly. With
    ``"ddp_spawn"`` every rank is a new process: the pickled callback carries the address
    of a small local server (started here, in the owner process) to which rank 0 sends each
    value and from which it receives the decision, so any storage works, in-memory included.
    Fork-based strategies (``"ddp_fork"``, ``"ddp_notebook"``) copy the trial without
    pickling it and are refused with a ``RuntimeError`` naming the fix.

    **Pause and resume** (``checkpoints=True``) for schedulers that pause trials (ASHA,
    Hyperband, PBT with ``pause=True``): when the trial is told PAUSE, every rank calls
    ``trainer.save_checkpoint`` and the file goes into the study's artifact store before the
    Trainer stops. A promoted trial passes ``ckpt_path=callback.ckpt_path`` to
    ``trainer.fit``; Lightning restores weights, optimizer, schedulers and loop counters and
    training continues at the next epoch (the steps already reported are not reported
    again). Without a checkpoint ``ckpt_path`` is None and the promoted trial retrains.

    Args:
        trial: The running trial.
        monitor: A key of ``trainer.callback_metrics`` (what the module logs with
            ``self.log``), e.g. ``"val_acc"``; the study's direction must match it.
        step: ``"epoch"`` (epochs completed) or ``"global_step"`` (optimizer steps).
        checkpoints: Save a Lightning checkpoint when the trial is paused.
    """

    def __init__(self, trial: Trial, monitor: str = "val_acc", *,
                 step: Literal["epoch", "global_step"] = "epoch",
                 checkpoints: bool = False) -> None:
        super().__init__()
        validate(_CONSTRAINTS, trial=trial, monitor=monitor, step=step)
        self.trial: Trial | None = trial
        self.monitor = monitor
        self.step = step
        self.checkpoints = bool(checkpoints)
        self._owner: Owner | None = Owner(trial)
        self._link: Owner | Remote = self._owner
        self._server: Server | None = None
        self._owner_pid = os.getpid()
        self._last_step: int | None = None
        self._resume_dir: str | None = None

    # ------------------------------------------------------------------ Lightning hooks
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self._owner is not None and os.getpid() != self._owner_pid:
            raise RuntimeError(
                "PruningCallback was copied into a forked process (strategy 'ddp_fork' or "
                "'ddp_notebook'), where it cannot reach its trial; use strategy='ddp_spawn', "
                "or 'ddp' from a script")
        self._last_step = None

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":  # not trainer.validate()
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise ValueError(
                f"monitor={self.monitor!r} is not among the logged metrics {sorted(metrics)}; "
                "log it in validation_step (self.log(name, value)) or monitor one of those")
        value = float(metrics[self.monitor])
        step = trainer.current_epoch + 1 if self.step == "epoch" else int(trainer.global_step)
        if step == self._last_step:
            raise ValueError(
                f"validation ran twice at {self.step} {step} (val_check_interval < 1?); "
                "pass step='global_step' to PruningCallback")
        self._last_step = step
        decision = _CONTINUE
        if trainer.is_global_zero:
            decision = self._link.report(value if math.isfinite(value) else math.nan, step)
        if trainer.world_size > 1:
            decision = trainer.strategy.broadcast(decision, src=0)
        if decision == _CONTINUE:
            return
        if decision == _PAUSE and self.checkpoints:
            self._save_checkpoint(trainer, step)
        if trainer.world_size == 1 and self._owner is not None:
            number = self._owner.trial.number
            raise TrialPruned(f"trial {number} {'paused' if decision == _PAUSE else 'pruned'}"
                              f" at {self.step} {step} ({self.monitor}={value:.6g})")
        trainer.should_stop = True

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if isinstance(self._link, Remote):
            self._link.close()
        self._drop_resume_file()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._drop_resume_file()

    # ------------------------------------------------------------------ the owner's API
    def check_pruned(self) -> None:
        """Raise ``TrialPruned`` if the trial was told to stop during the last ``fit``.

        Call it right after ``trainer.fit`` (required with multi-process strategies, a no-op
        otherwise). It also stops the link server and deletes the resume checkpoint file.
        """
        owner = self._owner
        if owner is None:
            raise RuntimeError("check_pruned() runs in the process that created the callback "
                               "(the one that called trainer.fit)")
        self.close()
        if owner.stopped_at is not None:
            what = "paused" if owner.decision is Decision.PAUSE else "pruned"
            raise TrialPruned(f"trial {owner.trial.number} {what} at {self.step} "
                              f"{owner.stopped_at}")

    @property
    def ckpt_path(self) -> str | None:
        """A file holding the checkpoint this trial resumes from (pass it to
        ``trainer.fit(..., ckpt_path=...)``), or None to train from the start."""
        if self._owner is None:
            return None
        if self._resume_dir is not None:
            return os.path.join(self._resume_dir, "resume.ckpt")
        blob = self._owner.trial.load_checkpoint()
        if blob is None:
            return None
        self._resume_dir = tempfile.mkdtemp(prefix="tunecraft-resume-")
        weakref.finalize(self, shutil.rmtree, self._resume_dir, True)
        path = os.path.join(self._resume_dir, "resume.ckpt")
        with open(path, "wb") as f:
            f.write(blob)
        return path

    def close(self) -> None:
        """Stop the link server (if one was started) and delete the resume checkpoint file."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._drop_resume_file()

    def _drop_resume_file(self) -> None:
        if self._resume_dir is not None:
            shutil.rmtree(self._resume_dir, ignore_errors=True)
            self._resume_dir = None

    # ------------------------------------------------------------------ plumbing
    def _save_checkpoint(self, trainer: Any, step: int) -> None:
        """Every rank takes part in ``save_checkpoint``; rank 0 writes the file, and it goes
        into the artifact store through the link."""
        folder = tempfile.mkdtemp(prefix="tunecraft-pause-") if trainer.is_global_zero else None
        path = os.path.join(folder or tempfile.gettempdir(), "paused.ckpt")
        try:
            trainer.save_checkpoint(path)
            if trainer.is_global_zero:
                self._link.store_checkpoint(path, step)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled into Lightning's worker processes: the trial stays here, a server for it
        starts, and the workers get its address."""
        state = self.__dict__.copy()
        if self._owner is not None:
            if self._server is None or self._server.closed:
                self._server = Server(self._owner)
                weakref.finalize(self, self._server.close)
            remote = (self._server.address, self._server.token, self._owner.trial.number)
        elif isinstance(self._link, Remote):  # a copy of a copy: the same owner
            remote = (self._link.address, self._link.token, self._link.number)
        else:
            raise RuntimeError("PruningCallback lost its link to the trial")
        for key in ("trial", "_owner", "_link", "_server", "_resume_dir"):
            state[key] = None
        state["_remote"] = remote
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        address, token, number = state.pop("_remote")
        self.__dict__.update(state)
        self._link = Remote((str(address[0]), int(address[1])), str(token), int(number))
