"""Target functions for demos, the CLI's ``fit`` and the paper's benchmarks.

Each entry maps inputs ``u`` (B × d) to targets (B,) and has a default box. The 1-D
functions of the paper's scaling study extend to d dimensions through ``s = Σ_i u_i``;
the eight two-variable functions of its MLP comparison are 2-D only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["TargetFunction", "FUNCTIONS", "get_function", "sample_dataset"]


@dataclass(frozen=True)
class TargetFunction:
    name: str
    formula: str
    fn: Callable[[np.ndarray], np.ndarray]
    box: tuple[float, float]
    dim: int | None = None  # None: any input dimension

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(np.asarray(u, float))
        if self.dim is not None and u.shape[1] != self.dim:
            raise ValueError(f"function {self.name!r} takes {self.dim} inputs, got {u.shape[1]}")
        return self.fn(u)


def _s(u):
    return u.sum(axis=1)


_TWO_PI = (0.0, 2 * np.pi)
_UNIT = (0.0, 1.0)
FUNCTIONS: dict[str, TargetFunction] = {f.name: f for f in [
    TargetFunction("sin", "sin(Σu)", lambda u: np.sin(_s(u)), _TWO_PI),
    TargetFunction("x2", "(Σu)²", lambda u: _s(u) ** 2, _TWO_PI),
    TargetFunction("x3", "(Σu)³", lambda u: _s(u) ** 3, _TWO_PI),
    TargetFunction("exp", "exp(Σu/π)", lambda u: np.exp(_s(u) / np.pi), _TWO_PI),
    TargetFunction("sin_cos", "sin x + cos y", lambda u: np.sin(u[:, 0]) + np.cos(u[:, 1]), _UNIT, 2),
    TargetFunction("xy", "x·y", lambda u: u[:, 0] * u[:, 1], _UNIT, 2),
    TargetFunction("x2_y2", "x² − y²", lambda u: u[:, 0] ** 2 - u[:, 1] ** 2, _UNIT, 2),
    TargetFunction("gauss", "exp(−x² − y²)", lambda u: np.exp(-u[:, 0] ** 2 - u[:, 1] ** 2), _UNIT, 2),
    TargetFunction("log", "log(1+|x|) − log(1+|y|)",
                   lambda u: np.log1p(np.abs(u[:, 0])) - np.log1p(np.abs(u[:, 1])), _UNIT, 2),
    TargetFunction("tanh_xy", "tanh(xy)", lambda u: np.tanh(u[:, 0] * u[:, 1]), _UNIT, 2),
    TargetFunction("sin_xy", "sin(xy)", lambda u: np.sin(u[:, 0] * u[:, 1]), _UNIT, 2),
    TargetFunction("cos_sin", "cos x + sin y", lambda u: np.cos(u[:, 0]) + np.sin(u[:, 1]), _UNIT, 2),
]}


def get_function(name: str) -> TargetFunction:
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {', '.join(FUNCTIONS)}")
    return FUNCTIONS[name]


def sample_dataset(name: str, *, dim: int, points: int, noise: float = 0.0, seed: int = 0,
                   box: tuple[float, float] | None = None):
    """``points`` inputs uniform in the function's box and their (noisy) targets, seeded."""
    f = get_function(name)
    if f.dim is not None and dim != f.dim:
        raise ValueError(f"function {name!r} takes dim={f.dim}, got dim={dim}")
    lo, hi = box if box is not None else f.box
    rng = np.random.default_rng(seed)
    X = rng.uniform(lo, hi, size=(points, dim))
    y = f(X) + noise * rng.standard_normal(points)
    return X, y
