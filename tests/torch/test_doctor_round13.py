"""The doctor's thirteenth round (the ninth and tenth zoos' misses, by mechanism): forward
growth in a run the rate holds back is not explosion; units do not die of steps too small to
move them; one recovered swing is not oscillation; a gradient vanished at init that Adam hides
later is vanishing; steps too small at the peak rate are the base rate's, not the schedule's;
weights the schedule froze are a plateau; one spike on an epoch's short last batch is noise."""

from __future__ import annotations

from tunecraft.torch.doctor import Observations, diagnose
from tunecraft.torch.doctor.observations import ActivationSample, EpochRecord, StepSample


def _run(*, grad_rel: float, update: float, losses: tuple[float, float], gain: float = 1.5,
         dead: tuple[float, float] | None = None, width: int | None = None) -> Observations:
    """Six ReLU activations whose RMS changes ``gain`` x per layer before any update; the
    largest layer's ``||g|| / ||w||`` is ``grad_rel``, every step moves the weights by
    ``update`` of their norm; the step loss goes ``losses[0]`` -> ``losses[1]``; ``dead``:
    the deepest layer's dead share at the first and the later samples."""
    n = 200
    start, end = losses
    steps = tuple(start * (end / start) ** (s / (n - 1)) for s in range(n))
    samples = tuple(StepSample(s, (0.1, 0.1, 0.1), (grad_rel, grad_rel / 2, grad_rel / 4),
                               (update, update, update), (0.0, 0.0, 0.0))
                    for s in range(0, n, 10))

    def dead_at(s: int, i: int) -> float:
        if dead is None or i != 5:
            return 0.0
        return dead[0] if s == 0 else dead[1]

    acts = tuple(ActivationSample(s, f"relu{i}", "relu", dead_at(s, i), None, rms=gain ** i)
                 for s in range(0, n, 10) for i in range(6))
    epochs = tuple(EpochRecord(steps[20 * e + 19], steps[20 * e + 19] * 1.02, 0.5)
                   for e in range(n // 20))
    return Observations(steps, samples, acts, epochs, ("conv1", "conv2", "head"),
                        activation_kinds=("relu",), output_width=width)


def test_growth_in_a_run_the_rate_holds_back_is_lr_too_low_not_exploding() -> None:
    # round 12: a residual BatchNorm ConvMixer at 1e-5 of a healthy rate (growth 3.1-3.5 x,
    # gradients 0.2-0.4 x the weights, 30% progress) read exploding_gradients
    slow = diagnose(_run(grad_rel=0.3, update=1e-5, losses=(0.68, 0.5)))
    assert "exploding_gradients" not in slow.codes, str(slow)
    assert slow.worst is not None and slow.worst.code == "lr_too_low", str(slow)
    # started at the chance loss ln 2 and crawled a little above it: the rate, not the init
    at_chance = diagnose(_run(grad_rel=0.23, update=3e-6, losses=(0.675, 0.70), width=2))
    assert "exploding_gradients" not in at_chance.codes, str(at_chance)
    # a loud start (19 vs ln 2) that crawled to 1.06, above chance: still the init's scale
    loud = diagnose(_run(grad_rel=0.7, update=5e-5, losses=(19.0, 1.06), width=2))
    assert "exploding_gradients" in loud.codes, str(loud)
    # the same growth with steps of a sane size that learned nothing: still exploding
    stuck = diagnose(_run(grad_rel=0.3, update=4e-3, losses=(0.68, 0.66)))
    assert stuck.worst is not None and stuck.worst.code == "exploding_gradients", str(stuck)


def test_units_do_not_die_of_steps_too_small_to_move_them() -> None:
    # round 12: "lr_too_high: steps change the weights by up to 1.1e-08 of their norm;
    # 88% of a layer's ReLU units died during training" on a VGG at N(0, 0.01)
    tiny = diagnose(_run(grad_rel=1e-6, update=1e-8, losses=(1.79, 1.79), gain=1.0,
                         dead=(0.3, 0.9)))
    assert "lr_too_high" not in tiny.codes, str(tiny)
    # steps that do move the weights and a layer that died under them: the rate
    big = diagnose(_run(grad_rel=0.3, update=0.08, losses=(1.79, 1.79), gain=1.0,
                        dead=(0.3, 0.9)))
    assert "lr_too_high" in big.codes, str(big)


def _epochs(train: list[float]) -> Observations:
    """Healthy-sized steps (5e-3 of the weights) and the given epoch training losses."""
    losses = tuple(1.4 * 0.97 ** i for i in range(60))
    samples = tuple(StepSample(s, (0.1, 0.1), (0.1, 0.1), (5e-3, 5e-3), (0.0, 0.0))
                    for s in range(0, 60, 5))
    recs = tuple(EpochRecord(t, t * 1.05, 0.8) for t in train)
    return Observations(losses, samples, (), recs, ("a", "b"))


def test_one_swing_the_run_recovers_from_is_not_oscillation() -> None:
    # round 12: a healthy highway MLP (ninth zoo) went 0.098 -> 0.534 -> 0.099 once and read
    # lr_too_high; a rate above the stability limit overshoots again and again
    once = diagnose(_epochs([0.9, 0.6, 0.4, 0.3, 0.8, 0.3, 0.25, 0.22]))
    assert "lr_too_high" not in once.codes, str(once)
    twice = diagnose(_epochs([0.9, 0.6, 0.3, 0.8, 0.3, 0.8, 0.3, 0.28]))
    assert "lr_too_high" in twice.codes, str(twice)


def _tanh_under_adam(first_ratio: float, losses: tuple[float, float]) -> Observations:
    """An 8-layer stack whose first/last relative gradient is ``first_ratio`` at the first
    sample and 0.1 later (Adam's per-weight steps move the early layers anyway)."""
    n = 200
    steps = tuple(losses[0] * (losses[1] / losses[0]) ** (s / (n - 1)) for s in range(n))
    samples = tuple(StepSample(s, (0.1, 0.1), ((first_ratio if s == 0 else 0.1) * 0.5, 0.5),
                               (0.03, 0.03), (0.0, 0.0)) for s in range(0, n, 10))
    epochs = tuple(EpochRecord(steps[20 * e + 19], steps[20 * e + 19] * 1.02, 0.6)
                   for e in range(n // 20))
    return Observations(steps, samples, (), epochs, ("first", "last"), output_width=2)


def test_a_gradient_vanished_at_init_that_adam_hides_later_is_vanishing() -> None:
    # round 12: a tanh MLP at 0.3 x its init under Adam (5e-7 at the start, 0.1 later,
    # learned 25-33% of its loss) was healthy
    hidden = diagnose(_tanh_under_adam(5e-7, (1.1, 0.75)))
    assert hidden.worst is not None and hidden.worst.code == "vanishing_gradients", str(hidden)
    assert "before any update" in hidden.worst.evidence
    # a small start in a run that learned most of its loss, or a start at 1e-4: not vanishing
    assert "vanishing_gradients" not in diagnose(_tanh_under_adam(5e-7, (1.1, 0.1))).codes
    assert "vanishing_gradients" not in diagnose(_tanh_under_adam(1e-4, (1.1, 0.75))).codes


def _annealed(update: float, lr_end: float) -> Observations:
    """SGD at a constant rate for the first half, then stepped down to ``lr_end`` x the peak;
    steps of ``update`` at the peak rate, shrinking with the rate; the loss barely moves."""
    n = 210
    steps = tuple(0.70 - 0.0001 * s for s in range(n))

    def lr(s: int) -> float:
        return 1.0 if s < n // 2 else lr_end

    samples = tuple(StepSample(s, (0.1, 0.1), (0.2, 0.2), (update * lr(s), update * lr(s)),
                               (0.0, 0.0), lr=0.05 * lr(s)) for s in range(0, n, 10))
    epochs = tuple(EpochRecord(steps[15 * e + 14], steps[15 * e + 14], 0.5) for e in range(14))
    return Observations(steps, samples, (), epochs, ("a", "b"), output_width=2)


def test_steps_too_small_at_the_peak_rate_are_lr_too_low_though_the_schedule_annealed() -> None:
    # round 12: a ConvMixer under SGD at 1e-4 of a healthy rate, annealed to 1% by the
    # default schedule, read plateau ("the rate decayed before the model converged")
    slow = diagnose(_annealed(2e-5, 0.01))
    assert slow.worst is not None and slow.worst.code == "lr_too_low", str(slow)
    # healthy steps at the peak that a schedule collapsed to 1e-6 of its rate: a plateau
    collapsed = diagnose(_annealed(5e-3, 1e-6))
    assert collapsed.worst is not None and collapsed.worst.code == "plateau", str(collapsed)
    # small steps and a schedule that fell to 1e-6 of its peak (beyond an anneal): the
    # schedule is read first, as before
    fell = diagnose(_annealed(2e-5, 1e-6))
    assert fell.worst is not None and fell.worst.code == "plateau", str(fell)


def test_weights_frozen_by_a_step_decay_counted_in_steps_are_a_plateau() -> None:
    # round 12: a step decay meant per epoch but counted in steps took the rate to 1e-5 of
    # its peak by mid-run; the epoch loss still wandered 3% (noise), so nothing was flagged
    n = 210
    train = [1.2, 0.8, 0.6, 0.5, 0.52, 0.5, 0.49, 0.51, 0.5, 0.48, 0.52, 0.5, 0.49, 0.5]
    steps = tuple(train[min(s // 15, 13)] for s in range(n))

    def lr(s: int) -> float:
        return 0.1 * 0.1 ** min(s // 15, 5)

    def run(floor: float) -> Observations:
        samples = tuple(StepSample(s, (0.1, 0.1), (0.2, 0.2),
                                   (max(0.05 * lr(s), floor),) * 2, (0.0, 0.0), lr=lr(s))
                        for s in range(0, n, 10))
        epochs = tuple(EpochRecord(t, t * 1.05, 0.6) for t in train)
        return Observations(steps, samples, (), epochs, ("a", "b"), output_width=2)

    frozen = diagnose(run(0.0))
    assert frozen.worst is not None and frozen.worst.code == "plateau", str(frozen)
    # the same schedule with steps that still move the weights late: the loss may move too
    assert "plateau" not in diagnose(run(1e-4)).codes


def _spiked_at(step: int, height: float) -> Observations:
    """14 epochs of 15 steps, healthy-sized steps, a loss falling 0.7 -> 0.07 with one step
    at ``height``."""
    n = 210
    steps = [0.7 * 0.1 ** (s / (n - 1)) for s in range(n)]
    steps[step] = height
    samples = tuple(StepSample(s, (0.1, 0.1), (0.2, 0.2), (0.01, 0.01), (0.0, 0.0))
                    for s in range(0, n, 10))
    epochs = tuple(EpochRecord(steps[15 * e + 13], steps[15 * e + 13] * 1.3, 0.9)
                   for e in range(14))
    return Observations(tuple(steps), samples, (), epochs, ("a", "b"), output_width=2)


def test_one_spike_on_an_epochs_short_last_batch_is_not_the_step_size() -> None:
    # round 12: healthy ConvMixer and PReLU runs spiked 3-4x at step 119 (the last step of
    # an epoch of 15) between losses of 0.08-0.4, and read lr_too_high
    last = diagnose(_spiked_at(119, 2.5))
    assert "lr_too_high" not in last.codes, str(last)
    # the same spike inside an epoch, or on the first epoch's last step: the step size
    assert "lr_too_high" in diagnose(_spiked_at(117, 2.5)).codes
    assert "lr_too_high" in diagnose(_spiked_at(14, 2.5)).codes
