"""mkdocs-gallery image scraper for Matplotlib figures, with or without pyplot.

tunecraft's plots (``tunecraft.visualization.matplotlib``) build ``matplotlib.figure.Figure``
objects directly, so pyplot, and with it the stock scraper, never sees them. This scraper saves
the figures pyplot holds and those a tutorial cell left in its variables (a Figure, an Axes, or
an array or list of Axes), each new one once, cropped to what is drawn (``bbox_inches="tight"``:
the stock scraper saves the figure's canvas, which cuts off axis labels that stick out of it).
It closes the pyplot figures it saved, so the stock scraper after it finds none of them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_saved: weakref.WeakSet[Any] = weakref.WeakSet()


def _figures(value: Any, depth: int = 0) -> Iterator[Any]:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if isinstance(value, Figure):
        yield value
    elif isinstance(value, Axes):
        yield value.figure
    elif depth < 2 and isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        try:
            items = list(value.flat) if hasattr(value, "flat") else list(value)
        except TypeError:
            return
        for item in items[:64]:
            yield from _figures(item, depth + 1)


def scrape(block: Any, script: Any, **kwargs: Any) -> str:
    """Save the cell's new figures as PNG, close its pyplot ones; return their Markdown."""
    from matplotlib import pyplot as plt
    from mkdocs_gallery.scrapers import figure_md_or_html

    pyplot = [plt.figure(n) for n in plt.get_fignums()]
    found: list[Any] = [fig for fig in pyplot if fig not in _saved]
    for value in list(script.run_vars.example_globals.values()):
        for fig in _figures(value):
            root = fig.figure if hasattr(fig, "figure") and fig.figure is not None else fig
            if root in _saved or any(root is f for f in found):
                continue
            found.append(root)
    paths = []
    for fig, path in zip(found, script.run_vars.image_path_iterator, strict=False):
        fig.savefig(Path(path), dpi=100, bbox_inches="tight")
        _saved.add(fig)
        paths.append(Path(path))
    for fig in pyplot:
        plt.close(fig)
    return figure_md_or_html(paths, script) if paths else ""


def _get_sg_image_scraper() -> Callable[..., str]:
    """The hook mkdocs-gallery calls for a scraper named by module."""
    return scrape
