"""Springs and sticks (4×4 sticks, γ = 10, T = 0) against a 2→16→1 ReLU MLP and the same MLP
with frozen random biases, on eight functions of two variables; per-epoch train and held-out
MSE, a figure of the curves and the epoch-10 table next to the paper's.

    python examples/mlp.py [--out DIR] [--quick] [--json]

Same as ``springsticks reproduce mlp``; see :mod:`springsticks.reproduce.mlp` for the protocol.
"""
from springsticks.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main("mlp"))
