"""Regenerate the screenshots of docs/visualisation.md from a real study (about a minute).

    .venv/bin/python docs/img/make_screenshots.py

Tunes scikit-learn's MLPClassifier on the digits data set that scikit-learn ships (no
download): TPE, the median pruner on the validation accuracy reported after each epoch, two
threads. Then writes the HTML report and screenshots it and the dashboard in headless Chromium
(Debian's package), into this folder.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import tunecraft as tc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def objective(trial: tc.Trial) -> float:
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.3,
                                                      random_state=0)
    model = MLPClassifier(
        hidden_layer_sizes=(trial.suggest_int("width", 8, 256, log=True),) * trial.suggest_int(
            "layers", 1, 3),
        learning_rate_init=trial.suggest_float("lr", 1e-5, 1.0, log=True),
        alpha=trial.suggest_float("weight_decay", 1e-7, 1e-1, log=True),
        batch_size=trial.suggest_categorical("batch_size", [16, 64, 256]),
        solver=trial.suggest_categorical("optimizer", ["adam", "sgd"]), random_state=0)
    accuracy = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(15):
            model.partial_fit(x_train, y_train, classes=list(range(10)))
            accuracy = float(model.score(x_val, y_val))
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise tc.TrialPruned()
    return accuracy


def main() -> int:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests._live_server import serve
    from tunecraft.dashboard import create_app
    from tunecraft.viz.report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/digits.db"
        study = tc.create_study(storage=db, study_name="digits-mlp", direction="maximize",
                                sampler=tc.samplers.TPESampler(seed=0))
        study.optimize(objective, n_trials=80, n_jobs=2)
        report = write_report(study, f"{tmp}/report.html")
        with serve(create_app(db)) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            for name, url in (("report", report.as_uri()),
                              ("dashboard-study", f"{base}/study?name=digits-mlp"),
                              ("dashboard-studies", f"{base}/"),
                              ("dashboard-trial", f"{base}/trial?study=digits-mlp&number="
                                                  f"{study.best_trial.number}")):
                page.goto(url)
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                page.screenshot(path=str(HERE / f"{name}.png"),
                                full_page=name != "dashboard-studies")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
