"""A scikit-learn-compatible regressor whose learning is physics: :class:`SpringsSticksRegressor`.

The regressor honours scikit-learn's estimator contract by duck typing alone: this module never
imports scikit-learn (it is an optional, test-only dependency). ``get_params``/``set_params``
and ``__repr__`` are read off ``__init__``'s signature; ``__sklearn_tags__`` and the
scikit-learn flavour of :class:`NotFittedError` only reach for scikit-learn when scikit-learn
itself is already loaded and asks.
"""
from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np
import scipy.sparse as sp

from .grid import Grid
from .system import System
from .training import TrainingResult, train
from .validation import positive_int

__all__ = ["SpringsSticksRegressor", "NotFittedError"]


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``.

    Both a ``ValueError`` and an ``AttributeError``, like scikit-learn's ``NotFittedError``;
    when scikit-learn is loaded the regressor raises a subclass that is also scikit-learn's
    (so ``except sklearn.exceptions.NotFittedError`` catches it too).
    """


def _sklearn_not_fitted_error():
    """``NotFittedError`` that also derives from scikit-learn's, built once scikit-learn is loaded."""
    global _SklearnNotFittedError
    try:
        return _SklearnNotFittedError
    except NameError:
        from sklearn.exceptions import NotFittedError as _Sk  # only reached when sklearn is loaded

        class _SklearnNotFittedError(NotFittedError, _Sk):
            __doc__ = NotFittedError.__doc__

        _SklearnNotFittedError.__module__ = __name__
        return _SklearnNotFittedError


def __getattr__(name):  # lets pickle find the scikit-learn flavour in a fresh process
    if name == "_SklearnNotFittedError":
        return _sklearn_not_fitted_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _not_fitted(message: str) -> NotFittedError:
    cls = _sklearn_not_fitted_error() if "sklearn.exceptions" in sys.modules else NotFittedError
    return cls(message)


def _as_data(value, name: str, *, two_d: bool) -> np.ndarray:
    """``value`` as a finite float64 array, with scikit-learn's error types and messages.

    ``two_d=True`` (X): exactly 2-D, at least one row and one column. Otherwise (y): 1-D or 2-D.
    """
    if value is None:
        raise ValueError(f"SpringsSticksRegressor requires {name} to be passed, but the target {name} is None"
                         if name == "y" else f"{name} is None: expected an array of numbers")
    if sp.issparse(value):
        raise TypeError(f"{name} is a sparse {type(value).__name__}: sparse input is not supported; "
                        f"pass {name}.toarray()")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged rows
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported: {name} has complex entries")
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except TypeError as exc:  # e.g. a dict in an object array: keep numpy's message (and its type)
        raise TypeError(f"{name} must be numeric: {exc}") from None
    except ValueError as exc:  # e.g. strings that are not numbers
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if two_d:
        if arr.ndim != 2:
            raise ValueError(
                f"Expected 2D array, got {arr.ndim}D array instead: {name} has shape {arr.shape}. "
                "Reshape your data either using array.reshape(-1, 1) if your data has a single feature "
                "or array.reshape(1, -1) if it contains a single sample.")
        for axis, what in ((0, "sample"), (1, "feature")):
            if arr.shape[axis] == 0:
                raise ValueError(f"Found {name} with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 "
                                 "is required.")
    elif arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] == 0):
        raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, n_outputs), got {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(arr[where]) else "infinity"
        raise ValueError(f"{name} contains {what} (first at index {where}); remove or impute it")
    return arr


def _feature_names(X):
    """Column names of a DataFrame-like ``X`` when they are all strings (scikit-learn's rule), else None."""
    cols = getattr(X, "columns", None)
    if cols is None or sp.issparse(X):
        return None
    names = np.asarray(list(cols), dtype=object)
    return names if len(names) and all(isinstance(c, str) for c in names) else None


class SpringsSticksRegressor:
    """Piecewise-(multi)linear regression learned by a springs-and-sticks machine.

    Every parameter is a keyword; ``fit`` returns ``self``; fitted attributes end in ``_``.

    Parameters
    ----------
    n_sticks : int or tuple of int
        Sticks per input axis (an int applies to every axis). The grid has Π (n_i + 1)
        nodes, so keep it small in many dimensions (1 stick per axis: 2^d nodes).
    mass, stiffness, friction, temperature, kb, noise
        Physics, see :class:`~ss_mech.system.System` (defaults: the paper's M = k = 1,
        friction 10, T = 0).
    time_per_batch : float
        Time each mini-batch's springs pull (the paper: 0.1).
    batch_size, epochs : int
        Mini-batch size and passes over the data (the paper: 16, 10).
    dt : float, optional
        Integration step (chosen from the stability limit when omitted).
    method : {'auto', 'exact', 'euler', 'srk', 'heun', 'midpoint'}
        ``'auto'``: the exact solver at T = 0 for a small machine, Euler–Maruyama otherwise
        (:func:`ss_mech.solvers.resolve_method`).
    u_min, u_max : sequence of float, optional
        The grid's box (default: the training data's bounding box; a constant feature gets
        the box [value, value + 1]). Inputs outside the box at predict time are clamped onto it
        with an :class:`~ss_mech.grid.OutsideGridWarning`.
    shuffle : bool
        Reshuffle points every epoch.
    seed : int
        Seeds the initial heights (uniform in [0, 1)), batch order and noise (scikit-learn's
        ``random_state``; fitting twice with the same seed gives the same model).
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
    feature_names_in_ : ndarray of str
        Column names, only when ``X`` was a DataFrame with string column names.

    scikit-learn compatibility
    --------------------------
    The regressor follows scikit-learn's estimator contract without importing scikit-learn:
    parameters are introspected from ``__init__`` (so ``clone``, pipelines and grid searches
    work), inputs are validated as scikit-learn validates them (2-D ``X``; NaN, infinity,
    complex and sparse input rejected with a clear error; numeric ``object`` arrays and
    DataFrames accepted), ``y`` may be (n,) or (n, n_outputs), ``score`` is scikit-learn's R²,
    refitting starts afresh, and predicting before ``fit`` raises :class:`NotFittedError`.
    ``sample_weight`` is not supported. ``seed`` plays the part of ``random_state``.

    Every check of ``sklearn.utils.estimator_checks.check_estimator`` (scikit-learn 1.9)
    passes; none is declared an expected failure. Two physical facts shape the settings
    the checks need (see ``tests/test_regressor_contract.py``):

    * The grid has Π (n_i + 1) nodes, and some checks use 10 features: only ``n_sticks=1``
      (2^10 = 1024 nodes) keeps those fits small; ``n_sticks=3`` would mean 4^10 ≈ 10^6 nodes.
    * ``check_regressors_train`` asks for a training R² > 0.5 on 200 points in 10-D. A point's
      spring pulls on 2^d corners with weights whose squares sum to 2^-d at a cell's centre,
      so the machine relaxes up to ~2^d times slower than in 1-D: with the default settings
      (k = 1, 10 epochs of mini-batches) it scores −0.24, a stiff machine
      (``stiffness=1000``, one batch of 2 time units) 0.72.
    """

    def __init__(self, n_sticks=4, *, mass: float = 1.0, stiffness: float = 1.0, friction: float = 10.0,
                 temperature: float = 0.0, kb: float = 1.0, noise: str = "fdt", time_per_batch: float = 0.1,
                 batch_size: int = 16, epochs: int = 10, dt: float | None = None, method: str = "auto",
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

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """``__init__``'s parameter names, in signature order (the estimator's parameters)."""
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ must take its parameters by name, not as *{p.name}")
            if p.kind != p.VAR_KEYWORD:
                names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict:
        """Parameters as passed to ``__init__`` (``deep``: also ``name__sub`` of nested estimators)."""
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params) -> "SpringsSticksRegressor":
        """Set parameters (``name=value``, or ``name__sub=value`` for a nested estimator); returns self."""
        valid = self._get_param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid parameters: {', '.join(valid)}")
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params(deep=False).items())})"

    def __sklearn_tags__(self):
        # Called by scikit-learn only, so scikit-learn is loaded when this import runs.
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags
        return Tags(estimator_type="regressor",
                    target_tags=TargetTags(required=True, single_output=True, multi_output=True),
                    regressor_tags=RegressorTags(),
                    input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "x_")

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
        """Train on ``X`` (n_samples × n_features) and ``y`` ((n_samples,) or (n_samples, n_outputs)).

        ``eval_set=(X_test, y_test)`` records held-out MSE per epoch. Refitting starts afresh.
        """
        names = _feature_names(X)
        X = _as_data(X, "X", two_d=True)
        y = _as_data(y, "y", two_d=False)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        if eval_set is not None:
            eval_set = (self._check_X(eval_set[0], n_features=X.shape[1]), _as_data(eval_set[1], "y_test", two_d=False))
        Y = y[:, None] if y.ndim == 1 else y
        system = System(self._grid(X), n_labels=Y.shape[1], mass=self.mass, stiffness=self.stiffness,
                        friction=self.friction, temperature=self.temperature, kb=self.kb, noise=self.noise)
        result: TrainingResult = train(
            system, X, Y, batch_size=self.batch_size, epochs=self.epochs, time_per_batch=self.time_per_batch,
            dt=self.dt, method=self.method, seed=self.seed, shuffle=self.shuffle, eval_set=eval_set,
            progress=self.progress)
        self._y_1d = y.ndim == 1
        self.system_ = system
        self.x_ = result.x[0]
        self.heights_ = self.x_.reshape(system.grid.shape + (system.n_labels,))
        self.history_ = result.history
        self.trajectory_ = result.trajectory
        self.batches_ = result.batches
        self.interrupted_ = result.interrupted
        self.n_features_in_ = X.shape[1]
        self.n_outputs_ = Y.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _check_X(self, X, *, n_features: int | None = None) -> np.ndarray:
        """Validate prediction inputs against what ``fit`` saw (features and their names)."""
        if n_features is None:
            names, fitted = _feature_names(X), getattr(self, "feature_names_in_", None)
            if names is not None and fitted is None:
                warnings.warn(f"X has feature names, but {type(self).__name__} was fitted without feature names",
                              UserWarning, stacklevel=3)
            elif names is None and fitted is not None and X is not None and not sp.issparse(X):
                warnings.warn(f"X does not have valid feature names, but {type(self).__name__} was fitted "
                              "with feature names", UserWarning, stacklevel=3)
            elif names is not None and (len(names) != len(fitted) or np.any(names != fitted)):
                raise ValueError("The feature names should match those that were passed during fit: "
                                 f"fitted on {list(fitted)}, got {list(names)}")
            n_features = self.n_features_in_
        X = _as_data(X, "X", two_d=True)
        if X.shape[1] != n_features:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{n_features} features as input")
        return X

    def _check_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise _not_fitted(f"this {type(self).__name__} instance is not fitted yet: call fit(X, y) first")

    def predict(self, X) -> np.ndarray:
        """Predictions, (B,) when fitted on a 1-D ``y``, (B, m) otherwise. Inputs outside the box are
        clamped onto it (with an OutsideGridWarning): the machine has no sticks beyond it."""
        self._check_fitted()
        X = self._check_X(X)
        pred = self.system_.predict(self.x_, X, outside="clip")
        return pred[:, 0] if self._y_1d else pred

    def _targets(self, y, pred: np.ndarray) -> np.ndarray:
        y = _as_data(y, "y", two_d=False)
        if y.shape != pred.shape:
            if y.size != pred.size:
                raise ValueError(f"y has shape {y.shape} but the predictions have shape {pred.shape}")
            y = y.reshape(pred.shape)
        return y

    def mse(self, X, y) -> float:
        """Mean squared error over all points and outputs."""
        pred = self.predict(X)
        return float(np.mean((pred - self._targets(y, pred)) ** 2))

    def score(self, X, y) -> float:
        """Coefficient of determination R², as scikit-learn's regressors score: per output, then
        averaged over outputs; an output with constant ``y`` scores 1 if predicted exactly, else 0."""
        pred = self.predict(X)
        y = self._targets(y, pred)
        y2, p2 = y.reshape(len(y), -1), pred.reshape(len(pred), -1)
        ss_res = np.sum((y2 - p2) ** 2, axis=0)
        ss_tot = np.sum((y2 - y2.mean(axis=0)) ** 2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
        return float(np.mean(r2))
