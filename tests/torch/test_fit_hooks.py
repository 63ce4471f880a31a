"""``fit`` for real models: batch hooks (dicts, longer tuples, custom objects), a Hugging
Face-style model, user metrics, callbacks, gradient accumulation, bfloat16, any loss, and
optimizer and scheduler factories."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402

from tunecraft.torch import TrainConfig, fit  # noqa: E402
from tunecraft.torch.callbacks import Callback, TrainState  # noqa: E402
from tunecraft.torch.metrics import (  # noqa: E402
    Metric,
    f1_score,
    infer_direction,
    mae,
    r2_score,
    rmse,
    roc_auc,
    top_k_accuracy,
)
from tunecraft.torch.mlp import MLPSpec  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:500], y[:500]), (x[1400:1700], y[1400:1700])


# --------------------------------------------------------------------------- a HF-style model
class TinyTagger(nn.Module):
    """A Hugging Face-style model: ``model(input_ids, attention_mask, labels)`` returns an
    object with ``.loss`` and ``.logits`` (one class per sequence)."""

    def __init__(self, vocab: int = 20, classes: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.drop = nn.Dropout(0.0)
        self.head = nn.Linear(16, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> SimpleNamespace:
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        logits = self.head(self.drop(pooled))
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        return SimpleNamespace(loss=loss, logits=logits)


class TokenData(Dataset[dict[str, torch.Tensor]]):
    """Sequences of tokens; the label is whether token 1 occurs in the unmasked part."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(2, 20, (n, 12), generator=g)
        hit = torch.rand(n, generator=g) < 0.5
        pos = torch.randint(0, 6, (n,), generator=g)
        self.ids[hit, pos[hit]] = 1
        self.ids[~hit, 8] = 1  # a decoy hidden by the mask
        self.mask = torch.zeros(n, 12, dtype=torch.long)
        self.mask[:, :7] = 1
        self.labels = hit.long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i],
                "labels": self.labels[i]}


def test_a_hugging_face_style_model_trains_unchanged_on_dict_batches() -> None:
    train = DataLoader(TokenData(400, 0), batch_size=32, shuffle=True)
    val = DataLoader(TokenData(200, 1), batch_size=100)
    cfg = TrainConfig(lr=3e-2, optimizer="adam")
    result = fit(lambda c: TinyTagger(), train, val, cfg, max_epochs=6,
                 metrics={"f1": f1_score()})
    assert result.best_metric > 0.9  # the mask matters: the decoy would give 50%
    assert result.history[-1].metrics["f1"] > 0.9
    assert result.history[-1].val_loss < result.history[0].val_loss


# --------------------------------------------------------------------------- batch hooks
def test_a_longer_tuple_needs_unpack_and_then_reaches_the_model(digits: Any) -> None:
    (x, y), (xv, yv) = digits
    calls: list[int] = []

    class Masked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = MLPSpec(64, 10, depth=1, width=32)()

        def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            calls.append(1)
            return self.net(inputs * mask)

    def loader(a: np.ndarray, b: np.ndarray) -> DataLoader[Any]:
        t = torch.as_tensor(a)
        ds = list(zip(t, torch.ones_like(t), torch.as_tensor(b), strict=True))
        return DataLoader(ds, batch_size=50)

    cfg = TrainConfig(lr=1e-2)
    hint = "unpack=lambda b: \\(\\(b\\[0\\], b\\[1\\]\\), b\\[2\\]\\)"
    with pytest.raises(TypeError, match=hint):
        fit(lambda c: Masked(), loader(x, y), loader(xv, yv), cfg, max_epochs=1)
    result = fit(lambda c: Masked(), loader(x, y), loader(xv, yv), cfg, max_epochs=2,
                 unpack=lambda b: ((b[0], b[1]), b[2]))
    assert calls and result.best_metric > 0.5


@dataclass
class Sample:
    """A custom batch object, as some pipelines yield."""

    pixels: torch.Tensor
    target: torch.Tensor

    def to(self, device: Any) -> Sample:
        return Sample(self.pixels.to(device), self.target.to(device))


def test_custom_batch_objects_with_unpack_and_forward(digits: Any) -> None:
    (x, y), (xv, yv) = digits

    def batches(a: np.ndarray, b: np.ndarray) -> list[Sample]:
        return [Sample(torch.as_tensor(a[i:i + 50]), torch.as_tensor(b[i:i + 50]))
                for i in range(0, len(a), 50)]

    seen: list[str] = []

    def forward(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        seen.append("forward")
        return model(inputs.reshape(len(inputs), -1))

    result = fit(MLPSpec(64, 10, depth=1, width=32), batches(x, y), batches(xv, yv),
                 TrainConfig(lr=1e-2), max_epochs=2, unpack=lambda s: (s.pixels, s.target),
                 forward=forward)
    assert seen and result.best_metric > 0.5
    with pytest.raises(TypeError, match="unpack="):
        fit(MLPSpec(64, 10, depth=1, width=32), batches(x, y), batches(xv, yv),
            TrainConfig(lr=1e-2), max_epochs=1)


# --------------------------------------------------------------------------- metrics
class StreamingMean:
    """A torchmetrics-like object: update per batch, compute at the end."""

    def __init__(self) -> None:
        self.resets = 0
        self.total = 0.0
        self.n = 0

    def reset(self) -> None:
        self.resets += 1
        self.total, self.n = 0.0, 0

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self.total += float((outputs.argmax(1) != targets).sum())
        self.n += len(targets)

    def compute(self) -> float:
        return self.total / self.n


def test_several_metrics_one_monitored_with_its_direction(digits: Any) -> None:
    train, val = digits
    stream = StreamingMean()
    metrics = {"f1": f1_score(), "top2": top_k_accuracy(2), "error": stream,
               "neg": Metric(lambda o, t: -float((o.argmax(1) == t).float().mean()), "min")}
    result = fit(NET, train, val, TrainConfig(lr=1e-2, metric="f1", patience=2), max_epochs=4,
                 metrics=metrics)
    assert result.metric == "f1" and result.direction == "max"
    last = result.history[-1]
    assert set(last.metrics) == {"f1", "top2", "error", "neg"}
    assert last.metrics["top2"] >= last.val_accuracy  # type: ignore[operator]
    assert last.metrics["error"] == pytest.approx(1 - last.val_accuracy)  # type: ignore[operator]
    assert last.metrics["neg"] == pytest.approx(-last.val_accuracy)  # type: ignore[operator]
    assert stream.resets == result.epochs
    assert result.best_metric == max(h.metrics["f1"] for h in result.history)
    by_neg = fit(NET, train, val, TrainConfig(lr=1e-2, metric="neg"), max_epochs=2,
                 metrics=metrics)
    assert by_neg.direction == "min"
    assert by_neg.best_metric == min(h.metrics["neg"] for h in by_neg.history)
    with pytest.raises(ValueError, match="metrics="):
        fit(NET, train, val, TrainConfig(metric="auc"), max_epochs=1)
    with pytest.raises(ValueError, match="built in"):
        fit(NET, train, val, TrainConfig(), max_epochs=1, metrics={"loss": mae})


def test_ready_metrics_on_known_values() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 1.0, 2.0], [2.0, 0.0, 1.0]])
    labels = torch.tensor([0, 2, 2, 1])
    assert top_k_accuracy(1)(logits, labels) == pytest.approx(0.5)
    assert top_k_accuracy(2)(logits, labels) == pytest.approx(0.75)
    # per class F1: class 0: tp 1, fp 1 -> 2/3; class 1: tp 0 -> 0; class 2: tp 1, fn 1 -> 2/3
    assert f1_score()(logits, labels) == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)
    assert f1_score("micro")(logits, labels) == pytest.approx(0.5)
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8])
    assert roc_auc(scores, torch.tensor([0, 0, 1, 1])) == pytest.approx(0.75)
    assert roc_auc(torch.tensor([0.5, 0.5]), torch.tensor([0, 1])) == pytest.approx(0.5)
    pred, true = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 3.0, 3.0])
    assert mae(pred, true) == pytest.approx(2 / 3)
    assert rmse(pred, true) == pytest.approx((2 / 3) ** 0.5)
    assert r2_score(true, true) == 1.0
    assert [infer_direction(n) for n in ("val_f1", "top5", "mae", "loss", "wer")] == [
        "max", "max", "min", "min", "min"]
    with pytest.raises(ValueError, match="direction"):
        infer_direction("wobble")


# --------------------------------------------------------------------------- the loop
NET = MLPSpec(64, 10, depth=1, width=32)


class Recorder(Callback):
    def __init__(self, stop_at_step: int | None = None) -> None:
        self.events: list[tuple[str, int, int]] = []
        self.stop_at_step = stop_at_step

    def on_train_begin(self, state: TrainState) -> None:
        self.events.append(("begin", state.epoch, state.step))

    def on_step_end(self, state: TrainState) -> None:
        assert state.loss is not None and state.loss.ndim == 0
        self.events.append(("step", state.epoch, state.step))
        if self.stop_at_step is not None and state.step >= self.stop_at_step:
            state.stop = True

    def on_epoch_end(self, state: TrainState) -> None:
        self.events.append(("epoch", state.epoch, state.step))

    def on_train_end(self, state: TrainState) -> None:
        self.events.append(("end", state.epoch, state.step))


def test_callbacks_run_at_every_boundary_and_can_stop(digits: Any) -> None:
    train, val = digits
    rec = Recorder()
    fit(NET, train, val, TrainConfig(lr=1e-2, batch_size=100), max_epochs=2, callbacks=[rec])
    kinds = [e[0] for e in rec.events]
    assert kinds == ["begin"] + (["step"] * 5 + ["epoch"]) * 2 + ["end"]
    assert rec.events[-2] == ("epoch", 2, 10)
    stopper = Recorder(stop_at_step=7)
    result = fit(NET, train, val, TrainConfig(lr=1e-2, batch_size=100), max_epochs=5,
                 callbacks=[stopper])
    assert result.stop_reason == "callback" and result.epochs == 2
    assert max(e[2] for e in stopper.events) == 7


def test_gradient_accumulation_equals_the_larger_batch(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=0.1, optimizer="sgd", momentum=0.0, batch_size=50)
    whole = fit(NET, train, val, cfg, max_epochs=2)
    halves = fit(NET, train, val, cfg.replace(batch_size=25), max_epochs=2,
                 accumulation_steps=2)
    for a, b in zip(whole.model.state_dict().values(), halves.model.state_dict().values(),
                    strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert halves.history[-1].lr == whole.history[-1].lr


def test_bfloat16_autocast_on_cpu_and_float16_needs_cuda(digits: Any) -> None:
    train, val = digits
    result = fit(NET, train, val, TrainConfig(lr=1e-2), max_epochs=3, device="cpu",
                 mixed_precision="bf16")
    assert result.precision == "bf16" and result.mixed_precision
    assert result.best_metric > 0.7
    with pytest.raises(ValueError, match="bf16"):
        fit(NET, train, val, TrainConfig(), device="cpu", mixed_precision="fp16")


def test_any_loss_module_and_factories_for_optimizer_and_scheduler(digits: Any) -> None:
    train, val = digits
    steps: list[int] = []

    def scheduler(opt: torch.optim.Optimizer, total: int, cfg: TrainConfig) -> Any:
        steps.append(total)  # OneCycleLR raises if stepped more than total_steps times
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total)

    def net(cfg: TrainConfig) -> nn.Module:
        return nn.Sequential(NET(cfg), nn.LogSoftmax(dim=1))

    result = fit(net, train, val, TrainConfig(lr=5e-2, batch_size=64), max_epochs=3,
                 loss=nn.NLLLoss(), accumulation_steps=2,
                 optimizer=lambda m, c: torch.optim.RMSprop(m.parameters(), lr=c.lr),
                 scheduler=scheduler)
    assert steps == [3 * 4]  # 8 batches of 64 per epoch, 2 per step
    assert result.best_metric > 0.3 and result.history[0].val_accuracy is not None
    huber = fit(NET, (train[0], train[0][:, :10]), (val[0], val[0][:, :10]),
                TrainConfig(lr=1e-2, metric="rmse"), max_epochs=2, loss=nn.HuberLoss(),
                metrics={"rmse": rmse})
    assert huber.direction == "min" and huber.history[0].val_accuracy is None
    with pytest.raises(ValueError, match="label_smoothing"):
        fit(NET, train, val, TrainConfig(label_smoothing=0.1), loss=nn.NLLLoss())
