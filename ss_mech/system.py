"""The springs-and-sticks system: physical parameters + element list → sparse operators.

Equation of motion (DESIGN.md §1), for positions ``x`` ∈ R^N (node heights, node order ×
labels) and velocities ``v = ẋ``::

    M ẍ = −K x + b − Γ ẋ + η(t),     K = k WᵀW,  b = k Wᵀy,  Γ = γ M

with the thermal force ``η`` in one of two conventions:

``noise='fdt'`` (default, physical)
    one independent force per damper e on its coordinate, intensity ``2 k_B T r_e``, so
    ``⟨η ηᵀ⟩ = 2 k_B T Γ δ(t−t′)``. The stationary state is Gibbs, ``∝ exp(−(K+U)/k_BT)``:
    ⟨kinetic⟩ = N k_BT/2 and position covariance ``k_BT K⁻¹``. A circuit of resistors with
    Johnson noise obeys exactly this.
``noise='paper'`` (reproduction only)
    the authors' noise: ``σ dW`` added to every velocity, ``σ² = 2 k_B T γ / m_s``. Because
    the mass matrix is not diagonal this is **not** Gibbs (one stick: ⟨kinetic⟩ ≈ 0.33 k_BT
    instead of 1.0). Offered to reproduce the paper's figures, nothing else.

Units are whatever the user's are (the authors use unitless k, M with k_B = 1.38e-23; 1.0
is common); energies come out in units of ``k·(height)²``.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .elements import ElementList, spring_elements, stick_elements
from .grid import Grid
from .validation import as_finite_array, non_negative, one_of, positive, positive_int

__all__ = ["System", "NOISE_CONVENTIONS", "PARAM_CHECKS"]

NOISE_CONVENTIONS = ("fdt", "paper")

#: Validators of the physical parameters, by keyword (each raises ValueError naming the value).
PARAM_CHECKS = {
    "mass": positive, "stiffness": positive, "friction": non_negative, "temperature": non_negative,
    "kb": positive, "noise": lambda v, name: one_of(v, name, NOISE_CONVENTIONS),
}


class System:
    """A springs-and-sticks machine, optionally with data springs attached.

    Parameters
    ----------
    grid : Grid
        Sticks and box.
    n_labels : int
        Outputs m per input (each node carries m heights; labels never couple).
    mass : float
        Total mass M (> 0); each stick weighs ``M / Π n_i``.
    stiffness : float
        Spring constant k of every data spring (> 0).
    friction : float
        Friction rate γ (≥ 0, 1/time): damping matrix ``Γ = γ M``.
    temperature : float
        Bath temperature T (≥ 0).
    kb : float
        Boltzmann constant k_B (> 0): 1.0 for reduced units, 1.380649e-23 J/K for SI.
    noise : {'fdt', 'paper'}
        Thermal-noise convention (see the module docstring). At T = 0 both coincide.
    X, y : array-like, optional
        Data points (B × d) and targets (B × m, or (B,) when m = 1) whose springs are attached.
    outside : {'error', 'clip'}
        What to do with data points outside the grid's box.
    perturbation : ss_mech.Perturbation, optional
        Element-by-element changes of the parts (real hardware: tolerances, rounding, lever gain
        errors, series resistances; :mod:`ss_mech.perturbation`). Carried by :meth:`with_data`
        and :meth:`with_params`; ``None`` (default) is the ideal machine.
    """

    def __init__(self, grid: Grid, *, n_labels: int = 1, mass: float = 1.0, stiffness: float = 1.0,
                 friction: float = 0.0, temperature: float = 0.0, kb: float = 1.0, noise: str = "fdt",
                 X=None, y=None, outside: str = "error", perturbation=None, _shared: dict | None = None,
                 _W=None):
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid, got {type(grid).__name__}")
        self.grid = grid
        self.n_labels = positive_int(n_labels, "n_labels")
        self.mass = positive(mass, "mass")
        self.stiffness = positive(stiffness, "stiffness")
        self.friction = non_negative(friction, "friction")
        self.temperature = non_negative(temperature, "temperature")
        self.kb = positive(kb, "kb")
        self.noise = one_of(noise, "noise", NOISE_CONVENTIONS)
        self.n_dof = grid.n_nodes * self.n_labels
        self.perturbation = None if perturbation is None or perturbation.empty else perturbation
        # The mechanical part (sticks, M, Γ, solvers built on them) is shared by every system
        # made from this one with `with_data`: switching springs never rebuilds it.
        if _shared is None:
            sticks = stick_elements(grid, self.n_labels, self.mass, self.friction)
            _shared = {"sticks": sticks if self.perturbation is None else self.perturbation.sticks(sticks)}
        self._shared = _shared
        self.X = self.y = self.W = None
        springs = None
        if (X is None) != (y is None):
            raise ValueError("pass both X and y, or neither")
        if X is not None:
            if _W is not None:  # rows of a checked system's data (`subset`)
                self.X, self.y, self.W = X, y, _W
            else:
                self.X, self.y = self._check_data(X, y)
                self.W = grid.interpolation_matrix(self.X, outside=outside)
            springs = spring_elements(self.W, self.y, self.n_labels, self.stiffness)
            if self.perturbation is not None:
                springs = self.perturbation.springs(springs)
        self.elements = ElementList(self.n_dof, self._shared["sticks"] + ((springs,) if springs is not None else ()))

    # ------------------------------------------------------------------ data
    def _check_data(self, X, y):
        X = as_finite_array(X, "X", ndim=2)
        y = as_finite_array(y, "y")
        if X.shape[0] == 0:
            raise ValueError("X is empty: at least one data point is needed")
        if X.shape[1] != self.grid.dim:
            raise ValueError(f"X has {X.shape[1]} columns but the grid has {self.grid.dim} input dimensions")
        if y.ndim == 1 and self.n_labels == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape != (X.shape[0], self.n_labels):
            raise ValueError(f"y must have shape ({X.shape[0]}, {self.n_labels}) for {X.shape[0]} points "
                             f"and n_labels={self.n_labels}, got {y.shape}")
        return X, y

    def with_data(self, X, y, *, outside: str = "error") -> "System":
        """The same machine with the springs of ``(X, y)`` attached instead (sticks are reused)."""
        return System(self.grid, n_labels=self.n_labels, mass=self.mass, stiffness=self.stiffness,
                      friction=self.friction, temperature=self.temperature, kb=self.kb, noise=self.noise,
                      X=X, y=y, outside=outside, perturbation=self.perturbation, _shared=self._shared)

    def subset(self, rows) -> "System":
        """The same machine with the springs of the attached points ``rows`` only (a mini-batch).

        Equal to ``with_data(X[rows], y[rows])``, without checking the points again or
        interpolating them anew: the rows of W are taken (:meth:`Grid.interpolation_rows`).
        """
        if self.W is None:
            raise ValueError("this system has no data springs to take a subset of (use System.with_data)")
        rows = np.asarray(rows)
        if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError(f"rows must be a 1-D array of point indices, got shape {rows.shape} of {rows.dtype}")
        return System(self.grid, n_labels=self.n_labels, mass=self.mass, stiffness=self.stiffness,
                      friction=self.friction, temperature=self.temperature, kb=self.kb, noise=self.noise,
                      X=self.X[rows], y=self.y[rows], perturbation=self.perturbation, _shared=self._shared,
                      _W=self.grid.interpolation_rows(self.W, rows))

    def with_params(self, **changes) -> "System":
        """A copy with some physical parameters changed (``temperature=0``, ``friction=2`` …), same data.

        Only the keys of :meth:`params` may change; the grid and the data stay.
        """
        unknown = sorted(set(changes) - set(PARAM_CHECKS))
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}; valid: {', '.join(sorted(PARAM_CHECKS))}")
        params = {**self.params(), **changes}
        return System(self.grid, n_labels=self.n_labels, X=self.X, y=self.y, outside="clip",
                      perturbation=self.perturbation, **params)

    def with_perturbation(self, perturbation) -> "System":
        """The same machine and data built with ``perturbation``'s parts (None: the ideal machine)."""
        return System(self.grid, n_labels=self.n_labels, X=self.X, y=self.y, outside="clip",
                      perturbation=perturbation, **self.params())

    def params(self) -> dict:
        return {"mass": self.mass, "stiffness": self.stiffness, "friction": self.friction,
                "temperature": self.temperature, "kb": self.kb, "noise": self.noise}

    @property
    def kT(self) -> float:
        """The bath's thermal energy ``k_B T`` (energy units; 0 at T = 0)."""
        return self.kb * self.temperature

    @property
    def n_points(self) -> int:
        return 0 if self.X is None else int(self.X.shape[0])

    @property
    def stick_mass(self) -> float:
        """m_s = M / Π n_i."""
        return self.mass / self.grid.n_cells

    # ------------------------------------------------------------------ operators
    def shared(self, key, build):
        """A value derived from the sticks alone, built once per machine and reused across spring sets."""
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    def cached(self, key, build):
        """A value derived from this system with its springs (e.g. its modal spectrum), built once."""
        cache = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    @property
    def mass_matrix(self) -> sp.csr_matrix:
        """M (N × N, sparse, SPD)."""
        return self.shared("M", lambda: self.elements.matrix("inertia"))

    @property
    def damping_matrix(self) -> sp.csr_matrix:
        """Γ = γ M (N × N, sparse)."""
        return self.shared("Gamma", lambda: self.elements.matrix("damper"))

    @cached_property
    def stiffness_matrix(self) -> sp.csr_matrix:
        """K = k WᵀW (N × N, sparse, PSD); zero without data."""
        return self.elements.matrix("spring")

    @cached_property
    def force_offset(self) -> np.ndarray:
        """b = k Wᵀy: the spring force at x = 0 (N,)."""
        return self.elements.spring_force_offset()

    @property
    def damper_levers(self) -> sp.csr_matrix:
        """All damper levers stacked (E_d × N): the map from velocities to damper coordinates.

        Its row order is the order of the fdt noise channels."""
        groups = self.elements.of_kind("damper")
        if not groups:
            return sp.csr_matrix((0, self.n_dof))
        return self.shared("damper_levers", lambda: sp.vstack([g.levers for g in groups]).tocsr())

    @property
    def damper_values(self) -> np.ndarray:
        groups = self.elements.of_kind("damper")
        return np.concatenate([g.values for g in groups]) if groups else np.zeros(0)

    @property
    def thermal(self) -> bool:
        """True when the bath injects noise (T > 0 and some damper: γ > 0 or a series resistance)."""
        return self.temperature > 0 and bool(self.elements.of_kind("damper"))

    @property
    def noise_dim(self) -> int:
        """Number of independent Brownian motions: one per damper (fdt) or per dof (paper)."""
        if not self.thermal:
            return 0
        return self.damper_levers.shape[0] if self.noise == "fdt" else self.n_dof

    def noise_amplitudes(self) -> np.ndarray:
        """Per-Brownian-motion force amplitude.

        ``fdt``: ``√(2 k_B T r_e)`` per damper (a force on the damper's coordinate).
        ``paper``: ``σ = √(2 k_B T γ / m_s)`` per degree of freedom (added to the velocity directly).
        """
        kT = self.kT
        if self.noise == "fdt":
            return np.sqrt(2.0 * kT * self.damper_values)
        return np.full(self.n_dof, np.sqrt(2.0 * kT * self.friction / self.stick_mass))

    # ------------------------------------------------------------------ energies (numpy, any leading shape)
    def kinetic(self, v) -> np.ndarray:
        """K = ½ vᵀ M v for velocities ``v`` (…, N)."""
        v = np.asarray(v)
        Mv = (self.mass_matrix @ v.reshape(-1, self.n_dof).T).T.reshape(v.shape)
        return 0.5 * np.sum(v * Mv, axis=-1)

    def residuals(self, x) -> np.ndarray:
        """``W x − y`` per data spring, shape (…, B·m)."""
        if self.W is None:
            raise ValueError("this system has no data springs")
        x = np.asarray(x)
        C = self.elements.of_kind("spring")[0]
        pred = (C.levers @ x.reshape(-1, self.n_dof).T).T
        return (pred - C.offsets).reshape(x.shape[:-1] + (-1,))

    def potential(self, x) -> np.ndarray:
        """U = k/2 Σ_j Σ_l (W_j x_l − y_jl)² (…,); zero without data."""
        if self.W is None:
            return np.zeros(np.shape(x)[:-1])
        r = self.residuals(x)
        if self.perturbation is not None:  # springs of their own stiffness each
            return 0.5 * np.sum(self.elements.of_kind("spring")[0].values * r * r, axis=-1)
        return 0.5 * self.stiffness * np.sum(r * r, axis=-1)

    def loss_from_potential(self, U) -> np.ndarray:
        """The loss a spring energy ``U`` stands for, ``2U/(k·B·m)`` (0 without data): what every
        backend's trajectory reports as ``loss``."""
        return 2.0 * np.asarray(U) / (self.stiffness * max(self.n_points, 1) * self.n_labels)

    def mse(self, x) -> np.ndarray:
        """Mean squared error on the attached data, ``2U/(k·B·m)`` (…,); the mean of the squared
        residuals of the (possibly perturbed) springs."""
        if self.perturbation is not None:
            r = self.residuals(x)
            return np.mean(r * r, axis=-1)
        return 2.0 * self.potential(x) / (self.stiffness * self.n_points * self.n_labels)

    def predict(self, x, X, *, outside: str = "clip") -> np.ndarray:
        """Predictions (B × m) of the machine in state ``x`` (N,) at inputs ``X``."""
        W = self.grid.interpolation_matrix(X, outside=outside)
        H = np.asarray(x).reshape(self.grid.n_nodes, self.n_labels)
        return W @ H

    def __repr__(self) -> str:
        return (f"System(n_sticks={self.grid.n_sticks}, n_labels={self.n_labels}, n_dof={self.n_dof}, "
                f"points={self.n_points}, mass={self.mass}, stiffness={self.stiffness}, "
                f"friction={self.friction}, temperature={self.temperature}, kb={self.kb}, noise={self.noise!r}"
                + (", perturbed" if self.perturbation is not None else "") + ")")
