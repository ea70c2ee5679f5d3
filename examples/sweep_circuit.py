"""A circuit sweep: the one-stick machine as an ngspice circuit, on the Dask workers.

6 points (friction γ = 1, 2, 4 × k_BT = 0.5, 1), each 16 runs of the circuit (Johnson noise fed
as seeded samples) over 4 time units from a Gibbs start with Maxwell velocities: in equilibrium
the kinetic ratio ⟨K⟩/(N k_BT/2) is 1 and the mean loss is ⟨MSE⟩_eq, whatever γ and T. Each
worker runs its samples in its own process (libngspice is not thread-safe: one thread a worker).

    python examples/sweep_circuit.py [--out DIR] [--workers N | --scheduler ADDRESS]

The same from the shell::

    springsticks sweep examples/specs/one_stick_samples.json --backend circuit \\
        --vary physics.friction=1,2,4 --vary physics.temperature=0.5,1 \\
        --vary run.t_end=4 --vary run.samples=16 --vary initial.x=gibbs --vary initial.v=maxwell \\
        --out out/sweep_circuit
    springsticks sweep plot out/sweep_circuit --x physics.friction --y kinetic_ratio --hue physics.temperature
"""
import argparse
from pathlib import Path

from springsticks.cli import main

SPEC = Path(__file__).resolve().parent / "specs" / "one_stick_samples.json"
AXES = ["--vary", "physics.friction=1,2,4", "--vary", "physics.temperature=0.5,1", "--vary", "run.t_end=4",
        "--vary", "run.samples=16", "--vary", "initial.x=gibbs", "--vary", "initial.v=maxwell"]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out/sweep_circuit")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int)
    where.add_argument("--scheduler")
    args = ap.parse_args()
    run = ["sweep", str(SPEC), "--backend", "circuit", *AXES, "--out", args.out]
    run += ["--workers", str(args.workers)] if args.workers else ["--scheduler", args.scheduler] if args.scheduler else []
    code = main(run)
    if code not in (0, 3):
        raise SystemExit(code)
    for y, ref in (("kinetic_ratio", None), ("final_mse", "equilibrium_mse")):
        main(["sweep", "plot", args.out, "--x", "physics.friction", "--y", y, "--hue", "physics.temperature"]
             + (["--reference", ref] if ref else []))
