"""MkDocs hooks: publish the benchmark results beside the docs, with links that work in both.

The Markdown under ``docs/`` is also read on GitHub, where a link such as
``../benchmarks/results/issue-14.md`` points at the repository file. On the site those files
live under ``benchmarks/``; :func:`on_files` adds them and :func:`on_page_markdown` rewrites the
links that leave ``docs/`` into links to the published copy. Any other link that leaves
``docs/`` is left alone, so the strict build reports it as broken.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
# The tutorials train small networks, which run fastest on one thread (and do not fight the
# build's other processes for cores); torch reads this when a tutorial first imports it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# mkdocs imports this hook with its folder on sys.path, then restores sys.path, and only later
# does the gallery plugin import the scrapers named in mkdocs.yml: import ours now, so that
# its name resolves from sys.modules.
import tunecraft_scraper  # noqa: E402, F401, I001
PUBLISHED = ("benchmarks/RESULTS.md", "benchmarks/results/*.md")
"""Repository files published on the site at their repository path."""

_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


class _LazyAllFilter(logging.Filter):
    """Drop griffe's note on a computed ``__all__``: the integration packages build theirs from
    a table of lazy exports on purpose (importing them must not import MLflow, Keras, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not re.search(r"Unsupported item in tunecraft\.\w+\.__all__",
                             record.getMessage())


logging.getLogger("mkdocs.plugins.griffe").addFilter(_LazyAllFilter())


def on_files(files: Files, config: Any) -> Files:
    """Add the benchmark results to the site's files."""
    for pattern in PUBLISHED:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if files.get_file_from_path(rel) is None:
                file = File(rel, str(ROOT), config["site_dir"], config["use_directory_urls"])
                if rel != PUBLISHED[0]:
                    file.inclusion = InclusionLevel.NOT_IN_NAV  # reached from RESULTS.md
                files.append(file)
    return files


def _repo_path(page: Page, docs_dir: Path) -> str:
    """Where the page's Markdown lies in the repository (posix, relative to the root)."""
    src = Path(page.file.abs_src_path or "")
    try:
        return src.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return (docs_dir.relative_to(ROOT) / page.file.src_uri).as_posix()


def on_page_markdown(markdown: str, page: Page, config: Any, files: Files) -> str:
    """Point links that leave docs/ for a published repository file at the site's copy."""
    docs_dir = Path(config["docs_dir"]).resolve()
    here = posixpath.dirname(_repo_path(page, docs_dir))
    site_here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("#", "/", "mailto:")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(here, path))
        if resolved.startswith("docs/") or files.get_file_from_path(resolved) is None:
            return match.group(0)
        new = posixpath.relpath(resolved, site_here or ".")
        return f"{match.group(1)}{new}{'#' + anchor if anchor else ''}{match.group(3)}"

    return _LINK.sub(rewrite, markdown)
