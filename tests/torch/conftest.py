"""Fixtures of the PyTorch toolkit's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One intra-op thread per test module: small models train faster and results do not
    depend on how many cores the machine lends (reductions split the same way everywhere)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
