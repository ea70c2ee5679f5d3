"""The paper's demonstrations: a chain of sticks relaxing onto noisy sine data (figure + GIF
of the relaxation) and a 2-D surface fitted with mini-batches.

    python examples/fit.py [--out DIR] [--quick] [--json]

Same as ``springsticks reproduce fit``; see :mod:`springsticks.reproduce.fit` for the setting.
"""
from springsticks.reproduce import main

if __name__ == "__main__":
    raise SystemExit(main("fit"))
