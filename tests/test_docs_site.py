"""The documentation site builds strictly: no warning, no broken link, every page in place.

Builds a copy of ``docs/`` with ``mkdocs build --strict`` and the tutorials not executed
(``TUNECRAFT_DOCS_EXECUTE=false``), so a broken link, a docstring the API reference cannot
render or a page left out of the navigation fails CI in about half a minute. ``make docs`` runs
the same build with every tutorial executed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
pytest.importorskip("mkdocs_gallery", reason="the docs extra: pip install -e '.[docs]'")


class _Links(HTMLParser):
    """Collects href/src attributes of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def _copy_tree(dest: Path) -> None:
    """The files the build reads, so it never writes into the checkout's docs/generated."""
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", dest / "docs",
                    ignore=shutil.ignore_patterns("generated", "__pycache__"))
    shutil.copytree(ROOT / "benchmarks", dest / "benchmarks",
                    ignore=shutil.ignore_patterns("out", "__pycache__"))
    (dest / "tunecraft").symlink_to(ROOT / "tunecraft")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("docs")
    _copy_tree(work)
    env = {**os.environ, "TUNECRAFT_DOCS_EXECUTE": "false", "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    return work / "site"


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_pages(value)]
    return []


def test_every_markdown_page_is_in_the_navigation() -> None:
    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_constructor("!ENV", lambda loader, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)  # noqa: S506
    in_nav = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")
             if p.relative_to(ROOT / "docs").parts[0] not in ("generated", "tutorials", "_build")}
    assert pages - in_nav == set(), "add these pages to the nav of mkdocs.yml"
    tutorials = sorted((ROOT / "docs" / "tutorials").glob("t[0-9]*_*.py"))
    assert len(tutorials) >= 5


def test_site_has_the_pages_the_reference_and_no_broken_internal_link(site: Path) -> None:
    pages = sorted(site.rglob("index.html"))
    assert len(pages) >= 30, f"only {len(pages)} pages"
    reference = (site / "reference" / "tunecraft" / "index.html").read_text()
    assert "create_study" in reference and "doc-signature" in reference
    torch_ref = (site / "reference" / "torch" / "index.html").read_text()
    assert "lr_range_test" in torch_ref
    for name in ("t01_first_study", "t04_grid_random_bayesian", "t05_lr_range_test"):
        assert (site / "generated" / "tutorials" / name / "index.html").exists(), name

    broken = []
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "mailto:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert broken == [], "\n".join(broken[:30])


def test_tutorial_pages_keep_their_prose_and_code(site: Path) -> None:
    page = (site / "generated" / "tutorials" / "t01_first_study" / "index.html").read_text()
    assert "create_study" in page and re.search(r"<h1[^>]*>A first study", page)
