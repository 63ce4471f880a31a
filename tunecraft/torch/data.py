"""What :func:`tunecraft.torch.fit` accepts as data: DataLoaders, ``(X, y)`` arrays or tensors, or
a loader factory ``batch_size -> loader``; each becomes a re-iterable of device batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from tunecraft._imports import require
from tunecraft.torch.lr_range import move_to

if TYPE_CHECKING:
    import torch

__all__ = ["Data", "LoaderBatches", "TensorBatches", "as_batches"]

Data: TypeAlias = "Iterable[Any] | tuple[Any, Any] | Callable[[int], Iterable[Any]]"


def _as_tensor(a: Any, what: str) -> torch.Tensor:
    require("torch")
    import torch

    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(a)
    if t.is_floating_point():
        return t.float() if t.dtype == torch.float64 else t
    if t.dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
        return t.long()
    if t.dtype in (torch.int64, torch.bool):
        return t
    raise TypeError(f"{what} has dtype {t.dtype}; give numbers (float features, int labels)")


class TensorBatches:
    """Mini-batches of in-memory ``(X, y)``, reshuffled each pass from ``generator``."""

    def __init__(self, x: Any, y: Any, batch_size: int, *, shuffle: bool,
                 generator: torch.Generator | None, device: torch.device) -> None:
        self.x = _as_tensor(x, "X").to(device)
        self.y = _as_tensor(y, "y").to(device)
        if len(self.x) != len(self.y) or len(self.x) == 0:
            raise ValueError(f"X and y must be non-empty with equal lengths, got {len(self.x)} "
                             f"and {len(self.y)}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        require("torch")
        import torch

        n = len(self.x)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.x.device)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                yield self.x[idx], self.y[idx]
        else:
            for start in range(0, n, self.batch_size):
                yield self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]


class LoaderBatches:
    """A DataLoader's batches, moved to ``device`` as they are (tensors inside tuples, lists
    and mappings, and any object with a ``.to`` method); ``fit``'s ``unpack`` reads them."""

    def __init__(self, loader: Iterable[Any], device: torch.device) -> None:
        self.loader = loader
        self.device = device

    def __len__(self) -> int:
        try:
            return len(self.loader)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                "the training loader has no len(); fit needs the number of batches per epoch "
                "to lay out the learning-rate schedule (use a map-style Dataset)"
            ) from None

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            yield move_to(batch, self.device)


def as_batches(data: Any, batch_size: int, *, shuffle: bool, generator: torch.Generator | None,
               device: torch.device, what: str) -> TensorBatches | LoaderBatches:
    """Wrap ``data`` (see :data:`Data`) as a re-iterable of ``(x, y)`` batches on ``device``."""
    if isinstance(data, tuple) and len(data) == 2:
        return TensorBatches(data[0], data[1], batch_size, shuffle=shuffle, generator=generator,
                             device=device)
    if callable(data) and not hasattr(data, "__iter__"):
        data = data(batch_size)
    if isinstance(data, Iterable):
        return LoaderBatches(data, device)
    raise TypeError(f"{what}={data!r} must be a DataLoader, an (X, y) pair of arrays/tensors, "
                    "or a factory batch_size -> DataLoader")
