"""The pruner contract over every built-in pruner and scheduler, in the configurations the docs
recommend (small startup counts so that the contract's short studies reach decisions)."""

from __future__ import annotations

import pytest

from tunecraft.pruners import (
    CurveExtrapolationPruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    ParetoPruner,
    PatientPruner,
    PercentilePruner,
    PopulationBasedTraining,
    SmoothedPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from tunecraft.testing import PrunerContract
from tunecraft.testing.pruner_contract import MakePruner


class TestNopPruner(PrunerContract):
    multi_objective = True  # it never looks at the values
    stops_diverged = False  # it never stops anything

    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return NopPruner


class TestMedianPruner(PrunerContract):
    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: MedianPruner(n_startup_trials=2)


class TestPercentilePruner(PrunerContract):
    @pytest.fixture(params=[25.0, 90.0])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        return lambda: PercentilePruner(request.param, n_startup_trials=2, margin=0.01)


class TestThresholdPruner(PrunerContract):
    direction_aware = False  # its bounds are absolute

    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: ThresholdPruner(lower=-10.0, upper=10.0)


class TestPatientPruner(PrunerContract):
    stops_diverged = False  # NaN reports are ignored: an all-NaN curve never stalls

    @pytest.fixture(params=["alone", "median"])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        if request.param == "alone":
            return lambda: PatientPruner(None, patience=2)
        return lambda: PatientPruner(MedianPruner(n_startup_trials=2), patience=1)


class TestSmoothedPruner(PrunerContract):
    @pytest.fixture(params=["mean", "ema"])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        return lambda: SmoothedPruner(MedianPruner(n_startup_trials=2), window=3,
                                      kind=request.param)


class TestSuccessiveHalvingPruner(PrunerContract):
    @pytest.fixture(params=["stop", "pause", "pause-queued", "forecast"])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        pause = request.param != "stop"
        in_place = request.param != "pause-queued"
        forecast = request.param == "forecast"
        return lambda: SuccessiveHalvingPruner(1, 2, max_resource=8, pause=pause,
                                               promote_in_place=in_place,
                                               rank_by="forecast" if forecast else "value")


class TestSuccessiveHalvingPrunerAuto(PrunerContract):
    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: SuccessiveHalvingPruner(reduction_factor=2, bootstrap_count=1)


class TestHyperbandPruner(PrunerContract):
    stops_diverged = False  # its last bracket runs every trial in full, undecided

    @pytest.fixture(params=["stop", "pause", "auto", "forecast", "adaptive"])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        if request.param == "adaptive":
            return lambda: HyperbandPruner(1, 8, 2, pause=True, bracket_choice="adaptive")
        if request.param == "auto":
            return lambda: HyperbandPruner(1, "auto", 2)
        if request.param == "forecast":
            return lambda: HyperbandPruner(1, 8, 2, pause=True, rank_by="forecast")
        return lambda: HyperbandPruner(1, 8, 2, pause=request.param == "pause")


class TestPopulationBasedTraining(PrunerContract):
    stops_diverged = False  # it replaces diverged members by exploitation, not by stopping

    @pytest.fixture(params=["factors", "noise", "explore-only"])
    def make_pruner(self, request: pytest.FixtureRequest) -> MakePruner:
        noise = 0.1 if request.param == "noise" else None
        exploit = request.param != "explore-only"
        return lambda: PopulationBasedTraining(4, 2, max_resource=8, perturbation_noise=noise,
                                               exploit=exploit, seed=3)


class TestCurveExtrapolationPruner(PrunerContract):
    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: CurveExtrapolationPruner(max_resource=16, confidence=0.9,
                                                n_min_points=4)


class TestParetoPruner(PrunerContract):
    multi_objective = True

    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: ParetoPruner(0.5, n_startup_trials=2)


class TestWilcoxonPruner(PrunerContract):
    @pytest.fixture
    def make_pruner(self) -> MakePruner:
        return lambda: WilcoxonPruner(p_threshold=0.2)
