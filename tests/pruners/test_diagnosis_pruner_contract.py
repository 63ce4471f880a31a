"""DiagnosisPruner meets the pruner contract, alone and wrapping a median pruner."""

from __future__ import annotations

import pytest

from tunecraft.pruners import DiagnosisPruner, MedianPruner
from tunecraft.testing import PrunerContract
from tunecraft.testing.pruner_contract import MakePruner


class TestDiagnosisPruner(PrunerContract):
    multi_objective = True  # alone it never looks at the values
    stops_diverged = False  # it reads the doctor's diagnosis, not the reported values

    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: DiagnosisPruner(None)


class TestDiagnosisPrunerWrappingMedian(PrunerContract):
    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: DiagnosisPruner(MedianPruner(n_startup_trials=2))


def test_a_run_config_names_it_and_its_wrapped_pruner() -> None:
    from tunecraft.config.build import build_pruner
    from tunecraft.config.run import parse_run_config
    from tunecraft.pruners import HyperbandPruner

    config = parse_run_config({
        "objective": "x:y", "n_trials": 3, "direction": "maximize",
        "space": {"x": {"type": "float", "low": 0, "high": 1}},
        "pruner": {"name": "diagnosis", "wrapped": {"name": "hyperband", "max_resource": 9}}})
    pruner = build_pruner(config)
    assert isinstance(pruner, DiagnosisPruner)
    assert isinstance(pruner.wrapped, HyperbandPruner)
