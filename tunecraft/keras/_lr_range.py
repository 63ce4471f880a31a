"""The LR range test for a compiled Keras 3 model: the same sweep, smoothing and suggestions as
:func:`tunecraft.torch.lr_range_test`, driven through ``train_on_batch``."""

from __future__ import annotations

from typing import Any

import numpy as np

from tunecraft._global_rng import restore_rng, take_rng
from tunecraft._validation import Interval, check
from tunecraft.keras._load import load_keras
from tunecraft.torch.lr_result import LRRangeResult, run_range_test
from tunecraft.torch.lr_rules import Mode


def to_numpy(variable: Any) -> np.ndarray[Any, Any]:
    """A private numpy copy of a Keras variable (torch tensors via ``.numpy()``: numpy 2 warns
    when ``np.array`` meets torch's ``__array__``)."""
    value = variable.value
    if hasattr(value, "detach"):
        return np.array(value.detach().cpu().numpy(), copy=True)
    return np.array(value, copy=True)


def _set_lr(optimizer: Any, lr: float) -> None:
    try:
        optimizer.learning_rate = lr
    except TypeError as exc:
        raise TypeError(
            "the model's optimizer uses a LearningRateSchedule, whose rate cannot be set; "
            "compile the model with a float learning rate for the range test"
        ) from exc


def keras_lr_range_test(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int = 32,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: Mode = "exp",
    smooth_beta: float = 0.5,  # the zero-lag smoothing of tunecraft.torch.lr_range_test
    diverge_factor: float | None = 4.0,
    validation_data: tuple[Any, Any] | None = None,
    seed: int = 0,
) -> LRRangeResult:
    """Run the LR range test on a compiled Keras model and restore it afterwards.

    Each iteration sets the optimizer's learning rate and trains on one mini-batch of
    ``batch_size`` rows of ``(x, y)`` (reshuffled each pass with ``seed``). With
    ``validation_data`` the recorded loss is ``model.evaluate`` on it. Afterwards every model
    variable (weights, and the dropout seed state), every optimizer variable (slots,
    iteration count, learning rate) and the global RNGs are put back.

    Args:
        model: A built, compiled Keras 3 model whose optimizer has a float learning rate.
        x, y: Training arrays (numpy or tensors indexable by an index array).
        batch_size: Rows per step; the curve depends on it, so use the training value.
        start_lr, end_lr, num_iter, mode, smooth_beta, diverge_factor: As in
            :func:`tunecraft.torch.lr_range_test`.
        validation_data: Optional ``(x_val, y_val)`` whose loss replaces the training loss.
        seed: Seed of the batch order.

    Returns:
        A frozen :class:`~tunecraft.torch.LRRangeResult`.
    """
    load_keras()
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("the model is not compiled; call model.compile(optimizer, loss) first")
    if not model.built:
        raise ValueError("the model is not built; give it a keras.Input or call it once first")
    check("batch_size", batch_size, Interval(int, 1, label="a positive integer"))
    n = len(x)
    if n == 0 or len(y) != n:
        raise ValueError(f"x and y must be non-empty with equal lengths, got {n} and {len(y)}")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    model_values = [to_numpy(v) for v in model.variables]
    opt_values = [to_numpy(v) for v in optimizer.variables]
    rng_state = take_rng()
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    cursor = 0

    def step(lr: float) -> float:
        nonlocal order, cursor
        if cursor + batch_size > n and cursor > 0:
            order, cursor = rng.permutation(n), 0
        idx = order[cursor:cursor + batch_size]
        cursor += batch_size
        _set_lr(optimizer, lr)
        logs = model.train_on_batch(x[idx], y[idx], return_dict=True)
        if validation_data is None:
            return float(logs["loss"])
        val = model.evaluate(*validation_data, verbose=0, return_dict=True)
        return float(val["loss"])

    try:
        return run_range_test(step, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter,
                              mode=mode, smooth_beta=smooth_beta,
                              diverge_factor=diverge_factor)
    finally:
        for var, value in zip(model.variables, model_values, strict=True):
            var.assign(value)
        for var, value in zip(optimizer.variables, opt_values, strict=True):
            var.assign(value)
        restore_rng(rng_state)
