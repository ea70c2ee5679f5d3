"""The paper's barrier heatmap over (T, γ) as a sweep of your own function (the Python API).

Each cell is one call of the barrier reproduction's per-cell function,
:func:`springsticks.reproduce.barrier.k_sweep`: the authors' protocol (one stick, their 20
points, k = M over logspace(−30, −15), ``paper`` noise, t = 5) at one (T, γ), giving
ΔF_min = min_k(−ΔF_est). The cells run on Dask workers and land in a resumable store; the
figure is ΔF_min / (3.6·10⁻²²·T·γ), 1 where the paper's fit holds. Small by default (4 k
values, 100 samples a run, 3 × 3 cells: about a minute on 2 cores); ``--full`` is the
reproduction's grid (15 k values, 1000 samples, 5 × 6 cells).

    python examples/sweep_barrier.py [--out DIR] [--workers N | --scheduler ADDRESS] [--full]

What the number measures (it grows with the sample count and the run length, not with the
data) is in the README's barrier section and ``springsticks reproduce barrier``.
"""
import argparse
import json

import numpy as np

from springsticks.sweep import plot_sweep, point_key, point_seed, sweep, write_summary


def cell(p: dict) -> dict:
    """One heatmap cell: the k sweep at (T, γ) (runs on a worker)."""
    from springsticks.reproduce.barrier import PAPER_COEFFICIENT, k_sweep

    seed = point_seed(p["seed"], point_key({"T": p["T"], "gamma": p["gamma"]}))
    sw = k_sweep(1, np.logspace(-30, -15, p["n_k"]), p["T"], p["gamma"], p["samples"], seed, (0,))
    return {"df_min_J": sw["df_min"], "df_min_over_kT": sw["df_min_over_kT"], "k_at_min": sw["k_at_min"],
            "ratio_to_paper": sw["df_min"] / (PAPER_COEFFICIENT * p["T"] * p["gamma"]),
            "n_negative": sw["n_negative"]}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out/sweep_barrier")
    ap.add_argument("--full", action="store_true", help="the reproduction's grid (much longer)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int)
    where.add_argument("--scheduler")
    args = ap.parse_args()
    if args.full:
        Ts, gammas, n_k, samples = list(np.logspace(-1, 2, 5)), [0.25, 0.5, 1.0, 2.0, 4.0, 8.0], 15, 1000
    else:
        Ts, gammas, n_k, samples = [0.1, 1.0, 10.0], [0.5, 1.0, 4.0], 4, 100
    points = [{"T": float(T), "gamma": g, "n_k": n_k, "samples": samples, "seed": 0} for T in Ts for g in gammas]
    res = sweep(cell, points, store=args.out, workers=args.workers, scheduler=args.scheduler,
                description={"task": "barrier cell (k_sweep)", "backend": "mech", "axes": ["T", "gamma"],
                             "points": len(points)})
    figure = plot_sweep(args.out, x="T", y="ratio_to_paper", hue="gamma", heatmap=True)
    write_summary(args.out, figures=[figure])
    print(json.dumps({**res.summary(), "figure": figure}))
