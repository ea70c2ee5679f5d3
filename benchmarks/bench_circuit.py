"""ngspice wall time vs circuit size and vs the number of noise sources.

    python benchmarks/bench_circuit.py            # default run, well under 2 minutes
    python benchmarks/bench_circuit.py --quick    # smaller sizes (seconds)

Every run is one shared-mode transient in this process (``simulate_circuit``, samples = 1),
over the same horizon and maximum step, so the time per accepted point compares circuits.

1. Size: 1-D grids of n sticks on 2n data points at T = 0. The circuit has 4 elements per stick
   (2 inductors, 2 resistors), one capacitor per point, one loop per node; each element adds
   one F source per lever entry and one E source per loop it appears in.
2. Noise sources: the same grids at T > 0, one Johnson source per resistor (two per stick), as ``samples`` (external sources, fed by a Python callback, with
   a breakpoint clock at every knot) and as ngspice's TRNOISE, with the same knot spacing. The
   ratio to the noiseless run is the cost of the noise.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ss_mech import Grid, System  # noqa: E402

from ss_circuit import simulate_circuit  # noqa: E402


def chain(n: int, temperature: float) -> System:
    X = np.linspace(0.0, 1.0, 2 * n)[:, None]
    return System(Grid((n,), (0.0,), (1.0,)), X=X, y=np.sin(2 * np.pi * X[:, 0]), mass=1.0, stiffness=1.0,
                  friction=4.0, temperature=temperature)


def run(system, *, t_end, dt, noise_mode, dt_noise):
    start = time.perf_counter()
    traj = simulate_circuit(system, t_end=t_end, dt=dt, x0=np.zeros(system.n_dof), n_out=11,
                            noise_mode=noise_mode, dt_noise=dt_noise if system.thermal else None)
    wall = time.perf_counter() - start
    return traj, wall


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="ngspice wall time vs circuit size and noise sources")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--t-end", type=float, default=2.0)
    p.add_argument("--dt", type=float, default=2e-3, help="ngspice's maximum step (mechanical time)")
    args = p.parse_args(argv)
    sizes = (2, 8, 32) if args.quick else (2, 8, 32, 128)
    dt_noise = 5 * args.dt  # one knot per 5 maximal steps, the same for every size

    print(f"horizon t_end = {args.t_end}, max step dt = {args.dt}, noise knots every {dt_noise}")
    print("\n1. size (T = 0)")
    print(f"{'sticks':>7} {'elements':>9} {'points':>7} {'ngspice s':>10} {'us/point':>9} {'us/pt/elem':>11} {'time ratio':>10}")
    base = None
    for n in sizes:
        traj, wall = run(chain(n, 0.0), t_end=args.t_end, dt=args.dt, noise_mode="none", dt_noise=None)
        el, pts, ng = traj.meta["elements"]["total"], traj.stats["points"], traj.stats["ngspice_time"]
        base = base or ng
        print(f"{n:7d} {el:9d} {pts:7d} {ng:10.3f} {1e6 * ng / pts:9.1f} {1e6 * ng / pts / el:11.3f} {ng / base:10.2f}")

    print("\n2. noise sources (T > 0; ratio = time / time of the same circuit without noise)")
    print(f"{'sticks':>7} {'sources':>8} {'mode':>8} {'points':>7} {'ngspice s':>10} {'callbacks':>10} "
          f"{'us/point':>9} {'ratio':>7}")
    for n in sizes:
        system = chain(n, 1.0)
        quiet, _ = run(system, t_end=args.t_end, dt=args.dt, noise_mode="none", dt_noise=None)
        t0 = quiet.stats["ngspice_time"]
        for mode in ("samples", "trnoise"):
            traj, wall = run(system, t_end=args.t_end, dt=args.dt, noise_mode=mode, dt_noise=dt_noise)
            s = traj.stats
            print(f"{n:7d} {traj.meta['elements']['noise_sources']:8d} {mode:>8} {s['points']:7d} "
                  f"{s['ngspice_time']:10.3f} {s['source_calls']:10d} {1e6 * s['ngspice_time'] / s['points']:9.1f} "
                  f"{s['ngspice_time'] / t0:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
