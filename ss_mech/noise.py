"""Thermal-noise signals that can drive either backend.

:class:`SampledNoise` is band-limited white noise: Gaussian samples ``ξ_k`` every ``dt_noise``,
linearly interpolated in time. It is what a circuit is fed (PWL or external sources, as
ngspice's TRNOISE does), so the *same* signal can drive the mechanical integrator and the
circuit for a pathwise comparison. (The solvers' own Brownian motion, and the adapter that
lets torchsde read a ``SampledNoise``, are in :mod:`ss_mech.solvers.torchsde.brownian`.)

``ξ`` has unit intensity: ``Var ξ_k = 1/dt_noise``, so that ``∫ξ dt`` has the variance
of a standard Brownian motion at frequencies well below ``1/dt_noise``. A damper of drag
``r`` then feels the force ``√(2 k_B T r)·ξ(t)`` (two-sided PSD ``2 k_B T r``), valid while
``dt_noise`` is ≪ the fastest time constant of the system (DESIGN.md §3: 1/100 keeps
equipartition within 0.1 %).
"""
from __future__ import annotations

import numpy as np

__all__ = ["SampledNoise"]


class SampledNoise:
    """Gaussian samples every ``dt_noise``, linearly interpolated: a reproducible noise signal.

    Parameters
    ----------
    values : ndarray (n_knots, samples, n_noise)
        ``ξ`` at times ``t0 + k·dt_noise``, unit intensity (``Var = 1/dt_noise``).
    dt_noise : float
        Time between samples.
    t0 : float
        Time of the first sample.
    """

    def __init__(self, values: np.ndarray, dt_noise: float, t0: float = 0.0):
        values = np.asarray(values, dtype=float)
        if values.ndim != 3 or values.shape[0] < 2:
            raise ValueError(f"values must be (n_knots >= 2, samples, n_noise), got shape {values.shape}")
        if not dt_noise > 0:
            raise ValueError(f"dt_noise must be > 0, got {dt_noise!r}")
        self.values = values
        self.dt_noise = float(dt_noise)
        self.t0 = float(t0)
        # W at the knots: exact integral of the piecewise-linear signal.
        seg = 0.5 * self.dt_noise * (values[1:] + values[:-1])
        self._W = np.concatenate([np.zeros_like(values[:1]), np.cumsum(seg, axis=0)])

    @classmethod
    def draw(cls, *, t_end: float, dt_noise: float, samples: int, n_noise: int, seed: int,
             t0: float = 0.0) -> "SampledNoise":
        """Fresh unit-intensity samples from ``numpy.random.default_rng(seed)`` covering [t0, t_end]."""
        n_knots = int(np.ceil((t_end - t0) / dt_noise - 1e-9)) + 1
        rng = np.random.default_rng(seed)
        xi = rng.standard_normal((max(n_knots, 2), samples, n_noise)) / np.sqrt(dt_noise)
        return cls(xi, dt_noise, t0)

    @property
    def samples(self) -> int:
        return self.values.shape[1]

    @property
    def n_noise(self) -> int:
        return self.values.shape[2]

    @property
    def t_end(self) -> float:
        return self.t0 + (self.values.shape[0] - 1) * self.dt_noise

    def times(self) -> np.ndarray:
        return self.t0 + self.dt_noise * np.arange(self.values.shape[0])

    def _locate(self, t: float):
        s = (t - self.t0) / self.dt_noise
        if s < -1e-9 or s > self.values.shape[0] - 1 + 1e-9:
            raise ValueError(f"t={t} lies outside the noise record [{self.t0}, {self.t_end}]")
        k = int(min(max(np.floor(s), 0), self.values.shape[0] - 2))
        return k, (t - self.t0) - k * self.dt_noise

    def signal(self, t: float) -> np.ndarray:
        """ξ(t), (samples, n_noise)."""
        k, s = self._locate(t)
        a = s / self.dt_noise
        return (1 - a) * self.values[k] + a * self.values[k + 1]

    def integral_to(self, t: float) -> np.ndarray:
        """W(t) = ∫_{t0}^{t} ξ, exact for the piecewise-linear signal."""
        k, s = self._locate(t)
        x0, x1 = self.values[k], self.values[k + 1]
        return self._W[k] + x0 * s + (x1 - x0) * s * s / (2 * self.dt_noise)

    def increment(self, ta: float, tb: float) -> np.ndarray:
        return self.integral_to(tb) - self.integral_to(ta)
