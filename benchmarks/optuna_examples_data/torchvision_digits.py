"""A ``torchvision`` stand-in whose MNIST-style datasets are scikit-learn's bundled digits.

Optuna's PyTorch examples train on MNIST or FashionMNIST, which torchvision downloads; this
machine has no torchvision and no network. ``benchmarks/optuna_examples.py`` installs this
module as ``torchvision`` (with ``datasets`` and ``transforms``) so the scripts run unchanged
but for the import line: the 1,797 8x8 digits, upscaled 3x and padded to 28x28 like MNIST,
split 80/20 (seeded) into ``train=True``/``False``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np


class ToTensor:
    """An ``HxW`` array in [0, 1] as a ``1xHxW`` float32 tensor (``transforms.ToTensor``)."""

    def __call__(self, image: np.ndarray) -> Any:
        import torch

        return torch.as_tensor(image, dtype=torch.float32).unsqueeze(0)


class Compose:
    """Apply transforms in order (``transforms.Compose``)."""

    def __init__(self, transforms: list[Callable[[Any], Any]]) -> None:
        self.transforms = transforms

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x


class Digits:
    """scikit-learn's digits as an MNIST-shaped dataset: ``(image, label)`` pairs."""

    def __init__(self, root: str = "", train: bool = True, download: bool = False,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None) -> None:
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        images = np.kron(x.reshape(-1, 8, 8) / 16.0, np.ones((3, 3)))  # 24x24
        images = np.pad(images, ((0, 0), (2, 2), (2, 2))).astype(np.float32)  # 28x28
        order = np.random.default_rng(0).permutation(len(y))
        cut = int(0.8 * len(y))
        keep = order[:cut] if train else order[cut:]
        self.data, self.targets = images[keep], y[keep]
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        image: Any = self.data[i]
        label: Any = int(self.targets[i])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label


def install() -> None:
    """Register ``torchvision``, ``torchvision.datasets`` and ``torchvision.transforms``."""
    root = types.ModuleType("torchvision")
    datasets = types.ModuleType("torchvision.datasets")
    transforms = types.ModuleType("torchvision.transforms")
    for name in ("MNIST", "FashionMNIST", "KMNIST"):
        setattr(datasets, name, Digits)
    transforms.ToTensor = ToTensor  # type: ignore[attr-defined]
    transforms.Compose = Compose  # type: ignore[attr-defined]
    root.datasets, root.transforms = datasets, transforms  # type: ignore[attr-defined]
    sys.modules.update({"torchvision": root, "torchvision.datasets": datasets,
                        "torchvision.transforms": transforms})
