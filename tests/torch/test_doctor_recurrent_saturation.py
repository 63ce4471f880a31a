"""The doctor sees saturation inside nn.RNN / nn.GRU / nn.LSTM (gate pseudo-layers)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

from tunecraft.torch.doctor import Doctor  # noqa: E402
from tunecraft.torch.doctor.instruments import _gate_outputs  # noqa: E402

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class _Seq(nn.Module):
    def __init__(self, cell: str, batch_first: bool, layers: int) -> None:
        super().__init__()
        self.batch_first = batch_first
        self.rnn = CELLS[cell](3, 8, num_layers=layers, batch_first=batch_first)
        self.head = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        last = out[:, -1] if self.batch_first else out[-1]
        return self.head(last)


def _gate_fractions(cell: str, batch_first: bool, layers: int, scale: float,
                    shift: float) -> list[float]:
    """Train 3 steps on inputs ``N(0, 1) * scale + shift``; the gates' saturated shares."""
    torch.manual_seed(0)
    model = _Seq(cell, batch_first, layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(16, 12, 3) * scale + shift
    if not batch_first:
        x = x.transpose(0, 1).contiguous()
    y = torch.randint(0, 2, (16,))
    with Doctor(model, every=1, budget=None) as doctor:
        for _ in range(3):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            doctor.after_backward(loss)
            opt.step()
            doctor.after_step()
        doctor.end_epoch()
        obs = doctor.observations()
    names = {"rnn.gates"} | ({"rnn.l1.gates"} if cell == "rnn" and layers == 2 else set())
    gates = [a for a in obs.activations if a.kind == "gates"]
    assert {a.name for a in gates} == names
    assert len(gates) == 3 * len(names) and all(a.recurrent for a in gates)
    assert obs.activation_modules() == 1  # the ReLU head only: gates are no depth layer
    # the saturation rule reads the most saturated layer
    return [max(a.saturated or 0.0 for a in gates if a.step == s) for s in range(3)]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
def test_huge_inputs_saturate_the_gates_and_standard_inputs_do_not(
        cell: str, batch_first: bool, layers: int) -> None:
    # raw 12-bit ADC counts (x400 + 2048) as in the tenth zoo's gru_raw_counts
    sick = _gate_fractions(cell, batch_first, layers, 400.0, 2048.0)
    healthy = _gate_fractions(cell, batch_first, layers, 1.0, 0.0)
    assert min(sick) > 0.9
    assert max(healthy) < 0.1


def test_the_recomputed_gates_reproduce_the_modules_outputs() -> None:
    torch.manual_seed(1)
    x, h0 = torch.randn(4, 6, 3), torch.randn(2, 4, 5)
    gru = nn.GRU(3, 5, batch_first=True, bidirectional=True)
    y, hn = gru(x, h0)
    [(_, (r, z, r2, z2), (n, n2))] = _gate_outputs(gru, (x, h0), {}, (y, hn))
    prev = torch.cat([h0[0][:, None], y[:, :-1, :5]], 1)
    assert torch.allclose((1 - z) * n + z * prev, y[..., :5], atol=1e-5)
    prev = torch.cat([y[:, 1:, 5:], h0[1][:, None]], 1)  # the reverse direction
    assert torch.allclose((1 - z2) * n2 + z2 * prev, y[..., 5:], atol=1e-5)
    lstm = nn.LSTM(3, 5)  # time first
    xt = x.transpose(0, 1)
    y, hc = lstm(xt)
    [(_, (i, f, o), (g,))] = _gate_outputs(lstm, (xt,), {}, (y, hc))
    c, hs = torch.zeros(4, 5), []
    for t in range(6):
        c = f[:, t] * c + i[:, t] * g[:, t]
        hs.append(o[:, t] * torch.tanh(c))
    assert torch.allclose(torch.stack(hs, 0), y, atol=1e-5)


def test_packed_and_unbatched_inputs_are_read() -> None:
    torch.manual_seed(2)
    lstm = nn.LSTM(3, 5, batch_first=True, num_layers=2)
    packed = pack_padded_sequence(torch.randn(3, 6, 3) * 50, [6, 4, 2], batch_first=True)
    [(_, sig, tanh)] = _gate_outputs(lstm, (packed,), {}, lstm(packed))
    assert sig[0].shape == (12, 5) and tanh[0].shape == (12, 5)  # 6 + 4 + 2 real steps
    gru = nn.GRU(3, 5)
    x = torch.randn(6, 3)  # one unbatched sequence
    [(_, sig, tanh)] = _gate_outputs(gru, (x,), {}, gru(x))
    assert sig[0].shape == (1, 6, 5)
    rnn = nn.RNN(3, 5, num_layers=3)  # stacked: first layer's input part, last layer's output
    x = torch.randn(6, 2, 3)
    (first, _, (pre,)), (last, _, (out,)) = _gate_outputs(rnn, (x,), {}, rnn(x))
    assert (first, last) == ("", ".l2") and pre.shape == (2, 6, 5) and out.shape == (12, 5)


def test_eval_mode_is_not_sampled_and_close_removes_the_hooks() -> None:
    model = _Seq("gru", True, 1)
    doctor = Doctor(model, every=1, budget=None)
    model.eval()
    model(torch.randn(4, 5, 3))
    assert not doctor.observations().activations
    doctor.close()
    assert not model.rnn._forward_hooks and not model.rnn._forward_hooks_with_kwargs


def test_saturated_gates_get_the_input_scale_remedy_and_a_tanh_mlp_keeps_the_init_one() -> None:
    torch.manual_seed(0)
    model = _Seq("gru", True, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(32, 12, 3) * 400 + 2048  # raw ADC counts into a GRU
    y = torch.randint(0, 2, (32,))
    with Doctor(model, every=1, budget=None) as doctor:
        for _ in range(4):
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            doctor.after_backward(loss)
            opt.step()
            doctor.after_step()
        doctor.end_epoch(train_loss=loss.item())
        diagnosis = doctor.diagnose()
    problem = next(p for p in diagnosis.problems if p.code == "saturated_units")
    assert "standardise the inputs" in problem.remedy

    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
    xs = torch.randn(32, 3) * 400 + 2048
    with Doctor(mlp, every=1, budget=None) as doctor:
        for _ in range(4):
            loss = nn.functional.cross_entropy(mlp(xs), y)
            opt.zero_grad()
            loss.backward()
            doctor.after_backward(loss)
            opt.step()
            doctor.after_step()
        doctor.end_epoch(train_loss=loss.item())
        diagnosis = doctor.diagnose()
    problem = next(p for p in diagnosis.problems if p.code == "saturated_units")
    assert "xavier_normal" in problem.remedy
