"""Exact results for the linear springs-and-sticks system: the oracles tests check against.

With ``y = [x, v]`` the dynamics is the linear (Ornstein–Uhlenbeck) SDE::

    dy = (A y + c) dt + B dW,   A = [[0, I], [−M⁻¹K, −M⁻¹Γ]],  c = [0, M⁻¹b]

(``B`` from the noise convention). Everything here is dense linear algebra and meant for
small systems (N up to a few hundred): it is the yardstick, not the workhorse.

* :func:`exact_deterministic` — the T = 0 solution ``y(t) = e^{At} y0 + ∫ e^{As} c ds``.
* :func:`ou_propagator` — the exact map of mean and covariance over a time t (Φ, φ, Σ_n; cached).
* :func:`ou_moments` — mean and covariance of ``y(t)`` (Van Loan's block exponential).
* :func:`ensemble_energies` — exact ensemble means of the loss and of every energy ledger.
* :func:`stationary_covariance` — the long-time covariance (continuous Lyapunov equation):
  Gibbs ``diag(k_BT K⁻¹, k_BT M⁻¹)`` for ``fdt`` noise, something else for ``paper`` noise.
* :func:`least_squares` — the T = 0 fixed point: ``argmin ‖Wx − y‖²``.

Thermodynamic quantities (free energies, and the ledger of DESIGN.md §6) are in :mod:`ss_mech.thermo`.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from .run import initial_state
from .system import System
from .trajectory import Trajectory

__all__ = ["drift_matrix", "diffusion_matrix", "noise_power", "exact_deterministic", "ou_propagator", "ou_moments",
           "ensemble_energies", "stationary_covariance", "least_squares"]


def drift_matrix(system: System) -> tuple[np.ndarray, np.ndarray]:
    """``A`` (2N × 2N) and ``c`` (2N,) of ``ẏ = A y + c`` (dense)."""
    N = system.n_dof
    Minv = _mass_inverse(system)
    Minv_G = system.shared("M_inv_Gamma_dense", lambda: Minv @ system.damping_matrix.toarray())
    A = np.zeros((2 * N, 2 * N))
    A[:N, N:] = np.eye(N)
    A[N:, :N] = -Minv @ _dense_stiffness(system)
    A[N:, N:] = -Minv_G
    c = np.concatenate([np.zeros(N), Minv @ system.force_offset])
    return A, c


def _mass_inverse(system: System) -> np.ndarray:
    """M⁻¹ (dense): it depends on the sticks alone, so it is computed once per machine and shared
    by all its spring sets."""
    return system.shared("M_inv_dense", lambda: sla.inv(system.mass_matrix.toarray()))


#: the most lever entries (springs × dof) :func:`_dense_stiffness` expands densely (32 MB)
_DENSE_LEVERS = 1 << 22


def _dense_stiffness(system: System) -> np.ndarray:
    """K = Σ_springs k_e c_e c_eᵀ as a dense (N × N) array.

    A mini-batch's few springs are expanded to dense levers and multiplied directly: the sparse
    product behind :attr:`System.stiffness_matrix` costs ~0.3 ms of scipy.sparse bookkeeping per
    batch, most of a small exact step. Many springs take the sparse product.
    """
    N = system.n_dof
    groups = system.elements.of_kind("spring")
    if "stiffness_matrix" in system.__dict__ or sum(len(g) for g in groups) * N > _DENSE_LEVERS:
        return system.stiffness_matrix.toarray()
    K = np.zeros((N, N))
    for g in groups:
        C = g.levers.toarray()
        K += C.T @ (g.values[:, None] * C)
    return K


def diffusion_matrix(system: System) -> np.ndarray:
    """``B Bᵀ`` (2N × 2N): the velocity-noise covariance rate of the chosen convention."""
    N = system.n_dof
    Q = np.zeros((2 * N, 2 * N))
    if not system.thermal:
        return Q
    kT = system.kT
    if system.noise == "fdt":
        Minv = _mass_inverse(system)
        Q[N:, N:] = Minv @ (2 * kT * system.damping_matrix.toarray()) @ Minv
    else:
        Q[N:, N:] = np.eye(N) * 2 * kT * system.friction / system.stick_mass
    return Q


def noise_power(system: System) -> float:
    """The bath's mean power into the machine, ``⟨J⟩ rate = ½ tr(M⁻¹GGᵀ) = ½ tr(M·Q_vv)``
    (``N γ k_BT`` for fdt noise on the ideal machine; 0 without a bath). It depends on the sticks
    and the bath alone, so it is computed once per machine and shared by its spring sets."""
    N = system.n_dof
    return system.shared("oracles.noise_power", lambda: 0.5 * float(
        np.trace(system.mass_matrix.toarray() @ diffusion_matrix(system)[N:, N:])))


def _propagator(A: np.ndarray, c: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """``Φ = e^{A dt}`` and ``φ = ∫_0^dt e^{As} c ds`` from one augmented exponential."""
    n = A.shape[0]
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n] = A
    aug[:n, n] = c
    E = sla.expm(aug * dt)
    return E[:n, :n], E[:n, n]


def exact_deterministic(system: System, *, t_end: float, n_out: int = 101, x0=None, v0=None,
                        seed: int = 0) -> Trajectory:
    """The exact T = 0 trajectory at ``n_out`` evenly spaced times (backend ``'exact'``).

    The friction heat follows from the exact energy balance, ``D(t) = E(0) − E(t)``,
    which holds for the exact solution of the noiseless dynamics.
    """
    x_init, v_init = initial_state(system, x0=x0, v0=v0, samples=1, seed=seed)
    N = system.n_dof
    A, c = drift_matrix(system)
    t = np.linspace(0.0, t_end, n_out)
    Phi, phi = _propagator(A, c, t[1] - t[0])
    Y = np.zeros((n_out, 2 * N))
    Y[0] = np.concatenate([x_init[0], v_init[0]])
    for i in range(1, n_out):
        Y[i] = Phi @ Y[i - 1] + phi
    x, v = Y[:, None, :N], Y[:, None, N:]
    K, U = system.kinetic(v), system.potential(x)
    E = K + U
    zeros = np.zeros_like(K)
    loss = system.loss_from_potential(U)
    return Trajectory(t=t, kinetic=K, potential=U, dissipated=E[0] - E, noise_work=zeros, protocol_work=zeros,
                      loss=loss, x_end=x[-1], v_end=v[-1], x=x, v=v, backend="exact",
                      meta={"method": "matrix exponential", "t_end": t_end, "n_out": n_out, **system.params()})


def ou_propagator(system: System, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact one-step map of the state over a time ``t`` ≥ 0: ``y(t) = Φ y(0) + φ + noise``.

    * ``Φ = e^{At}`` (2N × 2N) and ``φ = ∫_0^t e^{As} c ds`` (2N,) from one augmented exponential
      ``exp([[A, c], [0, 0]] t)``;
    * ``Σ_n = ∫_0^t e^{As} B Bᵀ e^{Aᵀs} ds`` (2N × 2N), the covariance the noise adds, from Van
      Loan's block exponential ``exp([[−A, BBᵀ], [0, Aᵀ]] t) = [[F11, F12], [0, F22]]``,
      ``Σ_n = F22ᵀ F12``.

    So a law with mean μ and covariance Σ goes to mean ``Φμ + φ`` and covariance ``ΦΣΦᵀ + Σ_n``
    (exact for any initial law: only the first two moments enter). Cached per (system, t).

    Van Loan's blocks grow like ``e^{‖A‖t}`` while Σ_n stays O(1), so for ``‖A‖t > 1`` the block
    exponential is taken over ``h = t/2^j`` (``‖A‖h ≤ 1``) and the step is doubled j times:
    ``(Φ, φ, Σ_n) ← (ΦΦ, Φφ + φ, ΦΣ_nΦᵀ + Σ_n)`` — otherwise the cancellation loses every digit
    (at γt = 60 the covariance came out indefinite).
    """
    t = float(t)
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t}")

    def build():
        A, c = system.cached("oracles.drift", lambda: drift_matrix(system))
        Q = system.cached("oracles.diffusion", lambda: diffusion_matrix(system))
        n = A.shape[0]
        if t == 0:
            return np.eye(n), np.zeros(n), np.zeros((n, n))
        Phi, phi = _propagator(A, c, t)
        if not Q.any():  # no bath (T = 0 or no friction): the map adds no covariance
            return Phi, phi, np.zeros((n, n))
        norm = float(np.abs(A).sum(axis=1).max())
        j = max(0, int(np.ceil(np.log2(norm * t)))) if norm * t > 1 else 0
        h = t / 2 ** j
        H = np.zeros((2 * n, 2 * n))
        H[:n, :n] = -A
        H[:n, n:] = Q
        H[n:, n:] = A.T
        E = sla.expm(H * h)
        cov = E[n:, n:].T @ E[:n, n:]
        P = E[n:, n:].T  # e^{Ah}
        for _ in range(j):
            cov = P @ cov @ P.T + cov
            P = P @ P
        return Phi, phi, 0.5 * (cov + cov.T)

    return system.cached(("oracles.ou_propagator", t), build)


def ou_moments(system: System, t: float, *, x0, v0) -> tuple[np.ndarray, np.ndarray]:
    """Mean (2N,) and covariance (2N × 2N) of ``y(t)`` started deterministically at ``(x0, v0)``.

    Van Loan: ``exp([[−A, Q], [0, Aᵀ]] t)`` gives ``Σ(t) = ∫_0^t e^{As} Q e^{Aᵀs} ds``
    (see :func:`ou_propagator`).
    """
    Phi, phi, cov = ou_propagator(system, t)
    mean = Phi @ np.concatenate([np.asarray(x0, float), np.asarray(v0, float)]) + phi
    return mean, cov.copy()


def ensemble_energies(system: System, ts, *, x0, v0) -> dict:
    """Exact ensemble means at times ``ts`` for a start at the fixed state ``(x0, v0)``.

    From the Ornstein–Uhlenbeck moments (mean ``ȳ``, covariance ``Σ``):

    * ``potential`` ⟨U⟩ = U(x̄) + ½ tr(K Σ_xx), ``kinetic`` ⟨K⟩ = ½ v̄ᵀMv̄ + ½ tr(M Σ_vv),
      ``loss`` = 2⟨U⟩/(k·B·m);
    * ``noise_work`` ⟨J⟩ = ½ tr(M⁻¹GGᵀ)·t: for additive noise the thermal force does work at a
      constant mean rate whatever the state (the Stratonovich term; ``N γ k_BT`` for fdt);
    * ``heat`` ⟨Q⟩ = E(0) − ⟨E(t)⟩ and ``dissipated`` ⟨D⟩ = ⟨J⟩ + ⟨Q⟩ (first law, no protocol).

    Returns a dict of arrays shaped like ``ts`` (plus ``t``).
    """
    ts = np.atleast_1d(np.asarray(ts, dtype=float))
    N = system.n_dof
    x0, v0 = (np.asarray(a, dtype=float).reshape(N) for a in (x0, v0))
    M, K = system.mass_matrix.toarray(), system.stiffness_matrix.toarray()
    Q = diffusion_matrix(system)
    power = 0.5 * float(np.trace(M @ Q[N:, N:]))  # ½ tr(M⁻¹GGᵀ) = ½ tr(M · M⁻¹GGᵀM⁻¹)
    E0 = float(system.potential(x0) + system.kinetic(v0))
    out = {k: np.zeros_like(ts) for k in ("potential", "kinetic")}
    for i, t in enumerate(ts):
        if t == 0:
            mean, cov = np.concatenate([x0, v0]), np.zeros((2 * N, 2 * N))
        else:
            mean, cov = ou_moments(system, t, x0=x0, v0=v0)
        out["potential"][i] = system.potential(mean[:N]) + 0.5 * np.trace(K @ cov[:N, :N])
        out["kinetic"][i] = system.kinetic(mean[N:]) + 0.5 * np.trace(M @ cov[N:, N:])
    out["loss"] = system.loss_from_potential(out["potential"])
    out["noise_work"] = power * ts
    out["heat"] = E0 - out["potential"] - out["kinetic"]
    out["dissipated"] = out["noise_work"] + out["heat"]
    out["t"] = ts
    return out


def stationary_covariance(system: System) -> np.ndarray:
    """Long-time covariance of ``y`` (2N × 2N): solves ``A Σ + Σ Aᵀ + B Bᵀ = 0``.

    Needs friction > 0 and data springs that pin every mode (K non-singular).
    For ``fdt`` noise the answer is Gibbs: ``Σ_xx = k_BT K⁻¹``, ``Σ_vv = k_BT M⁻¹``.
    """
    if system.friction <= 0:
        raise ValueError("a stationary state needs friction > 0")
    A, _ = drift_matrix(system)
    Sigma = sla.solve_continuous_lyapunov(A, -diffusion_matrix(system))
    return 0.5 * (Sigma + Sigma.T)


def least_squares(system: System) -> tuple[np.ndarray, float]:
    """Minimum-norm ``argmin_x ‖W x − y‖²`` (N,) and its MSE: the T = 0 end state when unique."""
    if system.W is None:
        raise ValueError("this system has no data springs")
    H, *_ = np.linalg.lstsq(system.W.toarray(), system.y, rcond=None)
    x = H.reshape(-1)
    return x, float(system.mse(x))
