"""``one_cycle`` against ``torch.optim.lr_scheduler.OneCycleLR``: the same learning rate and
momentum at every step, over a grid of lengths, phase splits and division factors."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from tunecraft.torch.schedules import OneCycle, one_cycle, to_torch  # noqa: E402

GRID = list(itertools.product(
    (1, 2, 3, 7, 10, 37, 100),  # total steps
    (0.1, 0.25, 0.3, 0.5, 0.9),  # pct_start
    (10.0, 25.0),  # div_factor
    (1e2, 1e4),  # final_div_factor
))


def _run(make: str, total: int, pct: float, div: float, final: float,
         optimizer: str) -> list[tuple[float, float]]:
    p = torch.nn.Parameter(torch.zeros(3))
    opt = (torch.optim.SGD([p], lr=0.5, momentum=0.9) if optimizer == "sgd"
           else torch.optim.AdamW([p], lr=0.5))
    if make == "torch":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=0.5, total_steps=total, pct_start=pct, div_factor=div,
            final_div_factor=final, anneal_strategy="cos", base_momentum=0.85,
            max_momentum=0.95)
    else:
        s = OneCycle.from_torch(total, pct_start=pct, div_factor=div, final_div_factor=final)
        sched = to_torch(opt, s, momentum=s.momentum())
    seen = []
    for step in range(total):
        group = opt.param_groups[0]
        seen.append((group["lr"], group["momentum"] if optimizer == "sgd"
                     else group["betas"][0]))
        opt.step()
        if step < total - 1:  # OneCycleLR refuses to step past total_steps
            sched.step()
    return seen


@pytest.mark.parametrize(("total", "pct", "div", "final"), GRID)
def test_lr_and_momentum_match_one_cycle_lr_at_every_step(
        total: int, pct: float, div: float, final: float) -> None:
    if pct * total == 1.0:
        pytest.skip("OneCycleLR divides by zero when its first phase ends at step 0")
    for optimizer in ("sgd", "adamw"):
        theirs = _run("torch", total, pct, div, final, optimizer)
        ours = _run("tunecraft", total, pct, div, final, optimizer)
        flat = [v for pair in ours for v in pair]
        assert flat == pytest.approx([v for pair in theirs for v in pair], rel=1e-9, abs=1e-15)


def test_from_torch_is_one_cycle_with_the_converted_divisions() -> None:
    assert OneCycle.from_torch(50) == one_cycle(50, div=25.0, div_final=25.0 * 1e4,
                                                pct_start=0.3, moms=(0.95, 0.85, 0.95))
