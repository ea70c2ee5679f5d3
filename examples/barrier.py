"""The paper's "thermodynamic learning barrier": ΔF_min against k, the number of sticks, T and γ,
with the diagnostics that say what the number is (it grows with the sample count and the run length;
the average it estimates is infinite beyond γt ≈ 1.1; it does not depend on the data).

    python examples/barrier.py [--out DIR] [--quick] [--json]

Same as ``springsticks reproduce barrier``; see :mod:`springsticks.reproduce.barrier`.
"""
from springsticks.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main("barrier"))
