"""Reproductions of "Learning with springs and sticks" (arXiv 2508.19015).

Each entry of :data:`REPRODUCTIONS` is a function
``run(*, out=None, quick=False, progress=False, seed=0) -> dict`` returning a JSON-ready
dict with a preformatted ``"table"`` (text), the numbers behind it, ``"figures"`` (paths of
the PNG/GIF files written under ``out``) and ``"runtime_s"``; with ``out`` it also writes
``<name>.json`` there. ``quick=True`` is a reduced run of a few seconds that keeps the shape
of the result (what the tests use).

========== ==========================================================================
name       what
========== ==========================================================================
fit        1-D chain relaxing onto noisy sine data (PNG + GIF), 2-D surface fit
mlp        springs and sticks vs MLPs (free / frozen biases) on 8 functions of (x, y)
scaling    L1 approximation error vs number of sticks, log-log slopes
equilibrium equipartition under the ``paper`` and ``fdt`` noise conventions
barrier    the paper's "thermodynamic learning barrier" (ΔF_min vs k, N_s, T, γ) and what it is
========== ==========================================================================

From the shell: ``springsticks reproduce NAME [--json] [--out DIR] [--quick]`` or
``python examples/NAME.py [--out DIR] [--quick] [--json]``.
"""
from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Mapping
from pathlib import Path

__all__ = ["REPRODUCTIONS", "main"]


class _Registry(Mapping):
    """name → ``run`` of the module of that name, imported when first asked for.

    ``springsticks reproduce NAME`` then loads only what that reproduction needs: importing all
    five up front cost 0.5 s of imports (the barrier's estimators and torchsde) that the MLP
    comparison, a 2.5 s run, never uses."""

    def __init__(self, names):
        self._names = tuple(names)

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        return importlib.import_module(f"{__name__}.{name}").run

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


REPRODUCTIONS = _Registry(["fit", "mlp", "scaling", "equilibrium", "barrier"])


def main(name: str, argv=None) -> int:
    """Command-line entry for ``examples/NAME.py``: run one reproduction and print its table."""
    if name not in REPRODUCTIONS:
        raise ValueError(f"unknown reproduction {name!r}; choose one of {', '.join(REPRODUCTIONS)}")
    run = REPRODUCTIONS[name]
    parser = argparse.ArgumentParser(description=(run.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--out", default=f"out/{name}", help="folder for figures and JSON (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="reduced run (seconds)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run(out=Path(args.out), quick=args.quick, progress=not args.json, seed=args.seed)
    print(json.dumps(result, indent=1) if args.json else result["table"])
    if not args.json:
        print("\nfigures: " + ", ".join(result["figures"]) + f"\nruntime: {result['runtime_s']} s")
    return 0
