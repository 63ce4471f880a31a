"""``tunecraft lr-find CONFIG.yaml``: suggestions, the plot, and config errors at a line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tunecraft.cli.main import main  # noqa: E402

MODULE = '''
import torch
from torch import nn


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    return {"train": (x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long())}
'''


def _write(folder: Path, config: str) -> Path:
    (folder / "lrf_toy_model.py").write_text(MODULE)
    path = folder / "find.yaml"
    path.write_text(textwrap.dedent(config))
    return path


def test_lr_find_prints_suggestions_and_saves_the_plot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
        model: lrf_toy_model:make_model
        data: lrf_toy_model:data
        batch_size: 32
        optimizer: {name: sgd, momentum: 0.9}
        range_test: {num_iter: 60, end_lr: 100}
        """)
    assert main(["lr-find", str(path), "--rule", "minimum"]) == 0
    out = capsys.readouterr().out
    for rule in ("steepest", "valley", "minimum"):
        assert rule in out
    assert "minimum" in out.split("<- --rule")[0].splitlines()[-1]
    assert "optimizer_lr: {type: float, low: " in out
    # how the default's pick was confirmed (here the sentinel trains better: the climb)
    assert "Probe: confirmed: the probe at " in out or "Probe: climbed: " in out
    assert (tmp_path / "find_lr_find.png").read_bytes()[:4] == b"\x89PNG"


def test_config_errors_name_the_key_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, """\
        model: lrf_toy_model:make_model
        data: lrf_toy_model:data
        range_test: {num_iters: 60}
        """)
    assert main(["lr-find", str(path), "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert "find.yaml:3" in err and "num_iters" in err and "num_iter" in err
    path.write_text("model: lrf_toy_model:no_such_function\ndata: lrf_toy_model:data\n")
    assert main(["lr-find", str(path), "--no-plot"]) == 2
    assert "no callable 'no_such_function'" in capsys.readouterr().err
