"""The doctor's cheaper sampling measures what a plain reference computation measures.

The sampled statistics are computed with batched kernels, read with one host copy a step,
and the activation hooks are attached only while a sampled step is due (issue 15, overhead);
these tests recompute every statistic the slow, obvious way on the same steps and compare.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from tunecraft.torch import Doctor  # noqa: E402


def _model(act: type, dtype: Any = torch.float32) -> Any:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 12), act(), nn.Linear(12, 12), act(),
                         nn.Linear(12, 3)).to(dtype)


def _train(model: Any, *, steps_per_epoch: int = 7, epochs: int = 3, every: int = 3,
           dtype: Any = torch.float32) -> tuple[Doctor, dict[int, dict[str, Any]]]:
    """Train with a doctor (no time budget) and record, on every step, what a reference
    needs: activations, per-layer gradients, weights before and after the step."""
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-3)
    doctor = Doctor(model, optimizer=opt, every=every, budget=None)
    layers = [m for m in model if isinstance(m, nn.Linear)]
    acts = [(str(i), m) for i, m in enumerate(model) if not isinstance(m, nn.Linear)]
    seen: dict[int, dict[str, Any]] = {}
    outputs: dict[str, Any] = {}
    probes = [m.register_forward_hook(
        lambda _m, _a, out, name=name: outputs.__setitem__(name, out.detach().clone()))
        for name, m in acts]
    gen = torch.Generator().manual_seed(1)
    step = 0
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            x = (torch.randn(16, 6, generator=gen) * 2).to(dtype)
            y = torch.randint(0, 3, (16,), generator=gen)
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            doctor.after_backward(loss)
            before = [m.weight.detach().clone() for m in layers]
            grads = [m.weight.grad.detach().clone() for m in layers]
            opt.step()
            doctor.after_step()
            after = [m.weight.detach().clone() for m in layers]
            seen[step] = {"acts": dict(outputs), "grads": grads, "before": before,
                          "after": after}
            step += 1
        doctor.end_epoch(val_loss=1.0, val_metric=0.5)
    for probe in probes:
        probe.remove()
    return doctor, seen


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("act", [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sampled_statistics_equal_a_reference_computation(act: type, dtype: Any) -> None:
    doctor, seen = _train(_model(act, dtype), dtype=dtype)
    obs = doctor.observations()
    doctor.close()
    steps = [s.step for s in obs.samples]
    assert steps[:3] == [0, 1, 2] and len(steps) >= 7  # first steps, every 3, each epoch
    for sample in obs.samples:
        ref = seen[sample.step]
        g = [float(t.double().norm()) for t in ref["grads"]]
        w = [float(t.double().norm()) for t in ref["before"]]
        d = [(a.double() - b.double()) for a, b in zip(ref["after"], ref["before"],
                                                        strict=True)]
        dn = [float(t.norm()) for t in d]
        cos = [float((t * b.double()).sum()) / (n * wn) if n * wn > 0 else 0.0
               for t, b, n, wn in zip(d, ref["before"], dn, w, strict=True)]
        assert all(_close(a, b) for a, b in zip(sample.grad_norms, g, strict=True))
        assert all(_close(a, gi / wi) for a, gi, wi in zip(sample.grad_rel, g, w,
                                                           strict=True))
        assert sample.update_rel is not None and sample.update_cos is not None
        assert all(_close(a, n / wi) for a, n, wi in zip(sample.update_rel, dn, w,
                                                         strict=True))
        assert all(math.isclose(a, b, abs_tol=1e-5) for a, b in zip(
            sample.update_cos, cos, strict=True))
    assert {a.step for a in obs.activations} == set(steps)  # the same steps, every module
    assert len(obs.activations) == 2 * len(steps)
    for a in obs.activations:
        y = seen[a.step]["acts"][a.name].double().reshape(16, -1)
        assert _close(a.rms, float(y.square().mean().sqrt()))
        kind = a.kind
        dead = float((y.amax(0) <= 0).double().mean()) if kind == "relu" else None
        sat = slope = None
        if kind == "tanh":
            sat, slope = float((y.abs() > 0.95).double().mean()), float((1 - y * y).mean())
        elif kind == "sigmoid":
            sat = float(((y - 0.5).abs() > 0.474).double().mean())
            slope = float((4 * y * (1 - y)).mean())
        assert _close(a.dead, dead) and _close(a.saturated, sat)
        assert (a.slope is None) is (slope is None)
        assert a.slope is None or math.isclose(a.slope, slope or 0.0, abs_tol=1e-5)


def test_hooks_are_attached_only_while_a_sampled_step_is_due() -> None:
    model = _model(nn.ReLU)
    acts = [m for m in model if isinstance(m, nn.ReLU)]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    doctor = Doctor(model, optimizer=opt, every=4, budget=None)
    hooked = []
    for _ in range(9):
        hooked.append(all(len(m._forward_hooks) == 1 for m in acts))
        assert all(len(m._forward_hooks) in (0, 1) for m in acts)
        loss = model(torch.randn(8, 6)).square().mean()
        opt.zero_grad()
        loss.backward()
        doctor.after_backward(loss)
        opt.step()
        doctor.after_step()
    # steps 0-2 always, then every 4th: hooks exactly on the sampled steps
    assert hooked == [True, True, True, False, True, False, False, False, True]
    assert sorted({a.step for a in doctor.observations().activations}) == [0, 1, 2, 4, 8]
    doctor.end_epoch(train_loss=1.0)  # 9 - 8 < every: no extra sample, hooks stay off
    assert all(not m._forward_hooks for m in acts)
    doctor.close()
    assert all(not m._forward_hooks for m in acts)


def test_a_shared_module_is_measured_once_a_step_and_a_mid_step_diagnosis_sees_it() -> None:
    torch.manual_seed(0)
    act = nn.Tanh()
    lin = nn.Linear(5, 5)
    model = nn.Sequential(lin, act, lin, act)  # the same modules called twice
    doctor = Doctor(model, budget=None)
    model(torch.randn(8, 5)).sum().backward()
    obs = doctor.observations()  # before after_backward: the pending statistics are read
    assert [(a.step, a.name) for a in obs.activations] == [(0, "1")]
    doctor.after_backward(torch.tensor(1.0))
    doctor.after_step()
    assert len(doctor.observations().activations) == 1
    doctor.close()
