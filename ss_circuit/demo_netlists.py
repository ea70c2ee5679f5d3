"""The committed netlists of the demo systems (``netlists/*.cir``), and how to regenerate them.

::

    python -m ss_circuit.demo_netlists            # rewrite netlists/*.cir
    python -m ss_circuit.demo_netlists --check    # exit 1 if a committed file differs

Each demo is a spec in ``examples/specs/`` (system, initial state, run options and the circuit's
noise mode and part values); :func:`render` turns one into text. Generation is deterministic
(seeded noise, fixed number format), so the tests regenerate every file and compare bytes, and
run each with plain ``ngspice -b``.

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

from ss_mech.serialize import atomic_write

__all__ = ["DEMOS", "render", "write_all", "NETLIST_DIR"]

NETLIST_DIR = Path(__file__).resolve().parent.parent / "netlists"


#: the demo specs (``examples/specs/NAME.json``) that have a committed netlist
DEMOS = ("sine_1d_4sticks", "grid_2d_3x3", "one_stick_samples")


def render(name: str) -> str:
    """The netlist text of demo ``name``: its spec's system, start, run and ``circuit`` options."""
    from ss_mech.spec import example_spec, load_spec

    from .simulate import netlist_from_spec

    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    return netlist_from_spec(load_spec(example_spec(name)), None, title=f"demo {name}")


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
            atomic_write(path, text)
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
