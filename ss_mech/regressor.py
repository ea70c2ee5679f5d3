"""A scikit-learn-style regressor whose learning is physics: :class:`SpringsSticksRegressor`."""
from __future__ import annotations

import numpy as np

from .grid import Grid
from .system import System
from .training import TrainingResult, train
from .validation import as_finite_array, positive_int

__all__ = ["SpringsSticksRegressor"]


class SpringsSticksRegressor:
    """Piecewise-(multi)linear regression learned by a springs-and-sticks machine.

    Every parameter is a keyword; ``fit`` returns ``self``; fitted attributes end in ``_``.

    Parameters
    ----------
    n_sticks : int or tuple of int
        Sticks per input axis (an int applies to every axis).
    mass, stiffness, friction, temperature, kb, noise
        Physics, see :class:`~ss_mech.system.System` (defaults: the paper's M = k = 1,
        friction 10, T = 0).
    time_per_batch : float
        Time each mini-batch's springs pull (the paper: 0.1).
    batch_size, epochs : int
        Mini-batch size and passes over the data (the paper: 16, 10).
    dt : float, optional
        Integration step (chosen from the stability limit when omitted).
    method : {'euler', 'srk', 'heun', 'midpoint'}
    u_min, u_max : sequence of float, optional
        The grid's box (default: the training data's bounding box).
    shuffle : bool
        Reshuffle points every epoch.
    seed : int
        Seeds the initial heights (uniform in [0, 1)), batch order and noise.
    progress : bool
        Progress bar over batches.

    Attributes
    ----------
    system_ : System
        The machine (no springs attached).
    x_ : ndarray (N,)
        Fitted node heights (node order × labels).
    heights_ : ndarray (n_1+1, …, n_d+1, m)
        The same, shaped as the grid.
    history_ : dict
        Per-epoch ``train_mse`` and ``test_mse`` (see :func:`~ss_mech.training.train`).
    trajectory_ : Trajectory
        Energies over the whole training run.
    batches_ : list of ndarray
        Row indices of ``X`` in each mini-batch, in the order the springs were attached.
    interrupted_ : bool
        True when Ctrl-C stopped the training; the state reached is kept.
    n_features_in_, n_outputs_ : int
    """

    def __init__(self, n_sticks=4, *, mass: float = 1.0, stiffness: float = 1.0, friction: float = 10.0,
                 temperature: float = 0.0, kb: float = 1.0, noise: str = "fdt", time_per_batch: float = 0.1,
                 batch_size: int = 16, epochs: int = 10, dt: float | None = None, method: str = "euler",
                 u_min=None, u_max=None, shuffle: bool = True, seed: int = 0, progress: bool = False):
        self.n_sticks = n_sticks
        self.mass = mass
        self.stiffness = stiffness
        self.friction = friction
        self.temperature = temperature
        self.kb = kb
        self.noise = noise
        self.time_per_batch = time_per_batch
        self.batch_size = batch_size
        self.epochs = epochs
        self.dt = dt
        self.method = method
        self.u_min = u_min
        self.u_max = u_max
        self.shuffle = shuffle
        self.seed = seed
        self.progress = progress

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in (
            "n_sticks", "mass", "stiffness", "friction", "temperature", "kb", "noise", "time_per_batch",
            "batch_size", "epochs", "dt", "method", "u_min", "u_max", "shuffle", "seed", "progress")}

    def set_params(self, **params) -> "SpringsSticksRegressor":
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"invalid parameter {k!r}; valid: {', '.join(sorted(valid))}")
            setattr(self, k, v)
        return self

    def __repr__(self):
        return f"SpringsSticksRegressor({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    # ------------------------------------------------------------------ fitting
    def _grid(self, X: np.ndarray) -> Grid:
        d = X.shape[1]
        n = self.n_sticks
        n = (positive_int(n, "n_sticks"),) * d if np.ndim(n) == 0 else tuple(n)
        if len(n) != d:
            raise ValueError(f"n_sticks has {len(n)} entries but X has {d} features")
        lo = X.min(axis=0) if self.u_min is None else np.broadcast_to(np.asarray(self.u_min, float), (d,))
        hi = X.max(axis=0) if self.u_max is None else np.broadcast_to(np.asarray(self.u_max, float), (d,))
        hi = np.where(hi > lo, hi, lo + 1.0)
        return Grid(n, tuple(lo), tuple(hi))

    def fit(self, X, y, *, eval_set=None) -> "SpringsSticksRegressor":
        """Train on ``(X, y)``; ``eval_set=(X_test, y_test)`` records held-out MSE per epoch."""
        X = as_finite_array(X, "X", ndim=2)
        y = as_finite_array(y, "y")
        if X.shape[0] == 0:
            raise ValueError("X is empty: fit needs at least one training point")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        self._y_1d = y.ndim == 1
        Y = y[:, None] if y.ndim == 1 else y
        system = System(self._grid(X), n_labels=Y.shape[1], mass=self.mass, stiffness=self.stiffness,
                        friction=self.friction, temperature=self.temperature, kb=self.kb, noise=self.noise)
        result: TrainingResult = train(
            system, X, Y, batch_size=self.batch_size, epochs=self.epochs, time_per_batch=self.time_per_batch,
            dt=self.dt, method=self.method, seed=self.seed, shuffle=self.shuffle, eval_set=eval_set,
            progress=self.progress)
        self.system_ = system
        self.x_ = result.x[0]
        self.heights_ = self.x_.reshape(system.grid.shape + (system.n_labels,))
        self.history_ = result.history
        self.trajectory_ = result.trajectory
        self.batches_ = result.batches
        self.interrupted_ = result.interrupted
        self.n_features_in_ = X.shape[1]
        self.n_outputs_ = Y.shape[1]
        return self

    def _check_fitted(self):
        if not hasattr(self, "x_"):
            raise RuntimeError("this SpringsSticksRegressor is not fitted yet: call fit(X, y) first")

    def predict(self, X) -> np.ndarray:
        """Predictions, (B,) for one output, (B, m) otherwise. Inputs outside the box are
        clamped onto it (with an OutsideGridWarning): the machine has no sticks beyond it."""
        self._check_fitted()
        X = as_finite_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the regressor was fitted on {self.n_features_in_}")
        pred = self.system_.predict(self.x_, X, outside="clip")
        return pred[:, 0] if self._y_1d else pred

    def mse(self, X, y) -> float:
        pred = self.predict(X)
        return float(np.mean((pred - np.asarray(y, float).reshape(pred.shape)) ** 2))

    def score(self, X, y) -> float:
        """Coefficient of determination R² (scikit-learn's regressor convention)."""
        y = np.asarray(y, float)
        pred = self.predict(X).reshape(y.shape)
        ss_res = np.sum((y - pred) ** 2)
        ss_tot = np.sum((y - y.mean(axis=0)) ** 2)
        return float(1.0 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
