"""The learning threshold: how much stiffness (signal energy) beats the bath (DESIGN.md §6.2).

In equilibrium under ``fdt`` noise every mode pinned by a spring carries k_BT/2 of spring
energy, so ``⟨U⟩_eq = U_min + ½k_BT·rank K`` with ``rank K = m·rank W`` and

    ⟨MSE⟩_eq = MSE_LS + k_BT·rank(W)/(k·B)            (labels cancel; free modes never enter).

A target MSE* = MSE_LS + ε is reachable only when ε > 0, and then only when
``k ≥ k_BT·rank(W)/(B·ε)``. In a circuit (DESIGN.md §3: q = αx, C = α²/k) the same statement
reads ``C ≤ α²·B·ε/(k_BT·rank W)`` at a charge scale α (coulombs per unit height), or
``C·V_u² ≥ k_BT·rank(W)/(B·ε)`` at V_u volts per unit height (V_u = α/C).

* :func:`equilibrium_mse` — ⟨MSE⟩ in the stationary state (training points or held-out points),
  ``fdt`` in closed form, ``paper`` noise from the Lyapunov covariance.
* :func:`learning_threshold` — the smallest stiffness for a target (a :class:`LearningThreshold`,
  with its circuit equivalents :func:`max_capacitance` and :func:`min_volts_per_unit`).
* :func:`time_to_target` — the first time the exact mean loss curve reaches a target.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import brentq

from ..oracles import diffusion_matrix, least_squares, stationary_covariance
from ..system import System
from .gaussian import moments
from .protocol import Protocol, as_protocol

__all__ = ["equilibrium_mse", "learning_threshold", "LearningThreshold", "max_capacitance", "min_volts_per_unit",
           "time_to_target", "pinned_stationary_covariance"]


def _rank(W: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(W))


def _free_mode_leak(W: np.ndarray, W_t: np.ndarray) -> float:
    """Relative size of the part of the held-out rows ``W_t`` outside the row space of ``W``."""
    P = np.linalg.pinv(W) @ W
    return float(np.linalg.norm(W_t - W_t @ P) / max(np.linalg.norm(W_t), 1e-300))


def _test_system(system: System, X_test, y_test) -> System:
    return system.with_data(X_test, y_test, outside="clip")


def pinned_stationary_covariance(system: System) -> np.ndarray:
    """Stationary position covariance Σ_xx (N × N) of the **pinned** modes, for either noise convention.

    In the modal coordinates ``q = VᵀMx`` of ``Kφ = ω²Mφ`` (VᵀMV = I, Γ = γM) the modes decouple
    in the drift (``q̈ = −ω²q − γq̇ + noise``) though not in the noise. The modes with ω² > 0
    have a stationary covariance, the solution of the continuous Lyapunov equation of
    ``A_p = [[0, I], [−Ω_p², −γI]]`` with the noise rate ``V_pᵀM·Q_vv·MV_p``; the free modes
    (ω² = 0) diffuse and are left out: ``Σ_xx = V_p Σ_qq V_pᵀ``. Equals the xx block of
    :func:`ss_mech.oracles.stationary_covariance` when K is non-singular; ``k_BT·K⁺``-like
    (``k_BT V_pΩ_p⁻²V_pᵀ``) for ``fdt``. Needs friction > 0.
    """
    if system.friction <= 0:
        raise ValueError("a stationary state needs friction > 0")
    N = system.n_dof
    M = system.mass_matrix.toarray()
    K = system.stiffness_matrix.toarray()
    w, V = sla.eigh(K, M)
    pinned = w > 1e-10 * max(w.max(), 1e-300)
    p = int(pinned.sum())
    if p == 0:
        return np.zeros((N, N))
    Vp, wp = V[:, pinned], w[pinned]
    Qvv = diffusion_matrix(system)[N:, N:]
    Qq = Vp.T @ M @ Qvv @ M @ Vp
    A = np.zeros((2 * p, 2 * p))
    A[:p, p:] = np.eye(p)
    A[p:, :p] = -np.diag(wp)
    A[p:, p:] = -system.friction * np.eye(p)
    Qfull = np.zeros((2 * p, 2 * p))
    Qfull[p:, p:] = Qq
    S = sla.solve_continuous_lyapunov(A, -Qfull)
    Sxx = Vp @ S[:p, :p] @ Vp.T
    return 0.5 * (Sxx + Sxx.T)


def equilibrium_mse(system: System, *, X_test=None, y_test=None) -> float:
    """The mean squared error in the stationary state of ``system`` (its attached springs).

    ``fdt`` (Gibbs): ``⟨MSE⟩_eq = MSE_LS + k_BT·rank(W)/(k·B)`` — B training points, labels cancel,
    a singular K is fine (free modes never enter the training loss). With held-out points
    ``(X_test, y_test)`` (B_t of them, interpolation rows W_t):
    ``MSE_test(x_LS) + (k_BT/(k·B_t))·tr(W_t(WᵀW)⁺W_tᵀ)``.

    ``paper`` noise (not Gibbs): ``MSE_LS + tr(KΣ_xx)/(k·B·m)`` with Σ_xx the stationary
    Lyapunov covariance — :func:`ss_mech.oracles.stationary_covariance` when K is non-singular,
    else :func:`pinned_stationary_covariance` (the free modes left out, as they never enter the
    loss); held out: ``MSE_test(x_LS) + tr(K_tΣ_xx)/(k·B_t·m)``. Needs friction > 0.

    A held-out point that reaches a mode no training spring pins has no stationary error: that
    mode diffuses without bound at T > 0, so ``inf`` is returned; at T = 0 it keeps its initial
    value and a ValueError says so. Units: those of the targets squared.
    """
    if system.W is None:
        raise ValueError("this system has no data springs")
    x_ls, mse_ls = least_squares(system)
    W = system.W.toarray()
    B, m, k, kT = system.n_points, system.n_labels, system.stiffness, system.kT
    held_out = X_test is not None or y_test is not None
    if held_out:
        if X_test is None or y_test is None:
            raise ValueError("pass both X_test and y_test")
        test = _test_system(system, X_test, y_test)
        W_t = test.W.toarray()
        if _free_mode_leak(W, W_t) > 1e-9:
            if kT > 0:
                return float("inf")
            raise ValueError("a held-out point reaches a mode that no training spring pins: at T = 0 that mode keeps "
                             "its initial value, so the held-out error depends on the start")
        mse_at_ls = float(test.mse(x_ls))
    if kT == 0:
        return mse_at_ls if held_out else mse_ls
    if system.noise == "fdt":
        if not held_out:
            return float(mse_ls + kT * _rank(W) / (k * B))
        G = np.linalg.pinv(W.T @ W)
        return float(mse_at_ls + kT / (k * test.n_points) * np.trace(W_t @ G @ W_t.T))
    # paper noise: the Lyapunov covariance
    N = system.n_dof
    K = system.stiffness_matrix.toarray()
    if np.linalg.matrix_rank(K) == N:
        Sxx = stationary_covariance(system)[:N, :N]
    else:
        Sxx = pinned_stationary_covariance(system)
    if not held_out:
        return float(mse_ls + np.sum(K * Sxx) / (k * B * m))
    K_t = test.stiffness_matrix.toarray()
    return float(mse_at_ls + np.sum(K_t * Sxx) / (k * test.n_points * m))


# ---------------------------------------------------------------------------------------- the threshold
def max_capacitance(*, kT: float, rank: float, n_points: int, excess: float, charge_scale: float) -> float:
    """Largest spring capacitance that reaches the target: ``C ≤ α²·B·ε/(k_BT·rank W)`` (farads).

    kT in joules, ``charge_scale`` α in coulombs per unit height, ``excess`` ε = target − MSE_LS
    (height units squared), ``n_points`` B, ``rank`` = rank W (or the held-out equivalent).
    """
    return float(charge_scale ** 2 * n_points * excess / (kT * rank))


def min_volts_per_unit(*, kT: float, rank: float, n_points: int, excess: float, capacitance: float) -> float:
    """Smallest signal scale at capacitance C: ``V_u ≥ √(k_BT·rank W/(B·ε·C))`` volts per unit height,
    i.e. the smallest signal energy ``C·V_u² ≥ k_BT·rank(W)/(B·ε)`` (kT in joules, C in farads)."""
    return float(np.sqrt(kT * rank / (n_points * excess * capacitance)))


@dataclass
class LearningThreshold:
    """The smallest stiffness at which ⟨MSE⟩_eq ≤ target, at the system's temperature.

    Attributes
    ----------
    stiffness : k_min = k_BT·rank(W)/(B·ε) (energy per height²; 0 at T = 0: any k will do).
    target_mse, mse_ls : the target and the least-squares optimum (on the training points, or
        on the held-out points at x_LS); ``excess`` ε = target − mse_ls > 0.
    rank : rank W for the training points; ``tr(W_t(WᵀW)⁺W_tᵀ)`` for held-out points (so that
        ``⟨MSE⟩_eq = mse_ls + k_BT·rank/(k·n_points)`` in both cases).
    n_points : B (training) or B_t (held out).
    kT : k_BT in the system's energy units (joules when k_B is in J/K).
    min_signal_energy : the smallest ``C·V_u²`` = k_min (joules when kT is): the circuit statement.
    max_capacitance : at the given ``charge_scale`` α, ``C ≤ α²/k_min`` (farads), else None.
    min_volts_per_unit : at the given ``capacitance`` C, ``V_u ≥ √(k_min/C)`` (volts), else None.
    """

    stiffness: float
    target_mse: float
    mse_ls: float
    excess: float
    rank: float
    n_points: int
    kT: float
    min_signal_energy: float
    max_capacitance: float | None = None
    min_volts_per_unit: float | None = None


def learning_threshold(system: System, target_mse: float, *, X_test=None, y_test=None, charge_scale=None,
                       capacitance=None) -> LearningThreshold:
    """The smallest stiffness k with ⟨MSE⟩_eq ≤ ``target_mse`` at this temperature (``fdt`` noise).

    ``k ≥ k_BT·rank(W)/(B·ε)``, ε = target − MSE_LS; with held-out points, ``rank(W)/B`` becomes
    ``tr(W_t(WᵀW)⁺W_tᵀ)/B_t`` and MSE_LS the held-out error at x_LS. At the returned k,
    :func:`equilibrium_mse` gives exactly the target.

    Keyword arguments ``charge_scale`` (α, C/unit height) and ``capacitance`` (C, F) add the circuit
    statements (:func:`max_capacitance`, :func:`min_volts_per_unit`); then k_BT must be in joules
    (build the system with ``kb=1.380649e-23``).

    Raises ValueError when ``target_mse ≤ MSE_LS`` (no temperature, however low, beats the
    least-squares optimum of the piecewise-linear model: the bath only adds error), for
    ``paper`` noise (not Gibbs: use :func:`equilibrium_mse` and search k), or when a held-out
    point reaches a free mode (its error never settles at T > 0).
    """
    if system.noise != "fdt":
        raise ValueError("learning_threshold is the fdt (Gibbs) statement; for paper noise the excess error is not "
                         "k_BT·rank/k — evaluate equilibrium_mse on systems with_params(stiffness=...) instead")
    x_ls, mse_ls = least_squares(system)
    W = system.W.toarray()
    if X_test is not None or y_test is not None:
        if X_test is None or y_test is None:
            raise ValueError("pass both X_test and y_test")
        test = _test_system(system, X_test, y_test)
        W_t = test.W.toarray()
        if _free_mode_leak(W, W_t) > 1e-9:
            raise ValueError("a held-out point reaches a mode that no training spring pins: its error diffuses without "
                             "bound at T > 0, no stiffness reaches the target")
        base = float(test.mse(x_ls))
        B = test.n_points
        rank = float(np.trace(W_t @ np.linalg.pinv(W.T @ W) @ W_t.T))
    else:
        base, B, rank = mse_ls, system.n_points, float(_rank(W))
    target_mse = float(target_mse)
    eps = target_mse - base
    if eps <= 0:
        raise ValueError(f"target MSE {target_mse:.6g} <= the least-squares MSE {base:.6g} of this grid: no "
                         "temperature, however low, can beat the least-squares optimum of the piecewise-linear model "
                         "(the bath only adds error); use more sticks or a larger target")
    kT = system.kT
    k_min = kT * rank / (B * eps)
    out = LearningThreshold(stiffness=float(k_min), target_mse=target_mse, mse_ls=float(base), excess=float(eps),
                            rank=rank, n_points=int(B), kT=float(kT), min_signal_energy=float(k_min))
    if charge_scale is not None:
        out.max_capacitance = (max_capacitance(kT=kT, rank=rank, n_points=B, excess=eps, charge_scale=charge_scale)
                               if kT > 0 else float("inf"))
    if capacitance is not None:
        out.min_volts_per_unit = min_volts_per_unit(kT=kT, rank=rank, n_points=B, excess=eps, capacitance=capacitance)
    return out


# ---------------------------------------------------------------------------------------- time to target
def time_to_target(system_or_protocol, target_mse: float, mean0, cov0=None, t_max: float | None = None, *,
                   on: System | None = None, n_grid: int = 400, xtol: float = 1e-12) -> float | None:
    """The first time the exact mean loss ⟨MSE⟩(t) falls to ``target_mse`` (None if not by ``t_max``).

    ⟨MSE⟩(t) = 2⟨U⟩/(k·B·m) from :func:`ss_mech.thermo.moments` (exact for any initial law with
    mean ``mean0`` (2N,) and covariance ``cov0`` (2N × 2N, default 0)), on the springs in force,
    or on those of ``on`` (e.g. the full training set during mini-batch training). The curve is
    scanned on ``n_grid`` + 1 even times in [0, t_max] for its first crossing, which is then
    refined by Brent's method to ``xtol``; a dip below the target narrower than ``t_max/n_grid``
    can be missed. ``t_max`` defaults to the protocol's end (it is required for a System).
    Returns 0.0 when the start already meets the target. Times in the system's time units.
    """
    if t_max is None:
        if not isinstance(system_or_protocol, Protocol):
            raise ValueError("t_max is needed for a System (a Protocol ends at its total time)")
        t_max = system_or_protocol.total_time
    t_max = float(t_max)
    if t_max <= 0:
        raise ValueError(f"t_max must be > 0, got {t_max}")
    protocol = as_protocol(system_or_protocol, t_end=t_max)
    target_mse = float(target_mse)

    def curve(ts):
        res = moments(protocol, ts, mean0, cov0)
        return res.loss if on is None else res.expected_mse(on)

    ts = np.linspace(0.0, t_max, int(n_grid) + 1)
    vals = curve(ts)
    below = np.flatnonzero(vals <= target_mse)
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0:
        return 0.0
    f = lambda t: float(curve([t])[0]) - target_mse  # noqa: E731
    return float(brentq(f, ts[i - 1], ts[i], xtol=xtol, rtol=4 * np.finfo(float).eps))
