"""The FRESH curve families (benchmarks/broad/curves.py): each has the shape its docstring
promises, and runs under the benchmark's methods."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.broad import curves


@pytest.mark.parametrize("family", curves.FRESH)
def test_fresh_families_learn_and_run(family: str) -> None:
    x = (1e-2, 1e-4, 128.0, 0.3)
    values = [curves.error(family, x, t, 0) for t in range(1, curves.R + 1)]
    assert all(0 < v < 2 for v in values) and values[-1] < values[0]
    run = curves.run_mf(family, "tc-tpe-hyperband-adaptive", 0, 2)
    assert run.epochs[-1] >= 2 * curves.R and run.best_at(10**6) < 1.0


def test_double_descent_bumps_wide_unregularised_networks_at_mid_rungs() -> None:
    wide, narrow = (1e-2, 1e-6, 512.0, 0.3), (1e-2, 1e-6, 16.0, 0.3)
    bump = [curves.error("double-descent", x, 10, 0) - curves.error("power", x, 10, 0)
            for x in (wide, narrow)]
    assert bump[0] > 0.2 and abs(bump[1]) < 1e-12
    late = curves.error("double-descent", wide, curves.R, 0) - curves.error("power", wide,
                                                                          curves.R, 0)
    assert late < 0.01  # gone by the full budget: the score is power's


def test_hetero_noise_grows_with_the_learning_rate() -> None:
    def sd(lr: float) -> float:
        x = (lr, 1e-4, 128.0, 0.3)
        return float(np.std([curves.error("hetero-noise", x, t, 0)
                             - curves.error("hetero-noise", x, t, 0, noise=False)
                             for t in range(1, curves.R + 1)]))

    assert sd(1.0) > 0.08 > 0.02 > sd(1e-4)


def test_mixed_shape_speed_is_set_by_dropout_not_the_learning_rate() -> None:
    low, high = (1e-2, 1e-4, 128.0, 0.0), (1e-2, 1e-4, 128.0, 0.8)
    gap = [curves.error("mixed-shape", x, 3, 0) - curves.final_error(x, 0) for x in (low, high)]
    assert gap[0] < 0.05 < 0.3 < gap[1]  # high dropout is still far from its asymptote
