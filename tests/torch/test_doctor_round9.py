"""The doctor's ninth round (after the blind zoo, seen): gradients that explode through time
inside one recurrent module, a schedule collapse told from the recorded learning rate (and
steps that shrink at a constant rate told apart from it), and cures sized for what the sick
run could not show (early stopping after a run that learned nothing, a patience that covers
the epochs the model needs, decay well below what outweighs the gradient)."""

from __future__ import annotations

import pytest

from tunecraft.torch import TrainConfig
from tunecraft.torch.doctor import Doctor, Observations, diagnose
from tunecraft.torch.doctor.diagnosis import Problem
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample
from tunecraft.torch.doctor.remedies import REMEDIES


def _flat_run(samples: tuple[StepSample, ...], acts: tuple[ActivationSample, ...] = (),
              loss: float = 1.39, l0: float = 1.39, recurrent: bool = False) -> Observations:
    """300 steps whose loss stays at ``loss`` (from ``l0``), 20 flat epochs."""
    steps = (l0,) + (loss,) * 299
    recs = tuple(EpochRecord(loss, loss, 0.26) for _ in range(20))
    return Observations(steps, samples, acts, recs, ("rnn", "head"),
                        activation_kinds=("relu",), recurrent=recurrent)


def test_gradients_that_explode_through_time_are_read_from_the_untrained_gradient() -> None:
    # a ReLU RNN with recurrent weights scaled 12x: one activation module (the head), so no
    # forward growth across depth to read; before any update the recurrent layer's gradient
    # is 190 x its weights (healthy runs of five zoos: at most 0.9)
    samples = tuple(StepSample(s, (1.0, 1.0), (190.0 if s == 0 else 0.5, 0.5), (0.015, 0.015),
                               (0.0, 0.0)) for s in range(0, 300, 10))
    acts = tuple(ActivationSample(s, "head", "relu", 0.3, None) for s in range(0, 300, 10))
    dx = diagnose(_flat_run(samples, acts, loss=0.73, l0=26.0, recurrent=True))
    assert dx.worst is not None and dx.worst.code == "exploding_gradients"
    assert "190" in dx.worst.evidence
    config = TrainConfig(lr=2e-3, optimizer="adamw")
    fixed = dx.fix(config)
    # clipping bounds the steps (config inits re-draw Linear/Conv layers, not recurrent
    # ones); the first step was healthy-sized, so the rate stays; no early stopping
    assert fixed.grad_clip == 1.0 and fixed.init == config.init
    assert fixed.lr == config.lr and fixed.patience is None
    # the same run with untrained gradients 2 x the weights is no exploding init
    calm = tuple(StepSample(s, (1.0, 1.0), (2.0, 0.5), (0.015, 0.015), (0.0, 0.0))
                 for s in range(0, 300, 10))
    assert "exploding_gradients" not in diagnose(_flat_run(calm, acts, 0.73, 26.0,
                                                           recurrent=True)).codes
    # a feed-forward net with the same ratio: small weights (LSUV on unstandardised inputs
    # shrinks the first layer), not a signal amplified through time
    assert "exploding_gradients" not in diagnose(_flat_run(samples, acts, 0.73, 26.0)).codes
    from torch import nn

    rnn = nn.Sequential(nn.RNN(3, 4, batch_first=True))
    assert Doctor(rnn).observations().recurrent
    assert not Doctor(nn.Sequential(nn.Linear(3, 4), nn.ReLU())).observations().recurrent


def _scheduled(update: float, lrs: list[float]) -> tuple[StepSample, ...]:
    return tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (update if s < 3 else 1e-9,) * 2,
                            (0.0, 0.0), lr) for s, lr in zip(range(0, 300, 10), lrs,
                                                              strict=True))


def test_a_schedule_that_cut_the_rate_a_million_times_is_a_plateau_not_a_low_rate() -> None:
    # multistep milestones in steps with gamma 1e-3: the rate went 5e-4 -> 5e-7 -> 5e-10
    # after the first steps, so every later step is ~1e-9 of the weights; the steps say
    # "rate too low", the recorded rate says the schedule collapsed it
    lrs = [5e-4, 5e-4] + [5e-10] * 28
    dx = diagnose(_flat_run(_scheduled(1e-2, lrs), loss=1.06, l0=1.15))
    assert dx.worst is not None and dx.worst.code == "plateau"
    assert "lr_too_low" not in dx.codes
    assert dx.fix(TrainConfig(lr=5e-4, optimizer="adamw", schedule="multistep",
                              schedule_params={"milestones": [12], "gamma": 1e-3})
                  ).schedule == "cosine"


def test_steps_that_shrink_at_a_constant_rate_with_units_dying_are_the_step_size() -> None:
    # SGD at 40x its rate: the ReLUs die (13% -> 100%), the steps shrink 1000x because no
    # gradient passes, and the loss stays at the prior; the rate never changed
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (0.05 if s < 100 else 4e-5,) * 2,
                               (0.0, 0.0), 2.0) for s in range(0, 300, 10))
    acts = tuple(ActivationSample(s, "relu", "relu", 0.13 if s == 0 else 1.0, None)
                 for s in range(0, 300, 10))
    dx = diagnose(_flat_run(samples, acts, loss=1.42, l0=1.39))
    assert dx.worst is not None and dx.worst.code == "lr_too_high"
    assert "plateau" not in dx.codes
    assert dx.fix(TrainConfig(lr=2.0, optimizer="sgd", momentum=0.9)).lr < 2.0


def test_the_doctor_records_the_rate_a_schedule_sets() -> None:
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=1e-3)
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    with Doctor(model, every=2, optimizer=opt, budget=None) as doctor:
        for _ in range(30):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            doctor.after_backward(loss)
            opt.step()
            doctor.after_step()
            sched.step()
    obs = doctor.observations()
    assert obs.samples[0].lr == pytest.approx(0.1)
    assert obs.lr_fall() == pytest.approx(1e-6)
    assert Doctor(model).observations().lr_fall() is None  # no optimizer: not recorded


def _problem(code: str, **data: float) -> Problem:
    return Problem(code, "error", "evidence", "remedy", data)


def test_the_overfitting_cure_waits_as_long_as_the_sick_run_needed() -> None:
    cure = REMEDIES["overfitting"]
    # 1 step an epoch on 32 examples: the sick run reached its best validation loss at
    # epoch 10; a patience of 3 stopped the cured run at epoch 4, still at chance
    assert cure(_problem("overfitting", best_epoch=10), TrainConfig(lr=0.05), {}
                )["patience"] == 10
    assert cure(_problem("overfitting", best_epoch=2), TrainConfig(lr=0.05), {}
                )["patience"] == 3


def test_the_cure_of_a_whole_dead_layer_stops_early() -> None:
    config = TrainConfig(lr=2e-3, optimizer="adam")
    # a whole dead layer passed no gradient: the sick run shows nothing about how fast the
    # cured network fits (cured dead MLPs memorised within the sick run's budget)
    assert REMEDIES["dead_units"](_problem("dead_units", dead_layer=1.0), config, {}
                                  )["patience"] == 3
    # part of a layer dead: it still learned; the user's own patience is kept
    assert "patience" not in REMEDIES["dead_units"](_problem("dead_units", dead_layer=0.0),
                                                    config, {})
    assert "patience" not in REMEDIES["dead_units"](_problem("dead_units", dead_layer=1.0),
                                                    config.replace(patience=8), {})
    # a vanishing network's cure does not stop early: LSUV-cured sigmoid stacks sit at
    # chance for their first epochs (patience 3 stopped them there)
    assert "patience" not in REMEDIES["vanishing_gradients"](
        _problem("vanishing_gradients"), config, {})


def test_the_underfitting_cure_takes_sgd_decay_below_what_outweighs_the_gradient() -> None:
    cure = REMEDIES["underfitting"]
    problem = Problem("underfitting", "warning", "the training loss stopped", "weaken", {})
    # plain SGD at 0.3 with decay 5: /100 leaves 0.05, 1.5% of the weights a step, which
    # still shrank them to 0.4% of their norm; a tenth of the overfitting cure's most
    # (0.5% a step) is 0.05% a step: 0.0005 / 0.3
    out = cure(problem, TrainConfig(lr=0.3, optimizer="sgd", momentum=0.0, weight_decay=5.0),
               {})
    assert out["weight_decay"] == pytest.approx(5e-4 / 0.3)
    # a decay already light after /100 stays at /100
    small = cure(problem, TrainConfig(lr=1e-3, optimizer="adamw", weight_decay=12.0), {})
    assert small["weight_decay"] == pytest.approx(0.12)
