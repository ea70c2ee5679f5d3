"""Regenerate every reproduction's figures, tables and JSON into ``docs/results`` (a few minutes
on two cores).

    python examples/reproduce_all.py [--out DIR] [--quick]
"""
import argparse
import os
import time
from pathlib import Path

from springsticks.reproduce import REPRODUCTIONS

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--out", default="docs/results", help="relative to the repository root (default: %(default)s)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent.parent)  # paths recorded in the JSON stay relative
    start = time.perf_counter()
    for name, run in REPRODUCTIONS.items():
        result = run(out=Path(args.out), quick=args.quick, progress=True)
        print(f"== {name} ({result['runtime_s']} s)\n{result['table']}\n")
    print(f"all done in {time.perf_counter() - start:.0f} s; figures and JSON in {args.out}")
