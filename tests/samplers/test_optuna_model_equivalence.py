"""Our TPE and CMA-ES model what Optuna's model, where the docs say they follow Optuna (#18).

The broad suite (benchmarks/results/issue-18.md section 9) found our TPE and CMA-ES level with
Optuna's; the explanation given there is that, on the measured spaces, the two libraries fit
the same model and start CMA-ES from the same distribution, and differ only in their random
streams and in TPE's start-up design (Latin hypercube vs i.i.d.). These tests hold that
explanation to account: a change to the bandwidth rule, the prior, the magic clip, the
discrete-cell masses, or to CMA-ES's initial mean, step size or population makes them fail.
They read Optuna's private modules (``optuna.samplers._tpe``, ``CmaEsSampler._init_optimizer``),
so an Optuna release that moves those fails here first, by design: it is a peer to re-read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunecraft.samplers import _cma_state
from tunecraft.samplers.cmaes import STATE_KEY, CmaEsSampler
from tunecraft.samplers.tpe._encoding import Columns, encode_column
from tunecraft.samplers.tpe._split import default_weights
from tunecraft.samplers.tpe.parzen import ParzenEstimator
from tunecraft.space import Categorical, Dim, Float, Int

optuna = pytest.importorskip("optuna")
from optuna.distributions import (  # noqa: E402
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers._tpe.parzen_estimator import (  # noqa: E402
    _ParzenEstimator,
    _ParzenEstimatorParameters,
)

# every column type TPE encodes, as (ours, Optuna's)
_COLUMNS: dict[str, tuple[Dim, Any]] = {
    "float": (Float(-5.0, 5.0), FloatDistribution(-5.0, 5.0)),
    "log_float": (Float(1e-4, 1.0, log=True), FloatDistribution(1e-4, 1.0, log=True)),
    "int": (Int(1, 25), IntDistribution(1, 25)),
    "log_int": (Int(4, 64, log=True), IntDistribution(4, 64, log=True)),
    "step_float": (Float(0.0, 1.0, step=0.1), FloatDistribution(0.0, 1.0, step=0.1)),
    "step_int": (Int(3, 11, step=2), IntDistribution(3, 11, step=2)),
    "categorical": (Categorical(("a", "b", "c")), CategoricalDistribution(("a", "b", "c"))),
}


def _log_densities(dim: Dim, dist: Any, obs: list[Any], queries: list[Any]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """log l(x) at ``queries`` by our estimator and by Optuna's, fitted on ``obs``."""
    cols = Columns({"p": dim})
    rows, qrows = [{"p": v} for v in obs], [{"p": v} for v in queries]
    n, m = len(obs), len(queries)
    if isinstance(dim, Categorical):
        unit, cats = np.empty((n, 0)), encode_column(dim, "p", rows)[1][:, None]
        qunit, qcats = np.empty((m, 0)), encode_column(dim, "p", qrows)[1][:, None]
        values = np.empty((m, 0))
    else:
        unit, cats = encode_column(dim, "p", rows)[1][:, None], np.empty((n, 0), np.int64)
        qunit, qcats = encode_column(dim, "p", qrows)[1][:, None], np.empty((m, 0), np.int64)
        values = np.array([[float(v)] for v in queries])
    ours = ParzenEstimator(unit, cats, cols.n_choices, cols.discrete, default_weights(n))
    left, right = cols.cells(values)
    mine = ours.log_pdf(qunit, qcats, left, right)
    params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True,
                                        consider_endpoints=False, weights=default_weights,
                                        multivariate=True)
    theirs_pe = _ParzenEstimator({"p": np.array([dist.to_internal_repr(v) for v in obs])},
                                 {"p": dist}, params)
    theirs = theirs_pe.log_pdf({"p": np.array([dist.to_internal_repr(v) for v in queries])})
    return mine, theirs


@pytest.mark.parametrize("column", sorted(_COLUMNS))
def test_parzen_estimator_equals_optunas_on_every_column_type(column: str) -> None:
    """Same observations, same densities, up to a constant: our continuous columns are
    densities on the unit cube, Optuna's on the parameter's (log) axis. Fewer than 25
    observations, so every weight is 1 (with unequal weights, equal observations may swap
    bandwidths: Optuna's sort is not stable, ours is)."""
    dim, dist = _COLUMNS[column]
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(1, 25))
        obs = [dim.from_unit(rng.random()) for _ in range(n)]
        queries = [dim.from_unit(rng.random()) for _ in range(40)]
        mine, theirs = _log_densities(dim, dist, obs, queries)
        offset = mine - theirs
        assert np.ptp(offset) < 1e-9, (column, obs)


def test_parzen_estimator_equals_optunas_on_a_joint_10d_space() -> None:
    """The multivariate (product) kernel on a 10-D float space: the BBOB 10-D design."""
    rng = np.random.default_rng(1)
    space: dict[str, BaseDistribution] = {f"x{i}": FloatDistribution(-5.0, 5.0)
                                          for i in range(10)}
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    for n in (1, 2, 5, 24, 40):
        x = rng.random((n, 10))
        q = rng.random((64, 10))
        ours = ParzenEstimator(x, np.empty((n, 0), np.int64), [], np.zeros(10, bool),
                               default_weights(n))
        theirs = _ParzenEstimator({k: -5.0 + 10.0 * x[:, i] for i, k in enumerate(space)},
                                  space, params)
        mine = ours.log_pdf(q, np.empty((64, 0), np.int64))
        ref = theirs.log_pdf({k: -5.0 + 10.0 * q[:, i] for i, k in enumerate(space)})
        np.testing.assert_allclose(mine, ref + 10 * np.log(10.0), rtol=0, atol=1e-9)


@pytest.mark.parametrize("dim", [2, 5, 10])
def test_cmaes_starts_from_optunas_initial_distribution(dim: int) -> None:
    """On a float space both start at the centre of the unit cube with sigma 1/6 and the
    default population ``4 + floor(3 ln n)``, after one independent trial."""
    from optuna._transform import _SearchSpaceTransform
    from optuna.study import StudyDirection

    import tunecraft

    ours = tunecraft.create_study(sampler=CmaEsSampler(seed=0))
    ours.optimize(lambda t: sum(t.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(dim)),
                  n_trials=2)
    held = [t for t in ours.trials if STATE_KEY in t.system_attrs]
    assert [t.number for t in held] == [1]  # trial 0 independent, CMA-ES from trial 1
    opt = _cma_state.load(_as_lists(held[0].system_attrs[STATE_KEY])["state"])
    space: dict[str, BaseDistribution] = {f"x{i}": FloatDistribution(-5.0, 5.0)
                                          for i in range(dim)}
    trans = _SearchSpaceTransform(space, transform_step=True, transform_0_1=True)
    ref = optuna.samplers.CmaEsSampler(seed=0)._init_optimizer(trans, StudyDirection.MINIMIZE)
    assert type(opt).__name__ == type(ref).__name__ == "CMA"
    assert opt.population_size == ref.population_size
    np.testing.assert_allclose(opt._mean, ref._mean)
    assert opt._sigma == pytest.approx(ref._sigma)
    np.testing.assert_allclose(opt._C, ref._C)
    np.testing.assert_allclose(opt._bounds, ref._bounds)


def test_cmaes_makes_optunas_trials_from_the_same_normal_draws(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole run, not only the start: every ``cmaes.CMA`` draws its N(0, I) vectors from
    one stream keyed by (generation, draw number), so both samplers see the same randomness;
    the first trial (independent, never told to CMA-ES) is enqueued in both. Then the two
    studies evaluate the same 40 points (4 generations of 8 at 4-D), up to rounding: what
    remains between the two libraries on a float space is their random streams."""
    import cmaes  # type: ignore[import-untyped]

    import tunecraft

    draws: dict[int, int] = {}

    def sample_solution(self: Any) -> np.ndarray:
        b, d = self._eigen_decomposition()
        k = draws.get(self.generation, 0)
        draws[self.generation] = k + 1
        z = np.random.default_rng([self.generation, k]).standard_normal(self._n_dim)
        out: np.ndarray = self._mean + self._sigma * (b * d) @ z
        return out

    monkeypatch.setattr(cmaes.CMA, "_sample_solution", sample_solution)
    scale = np.array([1.0, 10.0, 100.0, 1000.0])

    def objective(trial: Any) -> float:
        x = np.array([trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(4)])
        return float(np.sum(scale * (x - 1.3) ** 2))

    ours = tunecraft.create_study(sampler=CmaEsSampler(seed=0))
    ours.enqueue_trial({f"x{i}": 0.5 for i in range(4)})
    ours.optimize(objective, n_trials=41)
    draws.clear()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ref = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0))
    ref.enqueue_trial({f"x{i}": 0.5 for i in range(4)})
    ref.optimize(objective, n_trials=41)
    mine = np.array([t.value for t in ours.trials])
    theirs = np.array([t.value for t in ref.trials])
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    assert mine[33:].min() < mine[1:9].min()  # it converges: the test compares a real run


def _as_lists(value: Any) -> Any:
    """A stored blob with tuples (the study's frozen form) back as plain lists and dicts."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value
