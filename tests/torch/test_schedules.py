"""Learning-rate schedules: known values, properties, torch parity and exact resume."""

from __future__ import annotations

import copy
import io
import math
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tunecraft import create_study
from tunecraft.samplers import RandomSampler
from tunecraft.torch.plateau import PlateauState, ReduceOnPlateau
from tunecraft.torch.schedule_search import SCHEDULE_NAMES
from tunecraft.torch.schedules import (
    Constant,
    Cosine,
    Schedule,
    Warmup,
    constant,
    cosine,
    cosine_restarts,
    cycled_momentum,
    exponential,
    linear_decay,
    multi_step,
    one_cycle,
    polynomial,
    schedule_from_config,
    step_decay,
    suggest_schedule,
    to_torch,
    warmup,
)


# --------------------------------------------------------------------------- known values
def test_cosine_known_values() -> None:
    s = cosine(100)
    assert s(0) == 1.0
    assert s(50) == pytest.approx(0.5)
    assert s(100) == pytest.approx(0.0, abs=1e-15)
    assert s(1000) == pytest.approx(0.0, abs=1e-15)
    f = cosine(100, final=0.1)
    assert f(50) == pytest.approx(0.55)
    assert f(100) == pytest.approx(0.1)


def test_step_and_multistep_boundaries() -> None:
    s = step_decay(10, gamma=0.5)
    assert [s(t) for t in (0, 9, 10, 19, 20)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    m = multi_step([3, 7], gamma=0.1)
    assert [m(t) for t in (0, 2, 3, 6)] == [1.0, 1.0, pytest.approx(0.1), pytest.approx(0.1)]
    assert m(7) == pytest.approx(0.01)


def test_exponential_linear_polynomial_values() -> None:
    assert exponential(0.9)(3) == pytest.approx(0.729)
    lin = linear_decay(10, final=0.2)
    assert [lin(0), lin(5), lin(10), lin(11)] == pytest.approx([1.0, 0.6, 0.2, 0.2])
    poly = polynomial(10, power=2.0)
    assert [poly(0), poly(5), poly(10)] == pytest.approx([1.0, 0.25, 0.0])


def test_one_cycle_start_peak_end_and_momentum() -> None:
    # fastai defaults: div 25, div_final 1e5, pct_start .25. The phases end one step earlier
    # than before issue #14 (peak at 24, end at 99 of 100 steps), as torch's OneCycleLR does
    # (tests/torch/test_one_cycle_torch.py checks it step for step).
    s = one_cycle(100)
    assert s(0) == pytest.approx(1 / 25)
    assert s(24) == pytest.approx(1.0)
    assert s(99) == pytest.approx(1e-5)
    assert s(500) == pytest.approx(1e-5)
    assert max(range(101), key=s) == 24
    up = [s(t) for t in range(25)]
    down = [s(t) for t in range(24, 101)]
    assert up == sorted(up) and down == sorted(down, reverse=True)
    mom = s.momentum()
    assert [mom(0), mom(24), mom(99)] == pytest.approx([0.95, 0.85, 0.95])
    assert cycled_momentum(s) == mom and cycled_momentum(cosine(10)) is None
    warm = cycled_momentum(warmup(10, s))
    assert warm is not None
    assert [warm(t) for t in (0, 9, 10, 34, 109)] == pytest.approx([0.95, 0.95, 0.95, 0.85, 0.95])


def test_warmup_is_a_linear_ramp_into_the_shifted_schedule() -> None:
    s = warmup(4)
    assert [s(t) for t in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    inner = cosine(20, final=0.1)
    w = warmup(5, inner)
    ramp = [w(t) for t in range(6)]
    diffs = [b - a for a, b in zip(ramp, ramp[1:], strict=False)]
    assert diffs == pytest.approx([diffs[0]] * 5)
    assert all(w(5 + k) == inner(k) for k in range(25))
    assert warmup(3, cosine(10), start=0.0)(0) == 0.0
    assert warmup(0, inner)(7) == inner(7)


def test_cosine_restarts_cycles() -> None:
    s = cosine_restarts(10, period_mult=2)
    assert s(0) == 1.0 and s(10) == 1.0 and s(30) == 1.0 and s(70) == 1.0
    assert s(9) < 0.05 and s(29) < 0.01
    periodic = cosine_restarts(5)
    assert [periodic(t) for t in range(5)] == [periodic(t + 5) for t in range(5)]
    decayed = cosine_restarts(5, decay=0.5)
    assert decayed(5) == pytest.approx(0.5) and decayed(10) == pytest.approx(0.25)


@pytest.mark.parametrize(("ours", "make_torch"), [
    (step_decay(7, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)),
    (multi_step([5, 12], 0.3),
     lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [5, 12], 0.3)),
    (exponential(0.93), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.93)),
    (cosine(30), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 30)),
    (polynomial(30, power=2.0),
     lambda o: torch.optim.lr_scheduler.PolynomialLR(o, 30, power=2.0)),
    (cosine_restarts(6, period_mult=2),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 6, 2)),
])
def test_matches_torch_builtin_schedulers(ours: Schedule, make_torch: object) -> None:
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.zeros(1))
    opt_a, opt_b = torch.optim.SGD([p], lr=0.1), torch.optim.SGD([p], lr=0.1)
    sched_a, sched_b = to_torch(opt_a, ours), make_torch(opt_b)  # type: ignore[operator]
    for _ in range(30):  # torch's cosine rises again after T_max; ours holds the end value
        assert opt_a.param_groups[0]["lr"] == pytest.approx(opt_b.param_groups[0]["lr"],
                                                            rel=1e-9, abs=1e-12)
        opt_a.step(), opt_b.step()
        sched_a.step(), sched_b.step()


@pytest.mark.parametrize(("factory", "match"), [
    (lambda: cosine(0), "total_steps"),
    (lambda: step_decay(0), "step_size"),
    (lambda: step_decay(3, gamma=1.5), "gamma"),
    (lambda: multi_step([5, 3]), "increasing"),
    (lambda: multi_step([]), "milestones"),
    (lambda: exponential(0.0), "gamma"),
    (lambda: one_cycle(10, pct_start=1.0), "pct_start"),
    (lambda: one_cycle(10, div=0.5), "div"),
    (lambda: one_cycle(10, moms=(0.9, 1.2, 0.9)), "moms"),
    (lambda: warmup(-1), "steps"),
    (lambda: cosine(10, final=2.0), "final"),
    (lambda: polynomial(10, power=-1.0), "power"),
    (lambda: cosine_restarts(5, decay=0.0), "decay"),
    (lambda: Constant(0.0), "value"),
])
def test_bad_arguments_name_the_argument(factory: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()  # type: ignore[operator]


def test_bad_steps() -> None:
    with pytest.raises(ValueError, match="step=-1"):
        cosine(10)(-1)
    with pytest.raises(TypeError, match="int"):
        cosine(10)(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="then"):
        Warmup(3, then=0.5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties
totals = st.integers(1, 500)
fractions = st.floats(0.0, 0.5)


@st.composite
def decaying(draw: st.DrawFn) -> tuple[Schedule, int]:
    """A non-increasing schedule and its length."""
    total = draw(totals)
    kind = draw(st.sampled_from(["cosine", "linear", "poly", "step", "multi", "exp"]))
    final = draw(fractions)
    if kind == "cosine":
        return cosine(total, final=final), total
    if kind == "linear":
        return linear_decay(total, final=final), total
    if kind == "poly":
        return polynomial(total, power=draw(st.floats(0.1, 5.0)), final=final), total
    if kind == "step":
        return step_decay(draw(st.integers(1, 50)), draw(st.floats(0.01, 0.99))), total
    if kind == "multi":
        ms = sorted(draw(st.sets(st.integers(1, 400), min_size=1, max_size=4)))
        return multi_step(ms, draw(st.floats(0.01, 0.99))), total
    return exponential(draw(st.floats(0.9, 0.9999))), total


@given(decaying(), st.integers(0, 5))
def test_decaying_schedules_are_bounded_and_non_increasing(
    case: tuple[Schedule, int], warm: int
) -> None:
    s, total = case
    values = [s(t) for t in range(total + 5)]
    assert all(0.0 <= v <= 1.0 and math.isfinite(v) for v in values)
    assert all(b <= a + 1e-12 for a, b in zip(values, values[1:], strict=False))
    w = warmup(warm, s)
    ramp = [w(t) for t in range(warm + 1)]
    assert all(0.0 < v for v in ramp)
    assert all(b >= a - 1e-12 for a, b in zip(ramp, ramp[1:], strict=False))


@given(totals, st.floats(0.05, 0.95), st.floats(2.0, 100.0), st.floats(2.0, 1e6))
def test_one_cycle_properties(total: int, pct: float, div: float, div_final: float) -> None:
    s = one_cycle(total, pct_start=pct, div=div, div_final=div_final)
    values = [s(t) for t in range(total + 3)]
    assert all(0.0 < v <= 1.0 for v in values)
    peak = max(range(total + 1), key=s)
    assert abs(peak - max(pct * total - 1, 0)) <= 1.0  # OneCycleLR's end of phase 1
    assert all(b >= a - 1e-12 for a, b in zip(values[:peak], values[1:peak + 1], strict=False))
    assert all(b <= a + 1e-12 for a, b in zip(values[peak:], values[peak + 1:], strict=False))
    if pct * total > 1:
        assert s(0) == pytest.approx(1 / div)
    assert s(total - 1) == pytest.approx(1 / div_final)


@given(st.integers(1, 60), st.sampled_from([1, 2, 3]), fractions, st.floats(0.1, 1.0),
       st.integers(0, 2000))
def test_restarts_are_bounded_and_peak_at_each_cycle_start(
    first: int, mult: int, final: float, decay: float, t: int
) -> None:
    s = cosine_restarts(first, period_mult=mult, final=final, decay=decay)
    assert 0.0 <= s(t) <= 1.0
    start, period = 0, first
    for cycle in range(4):
        assert s(start) == pytest.approx(decay**cycle)
        assert s(start + period - 1) <= s(start) + 1e-12
        start, period = start + period, period * mult


# --------------------------------------------------------------------------- resume
def _train(schedule: Schedule, momentum: Schedule | None, steps: int,
           checkpoint: bytes | None = None) -> tuple[list[tuple[float, ...]], bytes]:
    """Runs ``steps`` SGD steps (after ``checkpoint``); returns lrs/momentum and a checkpoint."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    from tunecraft.torch.optimizers import make_optimizer

    opt = make_optimizer(model, "sgd", 0.05, weight_decay=1e-3, momentum=0.9)
    sched = to_torch(opt, schedule, momentum=momentum)
    if checkpoint is not None:
        state = torch.load(io.BytesIO(checkpoint), weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
    x = torch.linspace(-1, 1, 24).reshape(8, 3)
    y = x.sum(dim=1, keepdim=True) ** 2
    seen = []
    for _ in range(steps):
        seen.append(tuple(g[k] for g in opt.param_groups for k in ("lr", "momentum")))
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict(), "params": [p.detach().clone()
                                                        for p in model.parameters()]}, buf)
    return seen, buf.getvalue()


@settings(max_examples=25)
@given(st.sampled_from(SCHEDULE_NAMES), st.integers(5, 30), st.data())
def test_resume_equals_uninterrupted(name: str, total: int, data: st.DataObject) -> None:
    schedule = schedule_from_config(name, total, warmup_steps=data.draw(st.integers(0, 3)))
    momentum = cycled_momentum(schedule)
    assert (momentum is None) == (name != "one_cycle")
    cut = data.draw(st.integers(0, total))
    full, full_ckpt = _train(schedule, momentum, total)
    first, ckpt = _train(schedule, momentum, cut)
    rest, rest_ckpt = _train(schedule, momentum, total - cut, checkpoint=ckpt)
    assert first + rest == full
    a = torch.load(io.BytesIO(full_ckpt), weights_only=False)
    b = torch.load(io.BytesIO(rest_ckpt), weights_only=False)
    assert all(torch.equal(p, q) for p, q in zip(a["params"], b["params"], strict=True))
    assert a["sched"]["last_epoch"] == b["sched"]["last_epoch"] == total


def test_scheduler_sets_lr_and_momentum_for_adam() -> None:
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.AdamW([p], lr=1e-2)
    s = one_cycle(10)
    sched = to_torch(opt, s, momentum=s.momentum())
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2 / 25)
    assert opt.param_groups[0]["betas"] == (pytest.approx(0.95), 0.999)
    state = sched.state_dict()
    assert "schedule" not in state and "momentum_schedule" not in state
    with pytest.raises(ValueError, match="momentum"):
        to_torch(torch.optim.Adagrad([p], lr=0.1), s, momentum=s.momentum())


def test_scheduler_rejects_bad_schedule_values() -> None:
    p = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        to_torch(torch.optim.SGD([p], lr=0.1), lambda t: float("nan"))


# --------------------------------------------------------------------------- plateau
@pytest.mark.parametrize(("mode", "threshold_mode", "patience", "cooldown"), [
    ("min", "rel", 2, 0), ("min", "abs", 1, 2), ("max", "rel", 3, 1), ("max", "abs", 0, 0),
])
def test_plateau_matches_torch(mode: str, threshold_mode: str, patience: int,
                               cooldown: int) -> None:
    gen = torch.Generator().manual_seed(3)
    metrics = (torch.rand(60, generator=gen) + torch.linspace(2.0, 1.0, 60)).tolist()
    rule = ReduceOnPlateau(factor=0.5, patience=patience, mode=mode,  # type: ignore[arg-type]
                           threshold=0.01, threshold_mode=threshold_mode,  # type: ignore[arg-type]
                           cooldown=cooldown)
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode=mode, factor=0.5, patience=patience,  # type: ignore[arg-type]
        threshold=0.01, threshold_mode=threshold_mode, cooldown=cooldown,  # type: ignore[arg-type]
        eps=0.0)
    state = rule.init()
    for m in metrics:
        state = rule.step(state, m)
        ref.step(m)
        assert state.factor == pytest.approx(opt.param_groups[0]["lr"])
    assert state.num_reductions > 0


def test_plateau_is_pure_and_torch_adapter_resumes() -> None:
    rule = ReduceOnPlateau(factor=0.1, patience=1)
    s0 = rule.init()
    s1 = rule.step(s0, 1.0)
    assert s0 == rule.init() and s1.best == 1.0
    assert rule.step(rule.step(s1, 2.0), 2.0).factor == pytest.approx(0.1)
    assert rule.step(s1, float("nan")).bad_epochs == 1
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5)
    adapter = rule.to_torch(opt)
    for m in (1.0, 2.0, 2.0):
        adapter.step(m)
    assert adapter.get_last_lr() == [pytest.approx(0.05)]
    saved = copy.deepcopy(adapter.state_dict())
    opt2 = torch.optim.SGD([p], lr=0.5)
    again = rule.to_torch(opt2)
    again.load_state_dict(saved)
    assert again.state == adapter.state and opt2.param_groups[0]["lr"] == pytest.approx(0.05)
    assert isinstance(again.state, PlateauState)
    with pytest.raises(ValueError, match="factor"):
        ReduceOnPlateau(factor=1.0)


# --------------------------------------------------------------------------- config, search
def test_schedule_from_config_builds_every_name() -> None:
    for name in SCHEDULE_NAMES:
        s = schedule_from_config(name, 100)
        assert 0.0 < s(0) <= 1.0
    assert schedule_from_config("cosine", 100, warmup_steps=10) == Warmup(10, Cosine(90))
    assert schedule_from_config("constant", 5) == constant()
    assert schedule_from_config("exponential", 100, final=0.01)(100) == pytest.approx(0.01)
    assert schedule_from_config("step", 90, num_drops=2)(30) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule_from_config("cosnie", 10)
    with pytest.raises(TypeError, match="does not take"):
        schedule_from_config("cosine", 10, gamma=0.5)
    with pytest.raises(ValueError, match="warmup_steps"):
        schedule_from_config("cosine", 10, warmup_steps=10)


def test_suggest_schedule_asks_only_the_chosen_schedules_parameters() -> None:
    study = create_study(sampler=RandomSampler(seed=0))
    seen = set()
    for _ in range(60):
        trial = study.ask()
        s = suggest_schedule(trial, 200, choices=SCHEDULE_NAMES)
        name = trial.params["schedule"]
        seen.add(name)
        keys = set(trial.params) - {"schedule", "schedule_warmup_pct"}
        assert all(k.startswith(f"schedule_{name.split('_')[0]}") or
                   (name == "cosine_restarts" and k.startswith("schedule_restarts"))
                   for k in keys), (name, keys)
        assert ("schedule_warmup_pct" in trial.params) == (name != "one_cycle")
        assert all(0.0 <= s(t) <= 1.0 for t in (0, 50, 199, 200))
        study.tell(trial, 0.0)
    assert seen == set(SCHEDULE_NAMES)
    with pytest.raises(ValueError, match="choices"):
        suggest_schedule(study.ask(), 10, choices=["nope"])


def test_pure_modules_do_not_import_torch() -> None:
    code = ("import sys, tunecraft.torch, tunecraft.torch.schedules, tunecraft.torch.plateau, "
            "tunecraft.torch.schedule_search as s; s.schedule_from_config('one_cycle', 10)(3); "
            "import tunecraft.torch.init, tunecraft.torch.regularization, "
            "tunecraft.torch.optimizers, tunecraft.torch.diagnostics, "
            "tunecraft.torch.search_space as sp; sp.training_space(); "
            "tunecraft.torch.warmup; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
