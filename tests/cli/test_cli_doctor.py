"""``tunecraft doctor``: diagnose a config file, explain a recorded trial, clear usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("torch")

import tunecraft  # noqa: E402
from tunecraft.cli.main import main  # noqa: E402

MODULE = '''
import torch
from torch import nn


def make_model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 8, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 0.5).long()
    return {"train": (x[:300], y[:300]), "val": (x[300:], y[300:])}
'''

CONFIG = '''
model: toy:make_model
data: toy:data
batch_size: 32
optimizer: {name: sgd, lr: 40.0, momentum: 0.9}
train: {seed: 1}
epochs: 3
device: cpu
range_test: {num_iter: 50}   # lr-find keys are accepted and ignored
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "toy.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "doc.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_doctor_config_prints_diagnosis_and_a_fixed_config_that_runs(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(project / "doc.yaml")]) == 0
    text = capsys.readouterr().out
    assert "lr_too_high" in text and "remedy:" in text
    fixed_yaml = text.split("Fixed config", 1)[1].split("\n", 1)[1]
    fixed = yaml.safe_load(fixed_yaml)
    assert fixed["model"] == "toy:make_model" and fixed["optimizer"]["name"] == "sgd"
    assert fixed["optimizer"]["lr"] < 40.0 / 3
    assert "range_test" not in fixed
    (project / "fixed.yaml").write_text(yaml.safe_dump(fixed), encoding="utf-8")
    assert main(["doctor", str(project / "fixed.yaml"), "--epochs", "2"]) == 0
    again = capsys.readouterr().out
    assert "Diagnosis after" in again and "lr_too_high" not in again


def test_doctor_config_errors_name_the_key(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.yaml").write_text("model: toy:make_model\ndata: toy:data\n"
                                      "train: {learning_rate: 1}\n", encoding="utf-8")
    assert main(["doctor", str(project / "bad.yaml")]) == 2
    assert "learning_rate" in capsys.readouterr().err
    assert main(["doctor"]) == 2
    assert "CONFIG.yaml" in capsys.readouterr().err


def test_doctor_explains_a_recorded_trial(project: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    sys.path.insert(0, str(project))
    try:
        import toy  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(project))
    from tunecraft.torch import TrainConfig, fit

    url = f"sqlite:///{project / 'doc.db'}"
    study = tunecraft.create_study(study_name="dx", storage=url, direction="maximize")
    d = toy.data()

    def objective(trial: tunecraft.Trial) -> float:
        if trial.number == 1:
            return 0.0  # trained without the doctor: nothing recorded
        config = TrainConfig(lr=40.0, optimizer="sgd", momentum=0.9, batch_size=32)
        return fit(lambda c: toy.make_model(), d["train"], d["val"], config, trial,
                   max_epochs=2, device="cpu", doctor=True).best_metric

    study.optimize(objective, n_trials=2)
    assert main(["doctor", "--study", "dx", "--trial", "0", "--storage", url]) == 0
    text = capsys.readouterr().out
    assert "Trial #0" in text and "lr_too_high" in text and "remedy:" in text
    assert "\\n" not in text and text.count("\n") > 3  # the diagnosis prints line by line
    assert main(["doctor", "--study", "dx", "--trial", "1", "--storage", url]) == 1
    assert "No diagnosis was recorded" in capsys.readouterr().out
    assert main(["doctor", "--study", "dx", "--trial", "7", "--storage", url]) == 2
    assert "no trial 7" in capsys.readouterr().err
    assert main(["doctor", "--study", "dx", "--storage", url]) == 2
    assert "--trial" in capsys.readouterr().err
