"""TensorBoard tracking: :class:`TensorBoardCallback` writes every finished trial as a run
with an HParams plugin session (its parameters and status) and its learning curve.

Install with ``pip install 'tunecraft[tensorboard]'`` (TensorBoard alone; TensorFlow is not
needed). Importing a name from here imports TensorBoard; ``import tunecraft`` does not.
"""

from __future__ import annotations

from typing import Any

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "TensorBoardCallback": "tunecraft.tensorboard._callback",
})
__all__ = _EXPORTS.names


def __getattr__(name: str) -> Any:
    return _EXPORTS.load(name)


def __dir__() -> list[str]:
    return list(_EXPORTS.names)
