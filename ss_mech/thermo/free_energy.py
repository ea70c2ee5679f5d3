"""Free energies of spring sets: analytic, and estimated from protocol work (DESIGN.md §6.5).

The spring potential is quadratic, ``U(x) = ½xᵀKx − bᵀx + c`` (K = kWᵀW, b = kWᵀy,
c = ½k‖y‖²), so the configurational free energy is analytic:

    F = −k_BT ln ∫e^{−U/k_BT}dx = U_min + (k_BT/2) ln det(K/2πk_BT)

(the kinetic part is the same for every spring set and cancels in differences). With free modes
(a node no point pins) the integral diverges; differences between spring sets that share the
null space stay finite, from pseudo-determinants on the shared pinned subspace.

Switching instantaneously from A's equilibrium to B costs the work ``W = U_B(x) − U_A(x)``, and
``G(λ) = ⟨e^{−λβW}⟩_A = e^{−β[F(U_λ) − F(U_A)]}``, ``U_λ = (1−λ)U_A + λU_B`` (β = 1/k_BT). λ = 1 is
Jarzynski's equality; the relative variance of its estimator ``r = G(2)/G(1)² − 1`` is finite iff
``2K_B − K_A ≻ 0``: EXP's bias ≈ k_BT·r/(2n), its effective sample size ≈ n/(1 + r). BAR
(forward work from A's equilibrium, reverse work from B's) needs no such condition.

* :func:`free_energy`, :func:`delta_free_energy` — the analytic oracle.
* :func:`log_work_moment`, :func:`exp_variance` — ln G(λ) and r.
* :func:`sample_work` — protocol work from equilibrium starts (instantaneous switches need no
  dynamics; relaxation between switches runs :func:`ss_mech.simulate`).
* :func:`jarzynski_estimate`, :func:`bar_estimate` — EXP and BAR through **pymbar** 4
  (``pymbar.other_estimators.exp`` / ``.bar``), imported only when called.
* :func:`estimate_free_energy` — runs the switches itself and compares with the oracle.

Jarzynski's and Crooks' relations need ``fdt`` noise (a bath whose stationary state is Gibbs)
and an equilibrium start; the sampling functions refuse anything else.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..run import initial_state, seed_stream
from ..system import System
from .protocol import Protocol

__all__ = ["free_energy", "delta_free_energy", "log_work_moment", "exp_variance", "sample_work",
           "jarzynski_estimate", "bar_estimate", "estimate_free_energy", "FreeEnergyEstimate", "FreeEnergyWarning"]


class FreeEnergyWarning(UserWarning):
    """A free-energy difference is infinite, or an estimator's variance is."""


_TOL = 1e-10


def _quadratic(system: System) -> tuple[np.ndarray, np.ndarray, float]:
    """``(K, b, c)`` with ``U(x) = ½xᵀKx − bᵀx + c`` (dense)."""
    if system.W is None:
        raise ValueError("this system has no data springs")
    K = system.stiffness_matrix.toarray()
    b = np.asarray(system.force_offset, dtype=float)
    c = float(system.potential(np.zeros(system.n_dof)))
    return K, b, c


def _split(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases of the range (pinned modes) and null space (free modes) of PSD K."""
    w, V = np.linalg.eigh(0.5 * (K + K.T))
    pinned = w > _TOL * max(abs(w).max(), 1e-300)
    return V[:, pinned], V[:, ~pinned]


def _restricted_f(K, b, c, kT, P) -> float:
    """``c − ½b_rᵀK_r⁻¹b_r + (k_BT/2) ln det(K_r/2πk_BT)`` on the subspace spanned by P; −inf if K_r ⊁ 0."""
    Kr, br = P.T @ K @ P, P.T @ b
    try:
        R = sla.cholesky(0.5 * (Kr + Kr.T), lower=False)
    except sla.LinAlgError:
        return -np.inf
    y = sla.cho_solve((R, False), br)
    logdet = 2.0 * float(np.sum(np.log(np.diag(R))))
    return float(c - 0.5 * br @ y + 0.5 * kT * (logdet - P.shape[1] * np.log(2 * np.pi * kT)))


def _kT(system: System) -> float:
    kT = system.kT
    if kT <= 0:
        raise ValueError("free energies need temperature > 0")
    return kT


def _same_bath(a: System, b: System) -> float:
    if a.n_dof != b.n_dof or a.grid != b.grid or a.n_labels != b.n_labels:
        raise ValueError("the two spring sets must sit on the same machine (grid and labels)")
    if a.kT != b.kT:
        raise ValueError(f"the two systems have different k_BT ({a.kT} vs {b.kT}): a free-energy difference "
                         "between spring sets is taken at one temperature")
    return _kT(a)


def free_energy(system: System, *, free_modes: str = "raise") -> float:
    """Configurational free energy ``F = U_min + (k_BT/2) ln det(K/(2πk_BT))`` (energy units).

    Parameters
    ----------
    free_modes : ``'raise'`` (default) or ``'pseudo'``
        When K is singular (a mode no spring pins) F is −∞. ``'raise'``: ValueError.
        ``'pseudo'``: the pseudo-determinant on the pinned subspace (F with the free modes'
        infinite volume left out) — differences are meaningful only between spring sets with
        the same free modes (:func:`delta_free_energy` checks that).
    """
    kT = _kT(system)
    K, b, c = _quadratic(system)
    P, Z = _split(K)
    if Z.shape[1] and free_modes == "raise":
        raise ValueError(f"K is singular: {Z.shape[1]} mode(s) not pinned by any data spring, F is -inf "
                         "(pass free_modes='pseudo' for the pseudo-determinant on the pinned modes)")
    if free_modes not in ("raise", "pseudo"):
        raise ValueError(f"free_modes must be 'raise' or 'pseudo', got {free_modes!r}")
    return _restricted_f(K, b, c, kT, P)


def delta_free_energy(system_a: System, system_b: System) -> float:
    """``ΔF = F_B − F_A`` between two spring sets on one machine at one temperature (energy units).

    Finite when both pin the same modes (pseudo-determinants on the shared pinned subspace).
    When B frees a mode that A pins, Z_B = ∞: returns ``−inf`` with a :class:`FreeEnergyWarning`
    saying so; when A frees a mode that B pins, ``+inf`` likewise. When each frees a mode the
    other pins, ∞ − ∞ is undefined: ValueError.
    """
    kT = _same_bath(system_a, system_b)
    Ka, ba, ca = _quadratic(system_a)
    Kb, bb, cb = _quadratic(system_b)
    Pa, Za = _split(Ka)
    Pb, Zb = _split(Kb)
    scale = max(np.abs(Ka).max(), np.abs(Kb).max())
    a_frees = Za.shape[1] > 0 and np.abs(Kb @ Za).max() > 1e-8 * scale   # a mode free in A, pinned in B
    b_frees = Zb.shape[1] > 0 and np.abs(Ka @ Zb).max() > 1e-8 * scale   # a mode free in B, pinned in A
    if a_frees and b_frees:
        raise ValueError("each spring set frees a mode the other pins: F_A and F_B are both -inf and their "
                         "difference is undefined")
    if b_frees:
        warnings.warn("spring set B frees a mode that A pins: Z_B is infinite, F_B = -inf, so ΔF = F_B − F_A = -inf",
                      FreeEnergyWarning, stacklevel=2)
        return -np.inf
    if a_frees:
        warnings.warn("spring set A frees a mode that B pins: Z_A is infinite, F_A = -inf, so ΔF = F_B − F_A = +inf",
                      FreeEnergyWarning, stacklevel=2)
        return np.inf
    return _restricted_f(Kb, bb, cb, kT, Pa) - _restricted_f(Ka, ba, ca, kT, Pa)


def log_work_moment(system_a: System, system_b: System, lam: float) -> float:
    """``ln G(λ) = ln⟨e^{−λβW}⟩_A = −β[F(U_λ) − F(U_A)]`` for the instantaneous switch A → B.

    W = U_B(x) − U_A(x) with x from A's Gibbs law; ``U_λ = (1−λ)U_A + λU_B``. Returns ``+inf``
    when ``K_λ = (1−λ)K_A + λK_B`` is not positive definite on A's pinned modes (the average
    diverges). A's free modes (if any) must be free in B too (W does not depend on them);
    otherwise A's equilibrium law is not normalisable: ValueError.
    """
    kT = _same_bath(system_a, system_b)
    Ka, ba, ca = _quadratic(system_a)
    Kb, bb, cb = _quadratic(system_b)
    Pa, Za = _split(Ka)
    if Za.shape[1] and np.abs(Kb @ Za).max() > 1e-8 * max(np.abs(Ka).max(), np.abs(Kb).max()):
        raise ValueError("spring set A leaves free a mode that B pins: A has no normalisable equilibrium law to "
                         "start from")
    lam = float(lam)
    F_lam = _restricted_f((1 - lam) * Ka + lam * Kb, (1 - lam) * ba + lam * bb, (1 - lam) * ca + lam * cb, kT, Pa)
    if F_lam == -np.inf:
        return np.inf
    return -(F_lam - _restricted_f(Ka, ba, ca, kT, Pa)) / kT


def exp_variance(system_a: System, system_b: System) -> float:
    """Relative variance of Jarzynski's (EXP) estimator for the switch A → B: ``r = G(2)/G(1)² − 1``.

    Finite iff ``2K_B − K_A ≻ 0``; ``inf`` otherwise (e.g. removing springs, disjoint mini-batches).
    The EXP estimate of ΔF from n samples then has bias ≈ k_BT·r/(2n) and standard error
    ≈ k_BT·√(r/n); its effective sample size is ≈ n/(1 + r).
    """
    g2 = log_work_moment(system_a, system_b, 2.0)
    if not np.isfinite(g2):
        return np.inf
    return float(np.expm1(g2 - 2.0 * log_work_moment(system_a, system_b, 1.0)))


# ---------------------------------------------------------------------------------------- sampling
def _as_switch_protocol(protocol_or_pair) -> Protocol:
    if isinstance(protocol_or_pair, Protocol):
        return protocol_or_pair
    systems = list(protocol_or_pair)
    if len(systems) < 2 or not all(isinstance(s, System) for s in systems):
        raise TypeError("expected a Protocol or a sequence of at least two Systems (A, B, …)")
    return Protocol.from_systems(systems, 0.0)


def _check_jarzynski(system: System, x0, v0) -> None:
    if system.noise != "fdt":
        raise ValueError("Jarzynski's equality (and BAR) needs fdt noise: the paper's velocity noise has no Gibbs "
                         "stationary state, so its 'equilibrium' start and its work relations do not hold "
                         "(BAR lands ~20 standard errors off with it)")
    if system.kT <= 0 or system.friction <= 0:
        raise ValueError("Jarzynski's equality needs a thermal bath: temperature > 0 and friction > 0")
    if not (isinstance(x0, str) and x0 == "gibbs" and isinstance(v0, str) and v0 == "maxwell"):
        raise ValueError(f"Jarzynski's equality needs an equilibrium start (x0='gibbs', v0='maxwell'); got x0={x0!r}, "
                         f"v0={v0!r}: from any other start ⟨e^(-W/kT)⟩ is not e^(-ΔF/kT)")


def sample_work(protocol_or_pair, *, samples: int, seed: int = 0, x0="gibbs", v0="maxwell", dt=None,
                method: str = "srk", **simulate_options) -> np.ndarray:
    """Protocol work ``W = Σ_switches [U_next(x) − U_prev(x)]`` (samples,) from the first spring set's equilibrium.

    Parameters
    ----------
    protocol_or_pair : Protocol or (System A, System B, …)
        A pair (or list) means instantaneous switches A → B → …; a :class:`Protocol` holds each
        intermediate spring set for its duration, relaxing under it (:func:`ss_mech.simulate`,
        ``method``, ``dt``) before the next switch. The first segment's duration and the last
        segment's dynamics do not change the work (the start is stationary; no switch follows).
    samples, seed :
        Ensemble size; the start comes from streams ``initial``/``velocities`` of ``seed``
        (:func:`ss_mech.run.initial_state`), each relaxation from a child of stream ``batch_noise``.
    x0, v0 :
        Must be ``'gibbs'`` and ``'maxwell'`` (the equilibrium start Jarzynski needs): anything
        else, ``paper`` noise or T = 0 raises ValueError. The first spring set must pin every mode.

    Returns
    -------
    ndarray (samples,) of work in energy units.
    """
    protocol = _as_switch_protocol(protocol_or_pair)
    first = protocol.first
    _check_jarzynski(first, x0, v0)
    x, v = initial_state(first, x0="gibbs", v0="maxwell", samples=samples, seed=seed)
    segs = protocol.segments
    seeds = [int(s.generate_state(1)[0] % (2**31)) for s in seed_stream(seed, "batch_noise").spawn(len(segs))]
    W = np.zeros(samples)
    for k in range(1, len(segs)):
        W += segs[k][0].potential(x) - segs[k - 1][0].potential(x)
        duration = segs[k][1]
        if k < len(segs) - 1 and duration > 0:
            from ..solvers import simulate  # torch only when dynamics is asked for

            tr = simulate(segs[k][0], t_end=duration, dt=dt, method=method, x0=x, v0=v, samples=samples,
                          seed=seeds[k], n_out=2, save_states=False, **simulate_options)
            x, v = tr.x_end, tr.v_end
    return W


def _other_estimators():
    """pymbar.other_estimators, imported quietly (pymbar logs a JAX notice and a timeseries caveat)."""
    logger = logging.getLogger("pymbar")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        from pymbar import other_estimators
    finally:
        logger.setLevel(level)
    return other_estimators


def _kish(log_w: np.ndarray) -> float:
    """Kish effective sample size ``(Σw)²/Σw²`` of weights given by their logs."""
    a = log_w - np.max(log_w)
    w = np.exp(a)
    return float(w.sum() ** 2 / np.sum(w * w))


@dataclass
class FreeEnergyEstimate:
    """A free-energy difference estimated from work.

    Attributes
    ----------
    delta_f, error : ΔF = F_B − F_A and one standard error (pymbar's ``dDelta_f``), energy units.
    method : ``'EXP'`` (Jarzynski) or ``'BAR'``.
    n, n_reverse : forward and reverse work samples (n_reverse = 0 for EXP).
    ess : Kish effective sample size ``(Σw)²/Σw²`` of the forward weights ``w = e^{−βW_F}``
        (for EXP it is ≈ n/(1 + r)); ``ess_reverse`` likewise for ``e^{−βW_R}`` (BAR only).
    r : the analytic relative variance of EXP (:func:`exp_variance`), when known; else None.
    finite_variance : False when r = ∞ (EXP's error bar is then meaningless), None if unknown.
    exact : the analytic ΔF (:func:`delta_free_energy`), when known; ``z`` = (delta_f − exact)/error.
    kT : k_BT.
    """

    delta_f: float
    error: float
    method: str
    n: int
    n_reverse: int
    ess: float
    ess_reverse: float | None
    kT: float
    r: float | None = None
    finite_variance: bool | None = None
    exact: float | None = None

    @property
    def z(self) -> float | None:
        if self.exact is None or not self.error > 0:
            return None
        return float((self.delta_f - self.exact) / self.error)


def _work_array(w, name) -> np.ndarray:
    w = np.asarray(w, dtype=float).reshape(-1)
    if w.size < 2 or not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must hold at least two finite work values")
    return w


def jarzynski_estimate(work, *, kT: float, r: float | None = None, allow_infinite_variance: bool = False,
                       ) -> FreeEnergyEstimate:
    """EXP: ``ΔF = −k_BT ln⟨e^{−W/k_BT}⟩`` from forward work (energy units) via ``pymbar.other_estimators.exp``.

    The work must come from an equilibrium start under ``fdt`` noise (:func:`sample_work`).
    ``r`` (optional, :func:`exp_variance`): when it is infinite the estimator converges slower
    than 1/√n and its error bar is meaningless, so the estimate is refused (ValueError) unless
    ``allow_infinite_variance=True``, which computes it, warns and flags ``finite_variance=False``.
    """
    work = _work_array(work, "work")
    if kT <= 0:
        raise ValueError("kT must be > 0")
    finite = None if r is None else bool(np.isfinite(r))
    if finite is False:
        msg = ("EXP (Jarzynski) has infinite variance for this switch (r = ∞: 2K_B − K_A is not positive definite), "
               "so its estimate and error bar are unreliable at any n; use BAR (forward + reverse work)")
        if not allow_infinite_variance:
            raise ValueError(msg)
        warnings.warn(msg, FreeEnergyWarning, stacklevel=2)
    res = _other_estimators().exp(work / kT)
    return FreeEnergyEstimate(delta_f=float(res["Delta_f"]) * kT, error=float(res["dDelta_f"]) * kT, method="EXP",
                              n=work.size, n_reverse=0, ess=_kish(-work / kT), ess_reverse=None, kT=kT, r=r,
                              finite_variance=finite)


def bar_estimate(work_forward, work_reverse, *, kT: float) -> FreeEnergyEstimate:
    """BAR: ΔF = F_B − F_A from forward work (A's equilibrium → B) and reverse work (B's equilibrium → A).

    Bennett's acceptance ratio through ``pymbar.other_estimators.bar`` (reduced work W/k_BT in,
    ΔF/k_BT out; its ``'BAR'`` uncertainty). Energy units in and out.
    """
    wf, wr = _work_array(work_forward, "work_forward"), _work_array(work_reverse, "work_reverse")
    if kT <= 0:
        raise ValueError("kT must be > 0")
    res = _other_estimators().bar(wf / kT, wr / kT)
    return FreeEnergyEstimate(delta_f=float(res["Delta_f"]) * kT, error=float(res["dDelta_f"]) * kT, method="BAR",
                              n=wf.size, n_reverse=wr.size, ess=_kish(-wf / kT), ess_reverse=_kish(-wr / kT), kT=kT)


def estimate_free_energy(protocol_or_pair, *, estimator: str = "bar", samples: int = 2000, seed: int = 0,
                         dt=None, method: str = "srk", allow_infinite_variance: bool = False,
                         **simulate_options) -> FreeEnergyEstimate:
    """Run the switch protocol from equilibrium and estimate ΔF = F_last − F_first; compare with the oracle.

    ``estimator='exp'`` uses the forward work only (Jarzynski); ``'bar'`` also runs the reversed
    protocol from the last spring set's equilibrium (Crooks). For instantaneous switches (a pair,
    or zero intermediate durations) the analytic r is attached and EXP is refused when r = ∞
    (see :func:`jarzynski_estimate`). ``exact`` is :func:`delta_free_energy`. ``seed`` seeds the
    forward run; the reverse run uses ``seed + 1``. Needs ``fdt`` noise and spring sets that pin
    every mode (the reverse start is B's equilibrium).
    """
    protocol = _as_switch_protocol(protocol_or_pair)
    first, last = protocol.first, protocol.last
    kT = first.kT
    instantaneous = bool(np.all(protocol.durations[1:-1] == 0)) if len(protocol) > 2 else True
    r = exp_variance(first, last) if instantaneous else None
    if estimator not in ("exp", "bar"):
        raise ValueError(f"estimator must be 'exp' or 'bar', got {estimator!r}")
    if estimator == "exp" and r is not None and not np.isfinite(r) and not allow_infinite_variance:
        jarzynski_estimate([0.0, 0.0], kT=max(kT, 1.0), r=r)  # raises the explanation before any sampling
    wf = sample_work(protocol, samples=samples, seed=seed, dt=dt, method=method, **simulate_options)
    if estimator == "exp":
        est = jarzynski_estimate(wf, kT=kT, r=r, allow_infinite_variance=allow_infinite_variance)
    else:
        wr = sample_work(protocol.reversed(), samples=samples, seed=seed + 1, dt=dt, method=method,
                         **simulate_options)
        est = bar_estimate(wf, wr, kT=kT)
        est.r, est.finite_variance = r, (None if r is None else bool(np.isfinite(r)))
    est.exact = delta_free_energy(first, last)
    return est
