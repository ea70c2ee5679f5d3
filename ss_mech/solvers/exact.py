"""The exact solver for the machine's linear dynamics (``method="exact"``).

Within one spring set the dynamics is linear with a constant force and additive noise,

    dy = (A y + c) dt + B dW,   y = [x, v],   A = [[0, I], [−M⁻¹K, −γI]],  c = [0, M⁻¹b],

so one interval ``Δ`` of any length is exact: ``y(t+Δ) = Φ y(t) + φ + ξ`` with ``Φ = e^{AΔ}`` and
``φ = ∫₀^Δ e^{As}c ds`` from one augmented exponential, and ``ξ ~ N(0, Σ_n(Δ))`` with
``Σ_n(Δ) = ∫₀^Δ e^{As}BBᵀe^{Aᵀs} ds`` from Van Loan's block exponential (DESIGN.md §6.1), sampled
by its symmetric square root (eigenvalues clipped at 0, so a rank-deficient covariance is fine).
Both are cached per (system, Δ): every output interval and every mini-batch of equal length
reuse them. The matrices are dense, (2N+1)², so the solver refuses systems above
:data:`EXACT_MAX_DOF` degrees of freedom.

What it provides. Exact, per path, at every output time: x, v, the kinetic and potential
energies, the loss, and the work at switches (``protocol_work``, booked by the training); and so
the heat ``Q = W − ΔE`` per path (first law). The friction heat ``D = ∫vᵀΓv dt`` and the noise
work ``J = ∫v∘η dt`` are path integrals that the endpoints do not determine: the Trajectory holds
``noise_work`` = the exact ensemble mean ⟨J⟩(t) = ½ tr(M⁻¹GGᵀ)·t (the same in every sample) and
``dissipated`` = Q + ⟨J⟩, so ``heat`` and the first law are exact per path and ⟨D⟩, ⟨J⟩ exact as
ensemble means, but D and J of one path are not that path's (``meta['ensemble_mean_only']``).
At T = 0 there is no noise: J = 0 and D = −ΔE exactly, per path.

The output times are evenly spaced; the random numbers are drawn per output interval (stream
``brownian``), so with noise the end state depends on ``n_out`` in its sample, not its law.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..oracles import noise_power, ou_propagator
from ..run import seed_int
from ..trajectory import Trajectory
from .base import Solver

__all__ = ["ExactSolver", "EXACT_MAX_DOF"]

#: the largest system the exact solver takes: a dense (2N+1)² exponential per spring set and step
#: (N = 2000: 4001² doubles, 128 MB per matrix; an expm of that size takes tens of seconds)
EXACT_MAX_DOF = 2000


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    """A factor ``L`` with ``L Lᵀ = cov`` for a symmetric PSD ``cov`` (eigenvalues below 0 clipped)."""
    w, V = np.linalg.eigh(0.5 * (cov + cov.T))
    return V * np.sqrt(np.clip(w, 0.0, None))


class ExactSolver(Solver):
    """Matrix-exponential solution of the linear Langevin dynamics (see the module docstring)."""

    name = "exact"
    strong_order = math.inf
    sde_type = "ito"
    noise = ("none", "white")
    provides = ("x", "v", "kinetic", "potential", "loss", "protocol_work")

    def simulate(self, system, *, t_end, dt, x0, v0, samples, seed, n_out, noise, progress, save_states=True,
                 extras=(), **unused):
        from .threads import solver_threads

        if extras:
            raise ValueError(f"method 'exact' does not compute the optional series {tuple(extras)!r} (path "
                             "integrals the endpoints do not determine): use a torchsde method such as 'euler'")
        with solver_threads(system.n_dof, torch_threads=False):
            return self._simulate(system, t_end=t_end, dt=dt, x0=x0, v0=v0, samples=samples, seed=seed,
                                  n_out=n_out, save_states=save_states)

    def _simulate(self, system, *, t_end, dt, x0, v0, samples, seed, n_out, save_states):
        N = system.n_dof
        if N > EXACT_MAX_DOF:
            raise ValueError(f"method 'exact' forms dense (2N+1)^2 exponentials; this system has N={N} degrees of "
                             f"freedom (at most {EXACT_MAX_DOF}): use a torchsde method such as 'euler'")
        start = time.perf_counter()
        t = np.linspace(0.0, t_end, n_out)
        interval = t_end / (n_out - 1)
        Phi, phi, noise_cov = ou_propagator(system, interval)
        Y = np.concatenate([x0, v0], axis=1)  # (S, 2N)
        states = np.zeros((n_out, samples, 2 * N))  # dense-sized systems only: at most 32 kB per sample and time
        rng = L = None
        if system.thermal:
            L = _sqrt_psd(noise_cov)
            rng = np.random.default_rng(seed_int(seed, "brownian"))
        for i in range(n_out):
            if i:
                Y = Y @ Phi.T + phi
                if L is not None:
                    Y = Y + rng.standard_normal((samples, 2 * N)) @ L.T
            states[i] = Y
        xs, vs = states[..., :N], states[..., N:]
        K, U = system.kinetic(vs), system.potential(xs)  # every output time in one product
        if not save_states:
            xs = vs = None
        E = K + U
        heat = E[0] - E  # Q = W − ΔE, no switches within one run
        # ⟨J⟩ = ½ tr(M⁻¹GGᵀ)·t: the bath's mean power (N γ k_BT for fdt), the same for every path
        J = np.broadcast_to((noise_power(system) * t)[:, None], (n_out, samples)).copy()
        return Trajectory(
            t=t, kinetic=K, potential=U, dissipated=heat + J, noise_work=J, protocol_work=np.zeros_like(K),
            loss=system.loss_from_potential(U), x_end=Y[:, :N].copy(), v_end=Y[:, N:].copy(), x=xs, v=vs,
            backend="mech",
            stats={"steps": n_out - 1, "wall_time": time.perf_counter() - start},
            meta={**self.describe(), "dt": interval, "dt_requested": dt, "t_end": t_end, "n_out": n_out,
                  "samples": samples, "seed": seed, "noise_source": "exact" if system.thermal else "none",
                  "ensemble_mean_only": ["dissipated", "noise_work"] if system.thermal else [],
                  "interrupted": False, "grid": system.grid.to_dict(), "n_labels": system.n_labels,
                  **system.params()})
