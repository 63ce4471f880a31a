"""Constants and helpers shared by the browser tests and their fixtures (tests/browser)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tunecraft as tc

CHROMIUM = os.environ.get("TUNECRAFT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
XSS = "<script>alert(1)</script>"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
N_TRIALS = 30


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as a test artifact (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def objective(trial: tc.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    opt = trial.suggest_categorical("opt", ["adam", "sgd"])
    value = x * x + abs(lr - 0.01) + (0.5 if opt == "sgd" else 0.0)
    for step in range(4):
        trial.report(value + 1.0 / (step + 1), step)
        if trial.should_prune():
            raise tc.TrialPruned()
    return value
