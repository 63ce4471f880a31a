"""The broad suite's PyTorch tasks (the ``dl`` family): present, deterministic, learnable."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.broad.problems import all_problems  # noqa: E402
from benchmarks.broad.torch_tasks import torch_problems  # noqa: E402


def test_the_suite_has_three_pytorch_tasks() -> None:
    dl = {name for name, p in all_problems().items() if p.kind == "dl"}
    assert dl == set(torch_problems()) and len(dl) == 3


def test_a_task_is_deterministic_and_a_good_configuration_beats_a_bad_one() -> None:
    task = torch_problems()["torch-signal-cnn1d"]
    good = {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4, "channels": 8,
            "kernel_size": 5, "batch_size": 128}
    bad = {**good, "lr": 1e-4, "momentum": 0.0}  # barely moves in 3 epochs
    first = task.evaluate(good)
    assert task.evaluate(good) == first
    assert 0.0 <= first < task.evaluate(bad) <= 1.0
