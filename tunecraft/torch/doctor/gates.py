"""The gates of torch's recurrent modules, recomputed for the doctor's saturation reading.

``nn.RNN``/``nn.GRU``/``nn.LSTM`` run their tanh and sigmoid inside one kernel, where no hook
sees them; on sampled steps :func:`gate_hook` recomputes them from the module's input, output
and weights (the equations of torch's documentation) as pseudo-layers ``<module>.gates``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

__all__ = ["gate_hook"]

# gate nonlinearities per chunk of W x + b, in PyTorch's order (torch.nn.GRU: r, z, n;
# torch.nn.LSTM: i, f, g, o); a tanh RNN's outputs are its tanh outputs themselves
_GATES = {"RNN_TANH": ("tanh",), "GRU": ("sigmoid", "sigmoid", "tanh"),
          "LSTM": ("sigmoid", "sigmoid", "tanh", "sigmoid")}
_GATE_ROWS = 512  # at most this many (sequence, time step) rows read per module and step


def gate_hook(doctor: Any, name: str) -> Any:
    """A forward hook on a recurrent module: on sampled training steps, its gates'
    mean square, saturated share and mean slope as pseudo-layers ``<name>.gates`` (the
    first layer) and, for a stacked tanh RNN, ``<name>.l<last>.gates`` (the output's
    layer); see :func:`_gate_outputs`."""
    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
             out: object) -> None:
        if not doctor._sampling or not module.training:
            return
        step = doctor.step
        first = f"{name}.gates"
        if any(p[0] == step and p[1] == first for p in doctor._act_pending) or any(
                a.step == step and a.name == first for a in doctor._acts[-8:]):
            return  # called twice in one step: keep the first
        import torch

        started = time.perf_counter()
        try:
            with torch.no_grad():
                groups = [(f"{name}{suffix}.gates", *_gate_stats(sig, tanh))
                          for suffix, sig, tanh in _gate_outputs(module, args, kwargs, out)]
        except (RuntimeError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            groups = []  # an input layout this reader does not know: skip
        for label, stats, numel in groups:
            if numel:
                doctor._act_pending.append((step, label, "gates", stats, numel, numel))
        doctor._spent += time.perf_counter() - started
    return hook

def _gate_outputs(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                  out: Any) -> list[tuple[str, list[Any], list[Any]]]:
    """The sigmoid-gate and tanh outputs of a recurrent module's call, recomputed from its
    input, output and weights (the torch.nn.RNN/GRU/LSTM documentation's equations), as
    ``(label suffix, sigmoid outputs, tanh outputs)`` per measured layer:

    - the first layer (suffix ``""``), every direction: the input part ``W_ih x_t + b_ih``
      of each gate; with one unpacked layer the output sequence holds every ``h_(t-1)``
      (``h_0`` from ``hx``, else zeros; the reverse direction reads ``h_(t+1)``), so the
      hidden part ``W_hh h_(t-1) + b_hh`` is added and the gates are exact (GRU:
      ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``); a one-layer tanh ``nn.RNN``'s
      output is its ``tanh`` output itself. Stacked layers (the inputs of the upper ones are
      not kept) and packed sequences (their rows are no time axis) get the input part alone;
    - a stacked tanh ``nn.RNN``'s last layer (suffix ``.l<last>``): its output sequence.

    Reads at most ``_GATE_ROWS`` (sequence, step) rows: the first sequences of the batch, and
    evenly strided time steps when the sequences are long. Batch-first or not, unbatched and
    packed inputs are all read."""
    import torch
    from torch.nn.utils.rnn import PackedSequence

    x: Any = args[0] if args else kwargs["input"]
    hx: Any = args[1] if len(args) > 1 else kwargs.get("hx")
    y, _ = out
    dirs = 2 if module.bidirectional else 1
    packed = isinstance(x, PackedSequence)
    if module.mode == "RNN_TANH":
        seq = y.data if packed else y
        rows = seq.reshape(-1, seq.shape[-1])
        output = [rows[::-(-rows.shape[0] // _GATE_ROWS)]]
        if module.num_layers == 1:
            return [("", [], output)]
    kinds = _GATES[module.mode]
    if packed:
        xs = x.data[::-(-x.data.shape[0] // _GATE_ROWS)]
    else:
        batched = x.ndim == 3
        bdim = 0 if module.batch_first else 1
        x3 = x if batched else x.unsqueeze(bdim)
        y3 = y if batched else y.unsqueeze(bdim)
        if not module.batch_first:  # to (batch, time, features)
            x3, y3 = x3.transpose(0, 1), y3.transpose(0, 1)
        steps = x3.shape[1]
        n_seq = max(1, min(x3.shape[0], _GATE_ROWS // max(steps, 1)))
        t_idx = torch.arange(0, steps, -(-steps * n_seq // _GATE_ROWS), device=x3.device)
        x3, y3 = x3[:n_seq], y3[:n_seq]
        xs = x3[:, t_idx]
    exact = not packed and module.num_layers == 1
    h0 = hx[0] if isinstance(hx, tuple) else hx  # LSTM: (h_0, c_0)
    sig: list[Any] = []
    tanh: list[Any] = []
    for d in range(dirs):
        sfx = "_reverse" if d else ""
        w_ih = getattr(module, f"weight_ih_l0{sfx}")
        b_ih = getattr(module, f"bias_ih_l0{sfx}") if module.bias else None
        pre = torch.nn.functional.linear(xs.to(w_ih.dtype), w_ih, b_ih).chunk(len(kinds), -1)
        hid: tuple[Any, ...] | None = None
        if exact:
            width = y3.shape[-1] // dirs
            h_seq = y3[..., d * width:(d + 1) * width]
            first = (torch.zeros_like(h_seq[:, :1]) if h0 is None else
                     (h0[d] if h0.ndim == 3 else h0[d].unsqueeze(0))[:n_seq].unsqueeze(1))
            prev = (torch.cat([first, h_seq[:, :-1]], 1) if d == 0
                    else torch.cat([h_seq[:, 1:], first], 1))
            w_hh = getattr(module, f"weight_hh_l0{sfx}")
            b_hh = getattr(module, f"bias_hh_l0{sfx}") if module.bias else None
            hid = torch.nn.functional.linear(prev[:, t_idx].to(w_hh.dtype), w_hh,
                                             b_hh).chunk(len(kinds), -1)
        if module.mode == "GRU":
            r = torch.sigmoid(pre[0] + hid[0]) if hid else torch.sigmoid(pre[0])
            z = torch.sigmoid(pre[1] + hid[1]) if hid else torch.sigmoid(pre[1])
            sig += [r, z]
            tanh.append(torch.tanh(pre[2] + r * hid[2]) if hid else torch.tanh(pre[2]))
        elif module.mode == "LSTM":  # i, f, g, o
            gates = [p + h for p, h in zip(pre, hid, strict=True)] if hid else list(pre)
            sig += [torch.sigmoid(gates[0]), torch.sigmoid(gates[1]), torch.sigmoid(gates[3])]
            tanh.append(torch.tanh(gates[2]))
        else:  # a stacked tanh RNN's first layer (one layer: its output, above)
            tanh.append(torch.tanh(pre[0]))
    if module.mode == "RNN_TANH":
        return [("", sig, tanh), (f".l{module.num_layers - 1}", [], output)]
    return [("", sig, tanh)]


def _gate_stats(sig: list[Any], tanh: list[Any]) -> tuple[list[Any], int]:
    """``[mean square, saturated count, summed slope over peak]`` (0-dim tensors) of gate
    outputs and their count, with the activation hooks' cut-offs (derivative under 10% of
    its peak: sigmoid |y - 0.5| > 0.474, tanh |y| > 0.95; slope: 4 y (1 - y), 1 - y^2)."""
    import torch

    s = torch.cat([t.reshape(-1).float() for t in sig]) if sig else None
    t = torch.cat([v.reshape(-1).float() for v in tanh]) if tanh else None
    numel = (0 if s is None else s.numel()) + (0 if t is None else t.numel())
    if not numel:
        return [], 0
    zero = torch.zeros((), device=(s if s is not None else t).device)  # type: ignore[union-attr]
    sq, count, slope = zero, zero, zero
    if s is not None:
        sq = sq + s.square().sum()
        count = count + torch.count_nonzero((s - 0.5).abs() > 0.474)
        slope = slope + 4.0 * (s - s.square()).sum()
    if t is not None:
        t2 = t.square()
        sq = sq + t2.sum()
        count = count + torch.count_nonzero(t.abs() > 0.95)
        slope = slope + (1.0 - t2).sum()
    return [sq / numel, count.float(), slope], numel
