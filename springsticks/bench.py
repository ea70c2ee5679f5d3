"""Benchmarks (``springsticks bench``): ratios measured in one process, not absolute claims.

Every figure that matters is a ratio of two timings taken in the same process, one right after
the other, so a busy or slow machine moves both:

* **step / mat-vec** — for 1-D grids of 10³…10⁶ sticks and 2-D grids of 32²…1024² (quick: the
  small half) with ~10 data points per node: the seconds of one Euler–Maruyama step at T > 0
  (``fdt`` noise, one Brownian motion per damper; the fastest of three runs' means) divided by the
  seconds (the fastest of seven) of one bare sparse
  product ``W x`` plus ``Wᵀ r`` of the same data (the least any step must do). Each case runs in
  a fresh process, so its peak resident memory is its own; the fitted exponent of seconds/step
  against dof + points says whether the cost grows linearly.
* **the paper's MLP configuration** (2-D, 4×4 sticks, 160 points, batches of 16 for 0.1 time
  units, 10 epochs, 8 functions): the springs-and-sticks training time with the exact solver
  (``method='auto'`` picks it), with torchsde's euler and srk, against the authors' reported
  5.7 s per mini-batch × 800 mini-batches = 4560 s; and the wall time of
  ``springsticks reproduce mlp --json`` with its own ``timing`` object.
* **ngspice** — wall time per accepted time point and per element for 1-D circuits of 2…128
  sticks at T = 0 (4 elements per stick, a capacitor per point), and the cost of the noise: the
  same circuits at T > 0 with one Johnson source per resistor, fed as sampled knots
  (``samples``) or as ngspice's TRNOISE, as a ratio to the noiseless run.
* **start-up** — ``springsticks --help``, wall time of the whole process.
* **sweeps** (``--sweep``, instead of the above) — points per second of a small ``simulate``
  sweep on 1 and 2 Dask workers, the parallel efficiency and the engine's overhead per point
  against a plain loop (:mod:`springsticks.sweep.bench`).

``--json`` prints one object with every number.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import resource
import subprocess
import sys
import time

import numpy as np

CASES_FULL = [("1-D", (1000,)), ("1-D", (10_000,)), ("1-D", (100_000,)), ("1-D", (1_000_000,)),
              ("2-D", (32, 32)), ("2-D", (128, 128)), ("2-D", (512, 512)), ("2-D", (1024, 1024))]
CASES_QUICK = [("1-D", (1000,)), ("1-D", (10_000,)), ("2-D", (32, 32)), ("2-D", (64, 64))]
AUTHORS_SECONDS_PER_BATCH = 5.7
AUTHORS_BATCHES = 800
MLP_FUNCTIONS = ["sin_cos", "xy", "x2_y2", "gauss", "log", "tanh_xy", "sin_xy", "cos_sin"]


def _best(fn, repeats: int) -> float:
    """The fastest of ``repeats`` timings of ``fn()`` (seconds)."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _case(n_sticks, steps, queue):
    import torch

    from ss_mech import Grid, System, simulate
    from ss_mech.solvers.torchsde.linalg import to_torch_csr
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
    # both sides as the best of repeats: a step's time is the fastest of three runs' means, as the
    # mat-vec's is the fastest of seven (a single run's mean carried the first call's set-up and
    # every stall of a shared machine, the baseline's minimum none of them)
    per_step, peak = np.inf, None
    for _ in range(3):
        tr = simulate(system, t_end=steps * dt, dt=dt, method="euler", n_out=2, save_states=False)
        per_step = min(per_step, tr.stats["wall_time"] / tr.stats["steps"])
        # one run's memory: before the repeats' allocator churn and the baseline's own copies of W
        peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    W = to_torch_csr(system.W)
    x = torch.ones(grid.n_nodes, 1, dtype=torch.float64)
    r = torch.ones(B, 1, dtype=torch.float64)
    Wt = to_torch_csr(system.W.T.tocsr())
    matvec = _best(lambda: (W @ x, Wt @ r), 7)
    queue.put({"n_sticks": list(n_sticks), "nodes": grid.n_nodes, "points": B, "dof": system.n_dof,
               "steps": tr.stats["steps"], "seconds_per_step": per_step, "steps_per_s": 1.0 / per_step,
               "matvec_s": matvec, "step_over_matvec": per_step / matvec, "mass_solver": tr.meta["mass_solver"],
               "build_s": build, "peak_rss_mb": peak,
               "threads": torch.get_num_threads()})


def _run_case(n_sticks, steps):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_case, args=(n_sticks, steps, q))
    p.start()
    res = q.get()
    p.join()
    return res


def _paper_config(method: str) -> float:
    """Seconds to train the 4×4 machine on the 8 functions with the paper's protocol, after one
    untimed epoch on the first (so that imports and first-call set-up are not counted)."""
    from ss_mech.functions import sample_dataset
    from ss_mech.regressor import SpringsSticksRegressor

    def fit(name, epochs):
        X, y = sample_dataset(name, dim=2, points=160, noise=0.01, seed=0)
        SpringsSticksRegressor(4, u_min=0, u_max=1, friction=10.0, epochs=epochs, batch_size=16,
                               time_per_batch=0.1, method=method).fit(X, y)

    fit(MLP_FUNCTIONS[0], 1)
    t0 = time.perf_counter()
    for name in MLP_FUNCTIONS:
        fit(name, 10)
    return time.perf_counter() - t0


def _chain(n: int, temperature: float):
    from ss_mech import Grid, System

    X = np.linspace(0.0, 1.0, 2 * n)[:, None]
    return System(Grid((n,), (0.0,), (1.0,)), X=X, y=np.sin(2 * np.pi * X[:, 0]), mass=1.0, stiffness=1.0,
                  friction=4.0, temperature=temperature)


def circuit_benchmark(*, quick: bool = False, t_end: float = 2.0, dt: float = 2e-3, say=print) -> dict:
    """ngspice seconds per point and element vs circuit size, and the cost ratio of the noise.

    Every run is one shared-mode transient in this process over the same horizon and maximum step
    (``dt``, mechanical time), so the time per accepted point compares circuits; noise knots every
    ``5·dt`` for every size.
    """
    from ss_circuit import simulate_circuit

    def run(system, mode):
        return simulate_circuit(system, t_end=t_end, dt=dt, x0=np.zeros(system.n_dof), n_out=11, noise_mode=mode,
                                dt_noise=5 * dt if system.thermal else None)

    sizes = (2, 8, 32) if quick else (2, 8, 32, 128)
    size_rows, noise_rows = [], []
    say(f"ngspice (t_end {t_end}, max step {dt}); size at T = 0:")
    for n in sizes:
        tr = run(_chain(n, 0.0), "none")
        el, pts, ng = tr.meta["elements"]["total"], tr.stats["points"], tr.stats["ngspice_time"]
        size_rows.append({"sticks": n, "elements": el, "points": pts, "ngspice_s": ng, "us_per_point": 1e6 * ng / pts,
                          "us_per_point_element": 1e6 * ng / pts / el})
        say(f"  {n:4d} sticks {el:5d} elements {pts:6d} points  {ng:7.3f} s  {1e6 * ng / pts:8.1f} us/point  "
            f"{1e6 * ng / pts / el:7.3f} us/point/element")
    say("ngspice noise cost (time / time of the same circuit without noise):")
    for n in sizes:
        system = _chain(n, 1.0)
        quiet = run(system, "none").stats["ngspice_time"]
        for mode in ("samples", "trnoise"):
            tr = run(system, mode)
            st = tr.stats
            noise_rows.append({"sticks": n, "sources": tr.meta["elements"]["noise_sources"], "mode": mode,
                               "points": st["points"], "ngspice_s": st["ngspice_time"],
                               "us_per_point": 1e6 * st["ngspice_time"] / st["points"],
                               "ratio_to_noiseless": st["ngspice_time"] / quiet})
            say(f"  {n:4d} sticks {noise_rows[-1]['sources']:5d} sources {mode:>8}  {st['ngspice_time']:7.3f} s  "
                f"ratio {st['ngspice_time'] / quiet:6.2f}")
    return {"size": size_rows, "noise": noise_rows, "t_end": t_end, "dt": dt}


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def run_benchmark(*, quick: bool = False, json_out: bool = False, sweep: bool = False) -> dict:
    if sweep:
        from .sweep.bench import run_sweep_benchmark
        return run_sweep_benchmark(quick=quick, json_out=json_out)
    say = (lambda *a, **k: None) if json_out else (lambda *a, **k: print(*a, **k, flush=True))
    cases = CASES_QUICK if quick else CASES_FULL
    rows = []
    for label, n in cases:
        steps = 10 if np.prod(n) > 200_000 else 20 if np.prod(n) > 20_000 else 100
        r = _run_case(n, steps)
        r["grid"] = label
        rows.append(r)
        say(f"{label} {'x'.join(map(str, n)):>9} sticks  dof={r['dof']:>8}  points={r['points']:>8}  "
            f"{r['steps_per_s']:9.1f} steps/s  step/mat-vec {r['step_over_matvec']:6.1f}  "
            f"mass solve {r['mass_solver']:<6}  peak RSS {r['peak_rss_mb']:7.0f} MB  (build {r['build_s']:.1f} s)")
    size = np.array([r["dof"] + r["points"] for r in rows], float)
    sec = np.array([r["seconds_per_step"] for r in rows])
    big = size >= 1e4  # fixed per-step overheads dominate tiny systems
    slope = float(np.polyfit(np.log(size[big]), np.log(sec[big]), 1)[0]) if big.sum() >= 2 else float("nan")
    say(f"fitted exponent of seconds/step vs (dof + points), sizes >= 1e4: {slope:.2f}  (1 = linear)")

    authors = AUTHORS_SECONDS_PER_BATCH * AUTHORS_BATCHES
    paper = {"authors_s": authors}
    for method in ("auto", "euler", "srk"):
        s = _paper_config(method)
        paper[method] = {"seconds": s, "speedup_vs_authors": authors / s}
        say(f"paper MLP configuration, method={method:<5}: 8 functions in {s:.2f} s ({authors / s:,.0f}x the "
            f"authors' {authors:.0f} s)")
    exe = [sys.executable, "-m", "springsticks"]
    t0 = time.perf_counter()
    out = subprocess.run(exe + ["reproduce", "mlp", "--json"], check=True, capture_output=True, text=True)
    mlp = {"wall_s": time.perf_counter() - t0, "timing": json.loads(out.stdout).get("timing")}
    say(f"springsticks reproduce mlp --json: {mlp['wall_s']:.2f} s wall (its timing: {mlp['timing']})")
    circuit = circuit_benchmark(quick=quick, say=say)
    help_s = min(_wall(exe + ["--help"]) for _ in range(5))
    say(f"springsticks --help: {help_s:.3f} s (fastest of 5)")
    result = {"cases": rows, "scaling_exponent": slope, "paper_mlp_config": paper, "reproduce_mlp": mlp,
              "circuit": circuit, "help_s": help_s}
    if json_out:
        print(json.dumps(result))
    return result
