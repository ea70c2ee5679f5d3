"""Equipartition check of the two thermal-noise conventions: ⟨K⟩/(N k_BT/2) and position
variance against the Gibbs values, exact (Lyapunov) and simulated, for 1 … 8 sticks. Shows why
the toolkit defaults to ``noise='fdt'``: the paper's noise runs the machine cold.

    python examples/equilibrium.py [--out DIR] [--quick] [--json]

Same as ``springsticks reproduce equilibrium``; see :mod:`springsticks.reproduce.equilibrium`.
"""
from springsticks.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main("equilibrium"))
