"""Benchmark: integration speed and memory vs system size (``springsticks bench``).

Each case runs in a fresh process so its peak resident memory is its own. Cases: 1-D grids
of 10³, 10⁴, 10⁵ sticks and 2-D grids of 32², 128², 512² with ~10 data points per node,
integrated with Euler–Maruyama at T > 0 (``fdt`` noise: one Brownian motion per damper).
The per-step cost should grow linearly with nodes + data points; the fitted exponent of
seconds/step vs degrees of freedom says whether it does. Last, the paper's MLP-comparison
configuration (2-D, 4×4 sticks, 160 points, batch 16, 10 epochs) is trained on all eight
functions and timed against the authors' reported ≈ 5.7 s per mini-batch.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import resource
import time

import numpy as np

CASES_FULL = [("1-D", (1000,)), ("1-D", (10_000,)), ("1-D", (100_000,)),
              ("2-D", (32, 32)), ("2-D", (128, 128)), ("2-D", (512, 512))]
CASES_QUICK = [("1-D", (1000,)), ("1-D", (10_000,)), ("2-D", (32, 32)), ("2-D", (64, 64))]
AUTHORS_SECONDS_PER_BATCH = 5.7


def _case(n_sticks, steps, queue):
    import torch
    from ss_mech import Grid, System, simulate
    from ss_mech.solvers.torchsde.stability import choose_step

    t0 = time.perf_counter()
    d = len(n_sticks)
    grid = Grid(n_sticks, (0.0,) * d, (1.0,) * d)
    rng = np.random.default_rng(0)
    B = 10 * grid.n_nodes
    X = rng.uniform(0, 1, (B, d))
    system = System(grid, friction=10.0, temperature=1e-3, X=X, y=np.sin(6 * X.sum(1)))
    dt, _ = choose_step(system, "euler", horizon=1.0)
    build = time.perf_counter() - t0
    n_out = 2
    tr = simulate(system, t_end=steps * dt, dt=dt, method="euler", n_out=n_out, save_states=False)
    queue.put({"n_sticks": list(n_sticks), "nodes": grid.n_nodes, "points": B, "dof": system.n_dof,
               "steps": tr.stats["steps"], "seconds_per_step": tr.stats["wall_time"] / tr.stats["steps"],
               "steps_per_s": tr.stats["steps"] / tr.stats["wall_time"],
               "cg_iterations_per_solve": tr.stats["cg_iterations"] / max(1, tr.stats["mass_solves"]),
               "build_s": build, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "threads": torch.get_num_threads()})


def _run_case(n_sticks, steps):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_case, args=(n_sticks, steps, q))
    p.start()
    res = q.get()
    p.join()
    return res


def _paper_config():
    from ss_mech.functions import sample_dataset
    from ss_mech.regressor import SpringsSticksRegressor

    names = ["sin_cos", "xy", "x2_y2", "gauss", "log", "tanh_xy", "sin_xy", "cos_sin"]
    t0 = time.perf_counter()
    for name in names:
        X, y = sample_dataset(name, dim=2, points=160, noise=0.01, seed=0)
        SpringsSticksRegressor(4, u_min=0, u_max=1, friction=10.0, epochs=10, batch_size=16,
                               time_per_batch=0.1).fit(X, y)
    total = time.perf_counter() - t0
    batches = len(names) * 10 * 10
    return {"functions": len(names), "seconds": total, "seconds_per_batch": total / batches,
            "speedup_vs_authors": AUTHORS_SECONDS_PER_BATCH * batches / total}


def run_benchmark(*, quick: bool = False, json_out: bool = False) -> dict:
    cases = CASES_QUICK if quick else CASES_FULL
    rows = []
    for label, n in cases:
        steps = 20 if np.prod(n) > 20_000 else 100
        r = _run_case(n, steps)
        r["grid"] = label
        rows.append(r)
        if not json_out:
            print(f"{label} {'x'.join(map(str, n)):>9} sticks  dof={r['dof']:>8}  points={r['points']:>8}  "
                  f"{r['steps_per_s']:9.1f} steps/s  CG it/solve={r['cg_iterations_per_solve']:4.1f}  "
                  f"peak RSS {r['peak_rss_mb']:7.0f} MB  (build {r['build_s']:.1f} s)", flush=True)
    dof = np.array([r["dof"] + r["points"] for r in rows], float)
    sec = np.array([r["seconds_per_step"] for r in rows])
    big = dof >= 1e4  # fixed per-step overheads dominate tiny systems
    slope = float(np.polyfit(np.log(dof[big]), np.log(sec[big]), 1)[0]) if big.sum() >= 2 else float("nan")
    paper = _paper_config()
    result = {"cases": rows, "scaling_exponent": slope, "paper_mlp_config": paper}
    if json_out:
        print(json.dumps(result))
    else:
        print(f"fitted exponent of seconds/step vs (dof + points), sizes >= 1e4: {slope:.2f}  (1 = linear)")
        print(f"paper MLP configuration: {paper['functions']} functions trained in {paper['seconds']:.1f} s "
              f"({paper['seconds_per_batch'] * 1e3:.1f} ms per mini-batch against the authors' ≈ "
              f"{AUTHORS_SECONDS_PER_BATCH} s per mini-batch: {paper['speedup_vs_authors']:.0f}x faster)")
    return result
