"""The committed netlists of the demo systems (``netlists/*.cir``), and how to regenerate them.

::

    python -m ss_circuit.demo_netlists            # rewrite netlists/*.cir
    python -m ss_circuit.demo_netlists --check    # exit 1 if a committed file differs

Each demo is a system, an initial state and run options; :func:`render` turns one into text.
Generation is deterministic (seeded noise, fixed number format), so the tests regenerate every
file and compare bytes, and run each with plain ``ngspice -b``.

* ``sine_1d_4sticks`` — 4 sticks learning 12 points of a sine from a flat start, T = 0: the
  deterministic learning dynamics (no noise sources).
* ``grid_2d_3x3`` — a 3×3 grid of sticks (16 nodes, 24 sticks) on 16 points of a 2-D function
  at 300 K in SI units (k_B = 1.380649e-23), with realistic parts (1 µH stick inductors, 1 pF
  spring capacitors) and ngspice's TRNOISE generators, like a hardware noise source.
* ``one_stick_samples`` — the smallest thermal system with seeded noise samples written as
  PWL data (the reproducible form of the noise).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

__all__ = ["DEMOS", "render", "write_all", "NETLIST_DIR"]

NETLIST_DIR = Path(__file__).resolve().parent.parent / "netlists"


def _sine():
    from ss_mech import Grid, System

    X = np.linspace(0.0, 2 * np.pi, 12)[:, None]
    system = System(Grid((4,), (0.0,), (2 * np.pi,)), X=X, y=np.sin(X[:, 0]), mass=1.0, stiffness=1.0, friction=4.0)
    return system, dict(x0=np.zeros(system.n_dof), t_end=10.0, dt=0.005, n_out=101, noise="none")


def _grid():
    from ss_mech import Grid, System

    from .scaling import Scaling

    u = np.linspace(0.0, 1.0, 4)
    X = np.stack(np.meshgrid(u, u, indexing="ij"), axis=-1).reshape(-1, 2) * 0.9 + 0.05
    y = np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1])
    system = System(Grid((3, 3), (0.0, 0.0), (1.0, 1.0)), X=X, y=y, mass=1.0, stiffness=1.0, friction=4.0,
                    temperature=300.0, kb=1.380649e-23)
    return system, dict(x0=np.zeros(system.n_dof), t_end=1.0, dt=0.002, n_out=51, noise="trnoise",
                        scaling=Scaling.for_parts(system, inductance=1e-6, capacitance=1e-12))


def _one_stick():
    from ss_mech import Grid, System

    system = System(Grid((1,), (0.0,), (1.0,)), X=[[0.0], [1.0]], y=[0.3, -0.2], mass=1.0, stiffness=1.0,
                    friction=2.0, temperature=1.0)
    return system, dict(x0=np.array([0.3, -0.2]), t_end=0.2, dt=0.001, n_out=21, noise="samples", seed=0)


DEMOS = {"sine_1d_4sticks": _sine, "grid_2d_3x3": _grid, "one_stick_samples": _one_stick}


def render(name: str) -> str:
    """The netlist text of demo ``name``."""
    from .netlist import write_netlist

    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    system, kw = DEMOS[name]()
    return write_netlist(system, None, title=f"demo {name}", **kw)


def write_all(folder: Path = NETLIST_DIR, *, check: bool = False) -> list[str]:
    """Write every demo netlist into ``folder`` (or, with ``check``, list those that differ)."""
    folder = Path(folder)
    differ = []
    for name in DEMOS:
        path = folder / f"{name}.cir"
        text = render(name)
        if check:
            if not path.exists() or path.read_text() != text:
                differ.append(str(path))
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return differ


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--out", default=str(NETLIST_DIR), help="folder (default: the repository's netlists/)")
    args = p.parse_args(argv)
    differ = write_all(Path(args.out), check=args.check)
    for path in differ:
        print(f"differs: {path}")
    if not args.check:
        print(f"wrote {len(DEMOS)} netlists into {args.out}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
