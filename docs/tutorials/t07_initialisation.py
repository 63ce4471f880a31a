"""
Initialisation: Xavier vs He, with the diagnostics
==================================================

A deep network trains only if a signal survives the trip through its layers, forward
(activations) and backward (gradients). Each layer multiplies the signal's variance by
``fan_in * Var(w)`` times a factor set by the activation. Glorot & Bengio (2010, "Xavier")
chose ``Var(w) = 1 / fan_in`` (in its simplest form) to keep the variance for symmetric
activations such as tanh; He et al. (2015) showed that ReLU zeroes half of its input, so it
needs ``Var(w) = 2 / fan_in`` ("He" or "Kaiming").
"""

# %%
# The forward signal, layer by layer
# ----------------------------------
# A 20-layer, 256-wide MLP, fed unit-variance noise: the variance of each Linear layer's
# output, for ReLU and tanh networks under each scheme (mean over 3 networks).
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from tunecraft.torch import init_report, initialize, seed_everything

DEPTH, WIDTH = 20, 256


def mlp(act: type[nn.Module], n_in: int = WIDTH, n_out: int = WIDTH,
        depth: int = DEPTH, width: int = WIDTH) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(n_in, width), act()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, n_out))


def variances(net: nn.Sequential, x: torch.Tensor) -> list[float]:
    out = []
    with torch.no_grad():
        for module in net:
            x = module(x)
            if isinstance(module, nn.Linear):
                out.append(float(x.var()))
    return out


x = torch.randn(512, WIDTH)
schemes = ("torch_default", "xavier_normal", "kaiming_normal")
curves = {}
for act, nonlinearity in ((nn.ReLU, "relu"), (nn.Tanh, "tanh")):
    for scheme in schemes:
        runs = []
        for seed in range(3):
            seed_everything(seed)
            net = mlp(act)
            initialize(net, scheme, nonlinearity=nonlinearity)
            runs.append(variances(net, x))
        curves[act.__name__, scheme] = np.mean(runs, axis=0)
        print(f"{act.__name__:<5} {scheme:<15} variance at layer 1: "
              f"{curves[act.__name__, scheme][0]:.3g}, at layer {DEPTH}: "
              f"{curves[act.__name__, scheme][-1]:.3g}")

fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
for ax, act in zip(axes, ("ReLU", "Tanh"), strict=True):
    for scheme in schemes:
        ax.semilogy(range(1, DEPTH + 1), curves[act, scheme], "o-", ms=3, label=scheme)
    ax.set(title=f"{act} network", xlabel="layer")
axes[0].set_ylabel("variance of the layer's output")
axes[1].legend()

# %%
# He keeps the ReLU network's signal at a constant scale; Xavier halves it at every layer;
# torch's default (``kaiming_uniform`` with ``a=sqrt(5)``, a variance of ``1 / (3 fan_in)``)
# shrinks it fastest. For tanh, Xavier's published gain of 1 lets the signal decay slowly
# (tanh is flatter than the identity away from zero), while ``kaiming_normal`` with
# ``nonlinearity="tanh"`` applies tanh's gain of 5/3 and holds it: the right gain depends on
# the activation, which is why ``initialize`` takes ``nonlinearity``.
#
# The per-layer diagnostics
# -------------------------
# :func:`tunecraft.torch.init_report` runs one batch forward and backward and reports each
# layer's activation and gradient scale, flags layers whose signal vanishes, explodes or
# saturates, and recommends a scheme. A 10-layer sigmoid network with torch's default init:
seed_everything(0)
sigmoid_net = mlp(nn.Sigmoid, n_in=64, n_out=10, depth=10, width=64)
print(init_report(sigmoid_net, torch.randn(256, 64)))

# %%
# The same shape with ReLU and He initialisation is healthy:
relu_net = mlp(nn.ReLU, n_in=64, n_out=10, depth=10, width=64)
initialize(relu_net, "kaiming_normal")
report = init_report(relu_net, torch.randn(256, 64))
print(f"healthy: {report.healthy}; flagged layers: {len(report.flagged())}")

# %%
# Does it matter for training?
# ----------------------------
# The 20-layer ReLU MLP on scikit-learn's digits, six epochs of SGD with momentum, once per
# scheme. :func:`tunecraft.torch.fit` applies the scheme named by ``TrainConfig.init``, so a
# study can search it like any other setting (``trial.suggest_categorical("init", [...])``).
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tunecraft.torch import TrainConfig, fit

digits_x, digits_y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((digits_x / 16).astype("float32"), digits_y,
                                                  test_size=0.25, random_state=0)
histories = {}
for scheme in ("torch_default", "xavier_normal", "kaiming_normal"):
    run = fit(lambda config: mlp(nn.ReLU, n_in=64, n_out=10, width=128), (x_train, y_train),
              (x_val, y_val), TrainConfig(lr=0.01, optimizer="sgd", momentum=0.9,
                                          init=scheme, seed=0), max_epochs=6)
    histories[scheme] = [h.val_accuracy for h in run.history]
    print(f"{scheme:<15} validation accuracy by epoch: "
          + " ".join(f"{a:.2f}" for a in histories[scheme]))

fig, ax = plt.subplots(figsize=(6, 3.4))
for scheme, accs in histories.items():
    ax.plot(range(1, len(accs) + 1), accs, "o-", label=scheme)
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
       title="20-layer ReLU MLP on digits")
ax.legend()
