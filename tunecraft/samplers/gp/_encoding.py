"""The GP's view of a search space: columns in the unit cube, or choice indices.

A Float or Int dimension is one numerical column holding ``dim.to_unit(value)`` (log
dimensions in log space, stepped and integer dimensions at the centres of their equal cells).
A Categorical dimension is one column holding the index of the choice (the kernel compares
indices for equality only). Stepped and integer columns are discrete: their legal coordinates
are the cell centres, listed in ``grid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tunecraft.space import Categorical, Dim, Float, Int, Space, grid_values

#: Discrete columns with at most this many legal values are searched exhaustively.
EXHAUSTIVE_MAX = 32


class Encoding:
    """Columns of a space (in its order) for the GP.

    Attributes:
        names: Parameter names, one per column.
        is_cat: (d,) categorical columns.
        n_choices: (d,) number of choices of categorical columns (0 elsewhere).
        grid: Per column, the sorted legal coordinates of a discrete column with at most
            ``EXHAUSTIVE_MAX`` values (categorical: the indices), else None.
        is_continuous: (d,) columns moved by gradient steps (continuous, or discrete with
            too many values to enumerate; the latter are rounded to the grid).
    """

    def __init__(self, space: Space) -> None:
        self.space: dict[str, Dim] = dict(space)
        self.names = list(space)
        dims = list(space.values())
        self.is_cat = np.array([isinstance(d, Categorical) for d in dims], dtype=bool)
        self.n_choices = np.array([len(d.choices) if isinstance(d, Categorical) else 0
                                   for d in dims], dtype=np.int64)
        self.grid: list[np.ndarray | None] = []
        self._edges: list[np.ndarray | None] = []
        for d in dims:
            grid, edges = _grid(d)
            self.grid.append(grid)
            self._edges.append(edges)
        self.is_discrete = np.array([_is_discrete(d) for d in dims], dtype=bool)
        self.is_continuous = np.array([g is None and not c for g, c in
                                       zip(self.grid, self.is_cat, strict=True)], dtype=bool)

    @property
    def dim(self) -> int:
        return len(self.names)

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """One row for a trial's parameters (every name of the space must be present)."""
        out = np.empty(len(self.names))
        for j, (name, dim) in enumerate(self.space.items()):
            value = params[name]
            out[j] = dim.index(value) if isinstance(dim, Categorical) else dim.to_unit(value)
        return out

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Rows moved onto legal coordinates: discrete columns to the coordinate of the value
        whose cell holds them, categorical columns to a valid index, all clipped into the
        cube."""
        out = np.array(x, dtype=float, copy=True)
        for j, dim in enumerate(self.space.values()):
            col = out[..., j]
            if isinstance(dim, Categorical):
                out[..., j] = np.clip(np.round(col), 0, len(dim.choices) - 1)
            elif self.is_discrete[j]:
                grid, edges = self.grid[j], self._edges[j]
                if grid is not None and edges is not None:
                    out[..., j] = grid[np.searchsorted(edges, np.clip(col, 0.0, 1.0))]
                else:
                    out[..., j] = _snap_each(dim, col)
            else:
                out[..., j] = np.clip(col, 0.0, 1.0)
        return out

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """Parameter values of one row."""
        out: dict[str, Any] = {}
        for j, (name, dim) in enumerate(self.space.items()):
            if isinstance(dim, Categorical):
                out[name] = dim.choices[int(np.clip(round(row[j]), 0, len(dim.choices) - 1))]
            else:
                out[name] = dim.from_unit(float(row[j]))
        return out

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Rows of the uniform unit cube (e.g. Sobol points) as legal encoded rows."""
        out = np.array(u, dtype=float, copy=True)
        for j in np.flatnonzero(self.is_cat):
            out[..., j] = np.minimum(np.floor(out[..., j] * self.n_choices[j]),
                                     self.n_choices[j] - 1)
        return self.snap(out)


def _is_discrete(dim: Dim) -> bool:
    return isinstance(dim, Int) or (isinstance(dim, Float) and dim.step is not None)


def _snap_each(dim: Float | Int, col: np.ndarray) -> np.ndarray:
    flat = [dim.to_unit(dim.from_unit(float(u))) for u in np.ravel(col)]
    return np.array(flat, dtype=float).reshape(np.shape(col))


def _grid(dim: Dim) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Legal coordinates of a small discrete dimension and the cell edges between them."""
    if isinstance(dim, Categorical):
        return np.arange(len(dim.choices), dtype=float), None
    if not _is_discrete(dim):
        return None, None
    half = dim.step / 2 if dim.step is not None else 0.5
    if isinstance(dim, Int) and dim.log:
        half = 0.5
    n = (dim.high - dim.low) / (dim.step or 1) + 1
    if n > EXHAUSTIVE_MAX:
        return None, None
    values = [float(v) for v in grid_values(dim)]  # type: ignore[arg-type]
    coords = np.array([dim.to_unit(v) for v in values], dtype=float)
    edges = np.array([dim.to_unit(v + half) for v in values[:-1]], dtype=float)
    return coords, edges
