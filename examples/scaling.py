"""Approximation error of the T = 0 machine against the number of sticks (1-D, 20 points,
x², x³, sin x, exp(x/π)) and the log-log slopes (≈ −2) next to the paper's.

    python examples/scaling.py [--out DIR] [--quick] [--json]

Same as ``springsticks reproduce scaling``; see :mod:`springsticks.reproduce.scaling`.
"""
from springsticks.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main("scaling"))
