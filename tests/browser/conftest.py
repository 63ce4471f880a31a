"""Headless Chromium (Debian's package, driven by Playwright) and a real dashboard process.

These tests fail, never skip, when Chromium is missing: ``make test`` installs it (the Debian
packages ``chromium`` and ``chromium-driver``). Playwright's own browser download
(``playwright install``) is never used. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

import tunecraft as tc
from tests.browser._support import CHROMIUM, FLAGS, N_TRIALS, ROOT, XSS, objective


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (fails with the fix when it is not installed)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's "
                    "chromium and chromium-driver packages; `make test` installs them "
                    "(apt-get install -y chromium chromium-driver), or set TUNECRAFT_CHROMIUM",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records script errors and dialogs (an alert means an XSS hole)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    p = context.new_page()
    p.errors = []  # type: ignore[attr-defined]
    p.dialogs = []  # type: ignore[attr-defined]
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))
    try:
        yield p
    finally:
        context.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite storage with a study of N_TRIALS trials and one named like an XSS attack."""
    path = str(tmp_path_factory.mktemp("browser") / "studies.db")
    study = tc.create_study(storage=path, study_name="demo",
                            sampler=tc.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=N_TRIALS)
    tc.create_study(storage=path, study_name=XSS).optimize(
        lambda t: t.suggest_float("y", 0.0, 1.0), n_trials=4)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def dashboard(db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tunecraft dashboard`` as a separate process on a free port; yields its URL."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tunecraft", "dashboard", "--storage", db, "--port",
             str(port), "--refresh", "0.5"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = log_path.read_text(errors="replace")
                    pytest.fail(f"the dashboard did not start: {out}", pytrace=False)
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
