"""``mlp``: springs and sticks against small MLPs on eight functions of two variables.

Protocol (the issue's, following the paper's MLP comparison)
-------------------------------------------------------------
Data: ``u ~ U[0, 1]²``, 160 training and 160 held-out test points (the same inputs for every
function), targets ``f(u) + 0.01·ε`` with ``ε ~ N(0, 1)``; everything from ``seed``.

Springs and sticks: a 4 × 4 grid of sticks over ``[0, 1]²`` (25 nodes), total mass M = 1,
spring constant k = 1, friction γ = 10, T = 0, start heights uniform in [0, 1) at rest.
Mini-batches of 16 springs pull for 0.1 time units each, 10 epochs, batches reshuffled every
epoch (the authors' script uses a ``DataLoader(shuffle=True)``). Each batch integrates

    M ẍ = −k W_bᵀ(W_b x − y_b) − γ M ẋ

from where the previous batch left the machine (:func:`ss_mech.training.train`).

Baselines: an MLP 2 → 16 → 1 with ReLU (16 hidden units = the 16 cells of the grid), PyTorch's
default initialisation, plain SGD with learning rate 0.1 on the batch MSE, fed the *same*
mini-batches in the same order; and the same network with both layers' biases drawn from
N(0, 1) and frozen (``requires_grad=False``). The 16 networks (8 functions × 2) see the same
batches, so they are trained together in one batched forward/backward pass per batch
(:func:`train_mlps`; the same SGD as ``torch.optim.SGD`` per network, tested against it).

The full run also trains the machine with the authors' *published script* settings (friction 20,
1.0 time unit per batch — the script differs from the paper's text here), column ``ss_script``.

Yardstick: the least-squares optimum of the same piecewise-bilinear model on all 160 points,
``argmin_x ‖W x − y‖²`` — where the T = 0 machine would settle if all springs pulled at once.

Metrics
-------
Ours: the MSE over all 160 training points and over the 160 held-out points, after every
epoch (index 0 = before training).

The paper's ("paper metric"): *train* = the mean over an epoch's batches of the batch MSE
measured just before that batch acts (for SS, at the moment its springs attach; for the MLPs,
the loss of the forward pass before the SGD step); *test* for SS = the MSE on the springs
attached at the end of the epoch, i.e. the last training batch (the authors' ``loss()``
reads the machine's current potential energy, whatever points it is handed), for the MLPs
the real held-out MSE. Both are computed here so the paper's numbers can be compared like
with like.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ss_mech.oracles import least_squares
from ss_mech.grid import Grid
from ss_mech.system import System
from ss_mech.training import train
from ._common import format_table, pyplot, reproduction, require_complete, save_figure, steps

__all__ = ["FUNCTIONS", "PAPER_EPOCH10", "make_data", "train_springs_sticks", "make_mlp", "train_mlp",
           "train_mlps", "compare", "compare_one", "run"]

#: name → (formula, f(u) for u of shape (B, 2))
FUNCTIONS = {
    "sin_cos": ("sin x + cos y", lambda u: np.sin(u[:, 0]) + np.cos(u[:, 1])),
    "xy": ("x·y", lambda u: u[:, 0] * u[:, 1]),
    "x2_y2": ("x² − y²", lambda u: u[:, 0] ** 2 - u[:, 1] ** 2),
    "gauss": ("exp(−x² − y²)", lambda u: np.exp(-u[:, 0] ** 2 - u[:, 1] ** 2)),
    "log": ("log(1+|x|) − log(1+|y|)", lambda u: np.log1p(np.abs(u[:, 0])) - np.log1p(np.abs(u[:, 1]))),
    "tanh_xy": ("tanh(xy)", lambda u: np.tanh(u[:, 0] * u[:, 1])),
    "sin_xy": ("sin(xy)", lambda u: np.sin(u[:, 0] * u[:, 1])),
    "cos_sin": ("cos x + sin y", lambda u: np.cos(u[:, 0]) + np.sin(u[:, 1])),
}

#: The paper's figure at epoch 10, read off by the issue: model → (train, "test"); their SS
#: "test" is the last training batch.
PAPER_EPOCH10 = {
    "sin_cos": {"ss": (.0023, .0036), "mlp": (.0086, .0100), "mlp_frozen": (.0041, .0039)},
    "xy": {"ss": (.0002, .0002), "mlp": (.0059, .0068), "mlp_frozen": (.0137, .0169)},
    "x2_y2": {"ss": (.0009, .0012), "mlp": (.0134, .0171), "mlp_frozen": (.0082, .0114)},
    "gauss": {"ss": (.0006, .0011), "mlp": (.0072, .0081), "mlp_frozen": (.0039, .0042)},
    "log": {"ss": (.0006, .0009), "mlp": (.0049, .0048), "mlp_frozen": (.0017, .0017)},
    "tanh_xy": {"ss": (.0002, .0002), "mlp": (.0039, .0040), "mlp_frozen": (.0103, .0119)},
    "sin_xy": {"ss": (.0002, .0002), "mlp": (.0046, .0049), "mlp_frozen": (.0116, .0137)},
    "cos_sin": {"ss": (.0013, .0044), "mlp": (.0015, .0020), "mlp_frozen": (.0013, .0014)},
}

MODELS = ("ss", "mlp", "mlp_frozen")
MODEL_LABELS = {"ss": "springs & sticks", "mlp": "MLP", "mlp_frozen": "MLP, frozen biases", "ls": "least squares"}

N_STICKS = 4
HIDDEN = N_STICKS * N_STICKS


def make_data(seed: int = 0, *, n_train: int = 160, n_test: int = 160):
    """Inputs and unit noise draws: ``(X, X_test, eps, eps_test)``; targets are ``f(X) + 0.01·eps``."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, (n_train, 2))
    X_test = rng.uniform(0.0, 1.0, (n_test, 2))
    return X, X_test, rng.standard_normal(n_train), rng.standard_normal(n_test)


def _per_epoch(values: np.ndarray, n_batches: int) -> np.ndarray:
    """Reshape one value per batch into (epochs, batches per epoch)."""
    return np.asarray(values).reshape(-1, n_batches)


def train_springs_sticks(X, y, X_test, y_test, *, epochs: int = 10, batch_size: int = 16,
                         time_per_batch: float = 0.1, friction: float = 10.0, seed: int = 0) -> dict:
    """Train the 4 × 4 machine with the paper's protocol; histories in both metrics + the batches used."""
    system = System(Grid((N_STICKS, N_STICKS), (0.0, 0.0), (1.0, 1.0)), mass=1.0, stiffness=1.0,
                    friction=friction, temperature=0.0)
    res = train(system, X, y, batch_size=batch_size, epochs=epochs, time_per_batch=time_per_batch,
                shuffle=True, seed=seed, eval_set=(X_test, y_test), n_out_per_batch=2)
    require_complete(res.interrupted)
    n_batches = len(res.batches) // epochs
    # trajectory.loss holds, per batch, the batch MSE when its springs attach and when it ends.
    loss = res.trajectory.loss[:, 0].reshape(-1, 2)
    start, end = _per_epoch(loss[:, 0], n_batches), _per_epoch(loss[:, 1], n_batches)
    x_ls, ls_train = least_squares(system.with_data(X, y))
    ls_test = float(np.mean((system.predict(x_ls, X_test)[:, 0] - y_test) ** 2))
    return {"train": res.history["train_mse"], "test": res.history["test_mse"],
            "paper_train": start.mean(axis=1), "paper_test": end[:, -1],
            "ls": (ls_train, ls_test), "batches": res.batches, "x": res.x[0], "system": system}


def make_mlp(*, frozen_biases: bool, seed: int = 0, hidden: int = HIDDEN) -> "torch.nn.Sequential":
    """2 → hidden → 1 ReLU network, PyTorch's default initialisation from ``seed`` (float64).

    With ``frozen_biases`` both layers' biases are redrawn from N(0, 1) and excluded from
    training. The global torch RNG is left as it was.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)).double()
        if frozen_biases:
            with torch.no_grad():
                for layer in (net[0], net[2]):
                    layer.bias.copy_(torch.randn_like(layer.bias))
                    layer.bias.requires_grad_(False)
    return net


def train_mlps(nets: list, X, Y, X_test, Y_test, batches: list, *, epochs: int, lr: float = 0.1) -> list[dict]:
    """Plain SGD on the batch MSE for several 2 → H → 1 networks at once, each on its own targets.

    Parameters
    ----------
    nets : list of networks from :func:`make_mlp`; trained in place.
    X, X_test : (B, 2), (B_test, 2) inputs shared by every network.
    Y, Y_test : (B, G), (B_test, G) targets, column g for network g.
    batches : index arrays, ``epochs`` equal groups, applied in order to every network.
    lr : the SGD learning rate.

    All G networks run as one batched network: per batch one forward pass, one backward pass of
    the summed loss ``Σ_g L_g`` (whose gradient in network g's parameters is ``∂L_g/∂θ_g``), and
    the update ``θ_g ← θ_g − lr·∂L_g/∂θ_g`` on every parameter that requires grad — exactly
    ``torch.optim.SGD(lr)`` run on each network alone, at one sixteenth of the per-step overhead
    (and without loading ``torch.optim``, whose import pulls in ``torch._dynamo``: 1 s).
    Returns one history per network (as :func:`train_mlp`).
    """
    import torch

    from ss_mech.solvers.threads import solver_threads

    layers = [(0, "weight"), (0, "bias"), (2, "weight"), (2, "bias")]
    params = [torch.stack([getattr(n[i], a).detach() for n in nets]).clone().requires_grad_(True) for i, a in layers]
    # 1 where network g trains that parameter, 0 where it is frozen; shaped to broadcast over p[g]
    trainable = [torch.tensor([float(getattr(n[i], a).requires_grad) for n in nets], dtype=torch.float64)
                 .reshape((-1,) + (1,) * (p.dim() - 1)) for (i, a), p in zip(layers, params)]
    W1, b1, W2, b2 = params  # (G, H, 2), (G, H), (G, 1, H), (G, 1)

    def forward(A):  # (B, 2) -> (G, B)
        h = torch.relu(torch.matmul(A, W1.transpose(1, 2)) + b1[:, None, :])
        return torch.matmul(h, W2.transpose(1, 2))[..., 0] + b2

    Xt, Yt = torch.as_tensor(X), torch.as_tensor(np.asarray(Y)).T  # targets as (G, B)
    Xv, Yv = torch.as_tensor(X_test), torch.as_tensor(np.asarray(Y_test)).T

    def mse(A, T):
        with torch.no_grad():
            return torch.mean((forward(A) - T) ** 2, dim=1).tolist()

    G = len(nets)
    hist = [{"train": [], "test": [], "paper_train": [], "paper_test": []} for _ in range(G)]

    def record(before=None):
        for g, (tr, te) in enumerate(zip(mse(Xt, Yt), mse(Xv, Yv))):
            hist[g]["train"].append(tr)
            hist[g]["test"].append(te)
            if before is not None:
                hist[g]["paper_train"].append(float(np.mean(before[:, g])))
                hist[g]["paper_test"].append(te)

    n_batches = len(batches) // epochs
    with solver_threads(G * HIDDEN):  # one torch and BLAS thread: tiny networks
        record()
        for e in range(epochs):
            before = []
            for idx in batches[e * n_batches:(e + 1) * n_batches]:
                idx = torch.as_tensor(np.asarray(idx))
                loss = torch.mean((forward(Xt[idx]) - Yt[:, idx]) ** 2, dim=1)  # (G,)
                grads = torch.autograd.grad(loss.sum(), params)
                with torch.no_grad():
                    for p, g, m in zip(params, grads, trainable):
                        p.sub_(lr * g * m)
                before.append(loss.detach().numpy())
            record(np.array(before))
    with torch.no_grad():
        for (i, a), p in zip(layers, params):
            for g, n in enumerate(nets):
                getattr(n[i], a).copy_(p[g])
    return hist


def train_mlp(net, X, y, X_test, y_test, batches: list, *, epochs: int, lr: float = 0.1) -> dict:
    """Plain SGD on the batch MSE over the given batches (``epochs`` equal groups, in order):
    :func:`train_mlps` for one network."""
    return train_mlps([net], X, np.asarray(y)[:, None], X_test, np.asarray(y_test)[:, None], batches,
                      epochs=epochs, lr=lr)[0]


def compare(names: list[str], *, seed: int = 0, epochs: int = 10, data=None, script_settings: bool = False,
            progress: bool = False) -> tuple[dict, dict]:
    """All three models (and the least-squares yardstick) on each function of ``names``.

    ``script_settings`` adds ``ss_script``: the machine trained as the authors' published script
    does (friction 20, 1.0 time unit per batch instead of the paper text's 10 and 0.1).
    Returns ``(results by name, timing)``.
    """
    X, X_test, eps, eps_test = data if data is not None else make_data(seed)
    targets = {name: (FUNCTIONS[name][1](X) + 0.01 * eps, FUNCTIONS[name][1](X_test) + 0.01 * eps_test)
               for name in names}
    timing = {"ss_train_s": 0.0, "mlp_train_s": 0.0}
    out, batches = {}, None
    for name in steps(names, desc="mlp", progress=progress):
        y, y_test = targets[name]
        t0 = time.perf_counter()
        ss = train_springs_sticks(X, y, X_test, y_test, epochs=epochs, seed=seed)
        timing["ss_train_s"] += time.perf_counter() - t0
        out[name] = {"formula": FUNCTIONS[name][0],
                     "ss": {k: ss[k] for k in ("train", "test", "paper_train", "paper_test")},
                     "ls": {"train": ss["ls"][0], "test": ss["ls"][1]}}
        # the batch order depends on the seed and the number of points alone: the same for every function
        assert batches is None or all(np.array_equal(a, b) for a, b in zip(batches, ss["batches"]))
        batches = ss["batches"]
        if script_settings:
            t0 = time.perf_counter()
            alt = train_springs_sticks(X, y, X_test, y_test, epochs=epochs, seed=seed, friction=20.0,
                                       time_per_batch=1.0)
            out[name]["ss_script"] = {k: alt[k] for k in ("train", "test", "paper_train", "paper_test")}
            timing["ss_script_train_s"] = timing.get("ss_script_train_s", 0.0) + time.perf_counter() - t0
    t0 = time.perf_counter()
    runs = [(name, model) for name in names for model in ("mlp", "mlp_frozen")]
    nets = [make_mlp(frozen_biases=model == "mlp_frozen", seed=seed) for _, model in runs]
    hists = train_mlps(nets, X, np.stack([targets[n][0] for n, _ in runs], axis=1), X_test,
                       np.stack([targets[n][1] for n, _ in runs], axis=1), batches, epochs=epochs)
    for (name, model), h in zip(runs, hists):
        out[name][model] = h
    timing["mlp_train_s"] = time.perf_counter() - t0
    return out, timing


def compare_one(name: str, *, seed: int = 0, epochs: int = 10, data=None, script_settings: bool = False) -> dict:
    """:func:`compare` for one function (its result, with its ``timing``)."""
    results, timing = compare([name], seed=seed, epochs=epochs, data=data, script_settings=script_settings)
    return {**results[name], "timing": timing}


def _f(v: float) -> str:
    return f"{v:.4f}" if v >= 1e-4 else f"{v:.1e}"


def _tables(results: dict, epochs: int) -> tuple[str, list, str, list]:
    ours, paper = [], []
    for name, r in results.items():
        extra = [m for m in ("ss_script",) if m in r]
        ours.append([r["formula"]] + [f"{_f(r[m]['train'][epochs])}/{_f(r[m]['test'][epochs])}"
                                      for m in MODELS + tuple(extra)]
                    + [f"{_f(r['ls']['train'])}/{_f(r['ls']['test'])}"])
        ref = PAPER_EPOCH10.get(name)
        row = [r["formula"]]
        for m in MODELS:
            row.append(f"{_f(r[m]['paper_train'][-1])}/{_f(r[m]['paper_test'][-1])}")
            row.append("/".join(_f(v) for v in ref[m]) if ref else "—")
        paper.append(row)
    script = any("ss_script" in r for r in results.values())
    h1 = ["function", "SS", "MLP", "MLP frozen b."] + (["SS γ=20, t=1/batch"] if script else []) + ["LS optimum"]
    h2 = ["function", "SS ours", "SS paper", "MLP ours", "MLP paper", "MLPf ours", "MLPf paper"]
    t1 = format_table(h1, ours, title=f"Epoch {epochs}: MSE train (all 160 points) / held-out test (160 points)")
    t2 = format_table(h2, paper, title=f"Epoch {epochs}, the paper's metric (batch-averaged train / "
                                        "SS: last training batch, MLP: held-out)")
    return t1, [h1] + ours, t2, [h2] + paper


def _figure(results: dict, epochs: int, out: Path | None) -> str | None:
    plt = pyplot()
    n = len(results)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.7 * rows), squeeze=False, sharex=True)
    colors = {"ss": "tab:brown", "mlp": "tab:blue", "mlp_frozen": "tab:green"}
    ep = np.arange(epochs + 1)
    for ax, (name, r) in zip(axes.flat, results.items()):
        for m in MODELS:
            ax.semilogy(ep, r[m]["train"], "-o", ms=3, color=colors[m], label=f"{MODEL_LABELS[m]} train")
            ax.semilogy(ep, r[m]["test"], "--", color=colors[m], label=f"{MODEL_LABELS[m]} test")
        ax.axhline(r["ls"]["test"], color="k", ls=":", lw=1, label="least-squares optimum (test)")
        ax.set_title(r["formula"], fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.set_xticks(ep[::2])
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("MSE")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Springs and sticks (4×4, γ=10, T=0) vs MLP 2→16→1 (SGD, lr 0.1): "
                 "solid = all training points, dashed = held-out points", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    return save_figure(fig, out, "mlp_comparison.png", dpi=72)


@reproduction("mlp")
def run(*, out: Path | None, quick: bool, progress: bool, seed: int) -> dict:
    """Train SS, MLP and MLP with frozen biases on the eight functions; tables and a figure.

    ``quick``: two functions (sin x + cos y, x·y), 10 epochs as in the full run, and without the
    extra run at the authors' script settings.
    """
    start = time.perf_counter()
    names = ["sin_cos", "xy"] if quick else list(FUNCTIONS)
    epochs = 10
    results, timing = compare(names, seed=seed, epochs=epochs, data=make_data(seed), script_settings=not quick,
                              progress=progress)
    t1, rows1, t2, rows2 = _tables(results, epochs)
    figure = _figure(results, epochs, out) if out is not None else None
    timing["total_s"] = time.perf_counter() - start
    return {"epochs": epochs, "functions": results, "paper_epoch10": PAPER_EPOCH10,
            "table": t1 + "\n\n" + t2, "table_rows": {"ours": rows1, "paper_metric": rows2},
            "figures": [figure] if figure else [], "timing": timing}
