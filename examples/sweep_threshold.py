"""The learning threshold map: final MSE against k/k_BT for several temperatures, on Dask.

33 points (3 temperatures × 11 stiffnesses, k = M tied as the paper sweeps them), each an
ensemble of 64 runs of the 1-D sine machine (4 sticks, 12 points, γ = 4, ``fdt`` noise, a
uniform start with Maxwell velocities) for 6 time units (12 slowest relaxation times), against
the exact equilibrium ⟨MSE⟩_eq = MSE_LS + k_BT·rank(W)/(k·B) (DESIGN.md §6.2). With k = M the
dynamics depend on k/k_BT only, so the three temperatures fall on one curve.

    python examples/sweep_threshold.py [--out DIR] [--workers N | --scheduler ADDRESS] [--figure PNG]

The same from the shell::

    springsticks sweep examples/specs/threshold_sine.json --vary physics.temperature=0.01,0.1,1 \\
        --vary physics.stiffness=logspace:-3:2:11 --vary physics.mass=logspace:-3:2:11 \\
        --zip physics.stiffness,physics.mass --out out/sweep_threshold
    springsticks sweep plot out/sweep_threshold --x k_over_kT --y final_mse \\
        --hue physics.temperature --reference equilibrium_mse

Rerunning resumes (finished points are read from the store). About a minute on 2 cores.
"""
import argparse
import json
import math
from pathlib import Path

from springsticks.cli import main
from springsticks.sweep import Store

SPEC = Path(__file__).resolve().parent / "specs" / "threshold_sine.json"
AXES = ["--vary", "physics.temperature=0.01,0.1,1", "--vary", "physics.stiffness=logspace:-3:2:11",
        "--vary", "physics.mass=logspace:-3:2:11", "--zip", "physics.stiffness,physics.mass"]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out/sweep_threshold")
    ap.add_argument("--figure", help="the figure's path (default: in --out)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int)
    where.add_argument("--scheduler")
    args = ap.parse_args()
    run = ["sweep", str(SPEC), *AXES, "--out", args.out]
    run += ["--workers", str(args.workers)] if args.workers else ["--scheduler", args.scheduler] if args.scheduler else []
    code = main(run)
    if code not in (0, 3):
        raise SystemExit(code)
    plot = ["sweep", "plot", args.out, "--x", "k_over_kT", "--y", "final_mse", "--hue", "physics.temperature",
            "--reference", "equilibrium_mse", "--title", "1-D sine machine, k = M, 64 runs a point: final MSE "
            "(points) vs the exact ⟨MSE⟩_eq (dashed)"] + (["-o", args.figure] if args.figure else [])
    main(plot)
    with Store(args.out) as st:
        rows = [r for r in st.table() if r["status"] == "done"]
    z = [(r["final_mse"] - r["equilibrium_mse"]) / r["final_mse_sem"] for r in rows]
    print(json.dumps({"points": len(rows), "max_abs_z_vs_equilibrium": max(map(abs, z)),
                      "rms_z": math.sqrt(sum(v * v for v in z) / len(z))}))
