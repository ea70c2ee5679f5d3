"""Exact Gaussian thermodynamics of the linear machine along a protocol (DESIGN.md §6.1).

The state ``y = (x, v)`` ∈ R^{2N} obeys the linear SDE ``dy = (A y + c) dt + B dW`` of the
springs attached at time t (:func:`ss_mech.oracles.drift_matrix`). Its mean and covariance are
propagated exactly, segment by segment, by :func:`ss_mech.oracles.ou_propagator`:

    μ(t) = Φ μ₀ + φ,   Σ(t) = Φ Σ₀ Φᵀ + Σ_n,   Φ = e^{At},  φ = ∫₀ᵗ e^{As}c ds,
    Σ_n = ∫₀ᵗ e^{As}BBᵀe^{Aᵀs} ds  (Van Loan),

and switches of spring sets are instantaneous (the state does not move; the potential jumps).
This is exact for **any** initial law: only its first two moments enter the energies, the
work and the heat. Entropies are those of the Gaussian law with these moments — exact when the
start is Gaussian (Gibbs/Maxwell, or a fixed state), only an upper bound otherwise (a uniform
start: see :func:`entropy_bounds`).

* :func:`initial_moments` — mean, covariance and entropy of the named starts of
  :func:`ss_mech.run.initial_state` (``'gibbs'``, ``'uniform'``, ``'maxwell'``, ``'rest'``, arrays).
* :func:`moments` — the ledger at given times: μ, Σ, ⟨K⟩, ⟨U⟩, ⟨W⟩, ⟨J⟩, ⟨Q⟩, ⟨D⟩, S, F_neq,
  ΔS_tot, Π, D_KL, F_eq (a :class:`Moments`).
* :func:`entropy_bounds` — the entropy-power lower bound and the Gaussian upper bound on S(t).
* :func:`periodic_steady_state` — the periodic state mini-batch training reaches, and its heat
  per epoch (a :class:`PeriodicState`).

Units: energies in the system's energy units (those of ``k·height²`` and of ``k_BT``), times in
its time units, entropies in nats (``…_bits`` = nats / ln 2), entropy production in units of k_B.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..oracles import drift_matrix, noise_power, ou_propagator
from ..run import gibbs_positions, maxwell_factor
from ..system import System
from .protocol import Protocol, as_protocol

__all__ = ["Moments", "InitialLaw", "EntropyBounds", "PeriodicState", "initial_moments", "moments", "epoch_map",
           "entropy_bounds", "periodic_steady_state", "gaussian_entropy", "expected_potential"]

LN2 = np.log(2.0)


# ---------------------------------------------------------------------------------------- helpers
def gaussian_entropy(cov) -> float:
    """Differential entropy of a Gaussian law, ``S = ½ ln det(2πe Σ)`` (nats).

    ``−inf`` (not NaN) when ``Σ`` is singular to machine precision (not positive definite: a
    Cholesky factorisation fails) — e.g. one shared start (Σ₀ = 0), or velocities at rest.
    """
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    try:
        R = sla.cholesky(cov, lower=False)
    except (sla.LinAlgError, ValueError):
        return -np.inf
    return float(0.5 * n * np.log(2 * np.pi * np.e) + np.sum(np.log(np.diag(R))))


def expected_potential(system: System, mean_x, cov_xx) -> float:
    """``⟨U⟩ = U(μ_x) + ½ tr(K Σ_xx)`` for positions with mean ``μ_x`` (N,) and covariance ``Σ_xx`` (N × N).

    With ``U(x) = ½xᵀKx − bᵀx + c`` (K = kWᵀW, b = kWᵀy, c = ½k‖y‖²); 0 without data springs.
    """
    if system.W is None:
        return 0.0
    K, b, c = system.cached("thermo.quadratic", lambda: (system.stiffness_matrix.toarray(),
                                                         np.asarray(system.force_offset, dtype=float),
                                                         float(system.potential(np.zeros(system.n_dof)))))
    mean_x = np.asarray(mean_x, dtype=float)
    return float(0.5 * mean_x @ K @ mean_x - b @ mean_x + c + 0.5 * np.sum(K * cov_xx))


def _expected_kinetic(M, mean_v, cov_vv) -> float:
    return float(0.5 * mean_v @ M @ mean_v + 0.5 * np.sum(M * cov_vv))


def _static(system: System) -> dict:
    """Dense operators and equilibrium data of one spring set (built once per system)."""
    def build():
        N = system.n_dof
        M = system.mass_matrix.toarray()
        K = system.stiffness_matrix.toarray()
        A, _ = system.cached("oracles.drift", lambda: drift_matrix(system))
        kT = system.kT
        out = {"N": N, "M": M, "Minv": np.linalg.inv(M), "K": K, "kT": kT,
               "power": noise_power(system),  # ⟨J⟩ rate = ½ tr(M⁻¹GGᵀ)
               "trA": float(np.trace(A)), "eq": None}
        if kT > 0 and system.noise == "fdt":
            try:
                R = sla.cholesky(K, lower=False)
            except sla.LinAlgError:
                R = None  # a free mode: no normalisable equilibrium
            if R is not None:
                x_ls = sla.cho_solve((R, False), system.force_offset)
                logdet_K = 2.0 * float(np.sum(np.log(np.diag(R))))
                logdet_M = float(np.linalg.slogdet(M)[1])
                l2pikT = N * np.log(2 * np.pi * kT)
                U_min = float(system.potential(x_ls))
                out["eq"] = {
                    "mean": np.concatenate([x_ls, np.zeros(N)]),
                    "precision": sla.block_diag(K / kT, M / kT),
                    "logdet_cov": 2 * N * np.log(kT) - logdet_K - logdet_M,
                    "F": U_min + 0.5 * kT * (logdet_K - l2pikT) + 0.5 * kT * (logdet_M - l2pikT),
                }
        return out
    return system.cached("thermo.gaussian.static", build)


# ---------------------------------------------------------------------------------------- initial laws
@dataclass
class InitialLaw:
    """First two moments and entropy of an initial ensemble.

    Attributes
    ----------
    mean : ndarray (2N,)   ``(μ_x, μ_v)``.
    cov : ndarray (2N, 2N)
    entropy : float
        Its differential entropy in nats (exact for the named laws; −inf for a fixed part).
    gaussian : bool
        True when the law is Gaussian (then :func:`moments`' entropies are exact).
    """

    mean: np.ndarray
    cov: np.ndarray
    entropy: float
    gaussian: bool


def initial_moments(system: System, *, x0="gibbs", v0="maxwell") -> InitialLaw:
    """Moments and entropy of the starts of :func:`ss_mech.run.initial_state`.

    Parameters
    ----------
    x0 : ``'gibbs'``, ``'uniform'`` or array (N,)
        ``'gibbs'``: ``N(x_LS, k_BT·K⁻¹)`` (needs T > 0 and K ≻ 0); entropy
        ``½ ln det(2πe k_BT K⁻¹)``. ``'uniform'`` (the paper's heights, one independent draw per
        sample, uniform in [0, 1)): mean ½, variance 1/12 per coordinate, entropy exactly 0
        (the unit cube) — **not Gaussian**. An array: a fixed state (covariance 0, entropy −inf).
    v0 : ``'maxwell'``, ``'rest'`` (or None) or array (N,)
        ``'maxwell'``: ``N(0, k_BT·M⁻¹)`` (needs T > 0). ``'rest'``: zero velocities (entropy −inf).
    """
    N = system.n_dof
    kT = system.kT
    mean, cov = np.zeros(2 * N), np.zeros((2 * N, 2 * N))
    gaussian = True
    if isinstance(x0, str) and x0 == "gibbs":
        mean[:N], R = gibbs_positions(system)
        cov[:N, :N] = kT * sla.cho_solve((R, False), np.eye(N))
        S_x = gaussian_entropy(cov[:N, :N])
    elif isinstance(x0, str) and x0 == "uniform":
        mean[:N] = 0.5
        cov[:N, :N] = np.eye(N) / 12.0
        S_x, gaussian = 0.0, False
    elif isinstance(x0, str):
        raise ValueError(f"x0 must be 'gibbs', 'uniform' or an array (N,); got {x0!r}")
    else:
        mean[:N] = np.asarray(x0, dtype=float).reshape(N)
        S_x = -np.inf
    if v0 is None or (isinstance(v0, str) and v0 == "rest"):
        S_v = -np.inf
    elif isinstance(v0, str) and v0 == "maxwell":
        cov[N:, N:] = kT * sla.cho_solve((maxwell_factor(system), False), np.eye(N))
        S_v = gaussian_entropy(cov[N:, N:])
    elif isinstance(v0, str):
        raise ValueError(f"v0 must be 'maxwell', 'rest' or an array (N,); got {v0!r}")
    else:
        mean[N:] = np.asarray(v0, dtype=float).reshape(N)
        S_v = -np.inf
    return InitialLaw(mean=mean, cov=0.5 * (cov + cov.T), entropy=float(S_x + S_v), gaussian=gaussian)


# ---------------------------------------------------------------------------------------- propagation
def _check_times(ts, T: float) -> tuple[np.ndarray, np.ndarray]:
    ts = np.atleast_1d(np.asarray(ts, dtype=float))
    if ts.ndim != 1 or ts.size == 0:
        raise ValueError("ts must be a non-empty 1-D array of times")
    if not np.all(np.isfinite(ts)) or ts.min() < 0:
        raise ValueError("ts must be finite and >= 0")
    if ts.max() > T * (1 + 1e-12) + 1e-15:
        raise ValueError(f"ts reach {ts.max()} but the protocol ends at {T}")
    return ts, np.argsort(ts, kind="stable")


def _walk(protocol: Protocol, ts, mean0, cov0, side: str):
    """Yield ``(index into ts, segment k, μ, Σ, W so far, J so far)`` in time order."""
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    segs = protocol.segments
    bounds = protocol.boundaries
    T = bounds[-1]
    ts, order = _check_times(ts, T)
    tol = 1e-12 * max(T, 1.0)
    n2 = 2 * segs[0][0].n_dof
    mu = np.array(mean0, dtype=float).reshape(n2)
    Sig = np.zeros((n2, n2)) if cov0 is None else np.array(cov0, dtype=float).reshape(n2, n2)
    Sig = 0.5 * (Sig + Sig.T)
    k, t_now, W, J = 0, 0.0, 0.0, 0.0
    N = n2 // 2

    def advance(h):
        nonlocal mu, Sig, J, t_now
        if h > 0:
            Phi, phi, Sn = ou_propagator(segs[k][0], h)
            mu = Phi @ mu + phi
            Sig = Phi @ Sig @ Phi.T + Sn
            Sig = 0.5 * (Sig + Sig.T)
            J += _static(segs[k][0])["power"] * h
        t_now += h

    for i in order:
        t = ts[i]
        while k < len(segs) - 1 and (t > bounds[k + 1] + tol or (side == "right" and abs(t - bounds[k + 1]) <= tol)):
            advance(max(bounds[k + 1] - t_now, 0.0))
            t_now = bounds[k + 1]
            a, b = segs[k][0], segs[k + 1][0]
            W += expected_potential(b, mu[:N], Sig[:N, :N]) - expected_potential(a, mu[:N], Sig[:N, :N])
            k += 1
        advance(max(min(t, bounds[k + 1]) - t_now, 0.0))
        yield i, k, mu, Sig, W, J


@dataclass
class Moments:
    """The exact ensemble ledger at times ``t`` (arrays of shape (T,) unless said).

    Attributes
    ----------
    t : times; ``segment`` : index of the spring set in force at each time.
    mean : (T, 2N) ``(μ_x, μ_v)``;  cov : (T, 2N, 2N) Σ.
    kinetic : ⟨K⟩ = ½μ_vᵀMμ_v + ½tr(MΣ_vv).
    potential : ⟨U⟩ = U(μ_x) + ½tr(KΣ_xx) of the springs in force.
    loss : 2⟨U⟩/(k·B·m): the mean training loss on the springs in force.
    work : cumulative switch work ⟨W⟩ = Σ_switches [U_B(μ_x) − U_A(μ_x) + ½tr((K_B − K_A)Σ_xx)].
    noise_work : ⟨J⟩ = ½tr(M⁻¹GGᵀ)·t summed over segments (= Nγk_BT·t for ``fdt``).
    heat : ⟨Q⟩ = ⟨W⟩ − (⟨E(t)⟩ − ⟨E(0)⟩), the net heat given to the bath.
    dissipated : ⟨D⟩ = ⟨Q⟩ + ⟨J⟩, the friction heat.
    entropy : Gaussian S = ½ ln det(2πeΣ) (nats); −inf where Σ is singular (a fixed start).
        Exact for a Gaussian start; an upper bound otherwise (:func:`entropy_bounds`).
    free_energy_neq : F_neq = ⟨E⟩ − k_BT·S.
    entropy_production : ΔS_tot = S(t) − S(0) + ⟨Q⟩/k_BT (units of k_B, ≥ 0; +inf after a start
        with S(0) = −inf). ``fdt`` only: NaN for ``paper`` noise (a bath that is not at k_BT in the
        Gibbs sense, so no second law to book) and at T = 0.
    entropy_production_rate : Π = γ[tr(M⟨vvᵀ⟩)/k_BT + k_BT·tr((Σ⁻¹)_vv M⁻¹) − 2N] (k_B per time,
        ≥ 0), with ⟨vvᵀ⟩ = Σ_vv + μ_vμ_vᵀ. ``fdt`` only (Γ = γM with fdt noise): NaN for ``paper``
        noise and at T = 0; +inf where Σ is singular.
    kl : D_KL(p‖p_eq) (nats) to the Gibbs law of the springs in force, closed Gaussian form; NaN
        where K is singular, for ``paper`` noise (its stationary law is not Gibbs) and at T = 0.
    free_energy_eq : F_eq = U_min + (k_BT/2)ln det(K/2πk_BT) + (k_BT/2)ln det(M/2πk_BT) of the
        springs in force (NaN where ``kl`` is). Identity: F_neq − F_eq = k_BT·D_KL.
    kT : the bath's k_BT.
    """

    t: np.ndarray
    segment: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    kinetic: np.ndarray
    potential: np.ndarray
    loss: np.ndarray
    work: np.ndarray
    noise_work: np.ndarray
    heat: np.ndarray
    dissipated: np.ndarray
    entropy: np.ndarray
    free_energy_neq: np.ndarray
    entropy_production: np.ndarray
    entropy_production_rate: np.ndarray
    kl: np.ndarray
    free_energy_eq: np.ndarray
    kT: float
    protocol: Protocol | None = None

    @property
    def energy(self) -> np.ndarray:
        """⟨E⟩ = ⟨K⟩ + ⟨U⟩."""
        return self.kinetic + self.potential

    @property
    def entropy_bits(self) -> np.ndarray:
        """S in bits (nats / ln 2)."""
        return self.entropy / LN2

    def expected_mse(self, system: System) -> np.ndarray:
        """⟨MSE⟩ on the springs of ``system`` (e.g. the full training set, or held-out points
        attached with ``with_data``): ``2⟨U_system⟩/(k·B·m)`` at every time."""
        N = system.n_dof
        U = np.array([expected_potential(system, m[:N], c[:N, :N]) for m, c in zip(self.mean, self.cov)])
        return system.loss_from_potential(U)


def moments(system_or_protocol, ts, mean0, cov0=None, *, side: str = "right") -> Moments:
    """The exact ensemble ledger (DESIGN.md §6.1) at the times ``ts``.

    Parameters
    ----------
    system_or_protocol : System or Protocol
        One spring set (held for ever) or a sequence of spring sets with durations.
    ts : array-like of times ≥ 0 (any order; not past the protocol's end)
    mean0 : array (2N,)  the initial mean ``(μ_x, μ_v)`` (see :func:`initial_moments`).
    cov0 : array (2N, 2N), optional  the initial covariance (default 0: one shared start, S = −inf).
    side : ``'right'`` (default) or ``'left'``
        At a switch time: after the switch (new springs in force, its work counted) or before.
        A :class:`~ss_mech.trajectory.Trajectory` of mini-batches reports both (the join time
        appears twice): its first copy is ``'left'``, its second ``'right'``.

    Returns
    -------
    Moments
        Everything at the times ``ts`` in the given order. Energies in the system's energy units;
        entropies in nats. Energies, work and heat are exact for any initial law with these two
        moments; the entropy-derived fields assume a Gaussian law (see :class:`Moments`).
    """
    ts_arr = np.atleast_1d(np.asarray(ts, dtype=float))
    protocol = as_protocol(system_or_protocol, t_end=float(ts_arr.max()) if ts_arr.size else 0.0)
    segs = protocol.segments
    s0 = segs[0][0]
    N, kT, noise = s0.n_dof, s0.kT, s0.noise
    gamma = s0.friction
    T = ts_arr.size
    out = {name: np.full(T, np.nan) for name in ("kinetic", "potential", "loss", "work", "noise_work", "entropy",
                                                 "rate", "kl", "F_eq")}
    seg_idx = np.zeros(T, dtype=int)
    means, covs = np.zeros((T, 2 * N)), np.zeros((T, 2 * N, 2 * N))
    mu0 = np.asarray(mean0, dtype=float).reshape(2 * N)
    S0 = np.zeros((2 * N, 2 * N)) if cov0 is None else np.asarray(cov0, dtype=float).reshape(2 * N, 2 * N)
    st0 = _static(s0)
    E0 = expected_potential(s0, mu0[:N], S0[:N, :N]) + _expected_kinetic(st0["M"], mu0[N:], S0[N:, N:])
    H0 = gaussian_entropy(S0)
    for i, k, mu, Sig, W, J in _walk(protocol, ts_arr, mu0, S0, side):
        s = segs[k][0]
        st = _static(s)
        M = st["M"]
        seg_idx[i], means[i], covs[i] = k, mu, Sig
        out["potential"][i] = expected_potential(s, mu[:N], Sig[:N, :N])
        out["kinetic"][i] = _expected_kinetic(M, mu[N:], Sig[N:, N:])
        out["loss"][i] = s.loss_from_potential(out["potential"][i])
        out["work"][i], out["noise_work"][i] = W, J
        out["entropy"][i] = gaussian_entropy(Sig)
        if kT > 0 and noise == "fdt":
            try:
                cf = sla.cho_factor(Sig)
                prec_vv = sla.cho_solve(cf, np.eye(2 * N))[N:, N:]
                vv = Sig[N:, N:] + np.outer(mu[N:], mu[N:])
                out["rate"][i] = gamma * (np.sum(M * vv) / kT + kT * np.sum(prec_vv * st["Minv"]) - 2 * N)
            except sla.LinAlgError:
                out["rate"][i] = np.inf
            eq = st["eq"]
            if eq is not None:
                d = mu - eq["mean"]
                P = eq["precision"]
                out["kl"][i] = 0.5 * (np.sum(P * Sig) + d @ P @ d - 2 * N + eq["logdet_cov"]
                                      - (2 * out["entropy"][i] - 2 * N * np.log(2 * np.pi * np.e)))
                out["F_eq"][i] = eq["F"]
    energy = out["kinetic"] + out["potential"]
    heat = out["work"] - (energy - E0)
    with np.errstate(invalid="ignore"):
        F_neq = energy - kT * out["entropy"] if kT > 0 else energy.copy()
        if kT > 0 and noise == "fdt":
            dS_tot = out["entropy"] - H0 + heat / kT
        else:
            dS_tot = np.full(T, np.nan)
    return Moments(t=ts_arr, segment=seg_idx, mean=means, cov=covs, kinetic=out["kinetic"],
                   potential=out["potential"], loss=out["loss"], work=out["work"], noise_work=out["noise_work"],
                   heat=heat, dissipated=heat + out["noise_work"], entropy=out["entropy"], free_energy_neq=F_neq,
                   entropy_production=dS_tot, entropy_production_rate=out["rate"], kl=out["kl"],
                   free_energy_eq=out["F_eq"], kT=kT, protocol=protocol)


# ---------------------------------------------------------------------------------------- entropy bounds
@dataclass
class EntropyBounds:
    """Bounds on the entropy S(t) (nats) of a possibly non-Gaussian ensemble: ``lower ≤ S ≤ upper``.

    ``lower`` is the entropy-power bound S_EPI, ``upper`` the Gaussian entropy of Σ(t).
    ``…_bits`` give them in bits.
    """

    t: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def lower_bits(self):
        return self.lower / LN2

    @property
    def upper_bits(self):
        return self.upper / LN2


def entropy_bounds(system_or_protocol, ts, mean0, cov0, entropy0: float, *, side: str = "right") -> EntropyBounds:
    """Bracket the entropy S(t) of an ensemble whose initial law is not Gaussian (DESIGN.md §6.1).

    The state is ``y(t) = Φ(t) y₀ + φ(t) + ξ(t)`` with Gaussian noise ξ of covariance Σ_n(t)
    (Σ(t) propagated from Σ₀ = 0) independent of y₀, and ``ln|det Φ(t)| = ∫tr A dt = −γNt`` (for
    Γ = γM, whatever the springs). Hence, with n = 2N:

    * lower: the entropy-power inequality, ``S_EPI = (n/2) ln(e^{2(S₀ − γNt)/n} + e^{2S(Σ_n)/n})``;
    * upper: the Gaussian of the same covariance has the largest entropy, ``S ≤ ½ ln det(2πeΣ(t))``.

    Both are exact for a Gaussian start (upper = S) and both tend to the stationary entropy as
    the start is forgotten. Energies, work and heat need no bound: :func:`moments` gives them
    exactly for any law with these two moments.

    Parameters
    ----------
    mean0, cov0 : the initial moments (mean is not needed for entropies, kept for symmetry).
    entropy0 : float
        The initial law's entropy S₀ in nats (:func:`initial_moments` gives it: 0 for heights
        uniform in [0, 1)^N, plus the Maxwell entropy of the velocities); −inf allowed.
    """
    n2 = np.asarray(mean0).size
    cov0 = np.zeros((n2, n2)) if cov0 is None else np.asarray(cov0, dtype=float)
    if entropy0 > gaussian_entropy(cov0) + 1e-9:
        raise ValueError(f"entropy0 = {entropy0} exceeds the Gaussian entropy of cov0 ({gaussian_entropy(cov0)}): "
                         "no law with that covariance has so much entropy")
    full = moments(system_or_protocol, ts, mean0, cov0, side=side)
    noise_only = moments(full.protocol, ts, mean0, None, side=side)
    # ln|det Φ(t)| = Σ_segments tr(A_k)·h_k
    logdet_phi = np.array([_logdet_phi(full.protocol, t, k) for t, k in zip(full.t, full.segment)])
    n = n2
    a = 2 * (entropy0 + logdet_phi) / n
    b = 2 * noise_only.entropy / n
    with np.errstate(invalid="ignore"):
        lower = 0.5 * n * np.logaddexp(a, b)
    return EntropyBounds(t=full.t, lower=lower, upper=full.entropy)


def _logdet_phi(protocol: Protocol, t: float, k: int) -> float:
    bounds = protocol.boundaries
    total = 0.0
    for j in range(k + 1):
        h = (min(t, bounds[j + 1]) - bounds[j]) if j == k else protocol.durations[j]
        total += _static(protocol.segments[j][0])["trA"] * max(h, 0.0)
    return total


# ---------------------------------------------------------------------------------------- periodic state
@dataclass
class PeriodicState:
    """The periodic steady state of a protocol repeated for ever (mini-batch training, epoch after epoch).

    Attributes
    ----------
    mean, cov : the state's moments at the start of an epoch (just before the switch into the
        first batch's springs, i.e. with the last batch's springs still attached).
    heat_per_epoch : ⟨Q⟩ per epoch = the switch work per epoch (⟨E⟩ is periodic), ≥ 0.
    work_per_epoch : ⟨W⟩ per epoch, including the switch from the last batch back to the first.
    noise_work_per_epoch, dissipated_per_epoch : ⟨J⟩ and ⟨D⟩ = ⟨Q⟩ + ⟨J⟩ per epoch.
    entropy_production_per_epoch : ⟨Q⟩/k_BT (units of k_B; S is periodic); NaN for ``paper`` noise.
    epoch_time : duration of one epoch.
    over_epoch : Moments over one epoch started in this state (at the batch boundaries, ``'right'``).
    """

    mean: np.ndarray
    cov: np.ndarray
    heat_per_epoch: float
    work_per_epoch: float
    noise_work_per_epoch: float
    dissipated_per_epoch: float
    entropy_production_per_epoch: float
    epoch_time: float
    over_epoch: Moments


def epoch_map(protocol: Protocol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Φ_e, φ_e, S_e)``: one pass of the protocol maps (μ, Σ) to (Φ_eμ + φ_e, Φ_eΣΦ_eᵀ + S_e).

    Composed segment by segment from :func:`ss_mech.oracles.ou_propagator` (switches do not move
    the state): ``Φ ← Φ_kΦ``, ``φ ← Φ_kφ + φ_k``, ``S ← Φ_kSΦ_kᵀ + S_k``.
    """
    n2 = 2 * protocol.first.n_dof
    Phi, phi, S = np.eye(n2), np.zeros(n2), np.zeros((n2, n2))
    for s, d in protocol.segments:
        Pk, pk, Sk = ou_propagator(s, d)
        Phi, phi, S = Pk @ Phi, Pk @ phi + pk, Pk @ S @ Pk.T + Sk
    return Phi, phi, 0.5 * (S + S.T)


def periodic_steady_state(protocol: Protocol) -> PeriodicState:
    """The state that mini-batch training settles into, and the heat it keeps dissipating.

    With the epoch map ``(Φ_e, φ_e, S_e)`` of :func:`epoch_map`: ``μ* = (I − Φ_e)⁻¹φ_e`` and Σ*
    solving the discrete Lyapunov equation ``Σ* = Φ_eΣ*Φ_eᵀ + S_e``
    (:func:`scipy.linalg.solve_discrete_lyapunov`). In this state ⟨E⟩ and S repeat every epoch,
    so the heat per epoch equals the switch work per epoch, the wrap-around switch from the last
    batch to the first included.

    Raises ValueError when the state does not exist: friction 0, or a mode that no batch pins
    (Φ_e has an eigenvalue 1: that mode never settles; T > 0 makes it diffuse without bound).
    """
    if protocol.first.friction <= 0:
        raise ValueError("a periodic steady state needs friction > 0")
    Phi, phi, S = epoch_map(protocol)
    rho = np.max(np.abs(np.linalg.eigvals(Phi)))
    if rho >= 1 - 1e-10:
        raise ValueError(f"the epoch map has spectral radius {rho:.12g} ≈ 1: some mode is pinned by no batch's "
                         "springs, so it never settles and there is no periodic steady state")
    n2 = Phi.shape[0]
    mu = np.linalg.solve(np.eye(n2) - Phi, phi)
    Sig = sla.solve_discrete_lyapunov(Phi, S)
    Sig = 0.5 * (Sig + Sig.T)
    over = moments(protocol, protocol.boundaries, mu, Sig, side="right")
    N = n2 // 2
    wrap = (expected_potential(protocol.first, mu[:N], Sig[:N, :N])
            - expected_potential(protocol.last, mu[:N], Sig[:N, :N]))
    work = float(over.work[-1] + wrap)
    J = float(over.noise_work[-1])
    kT = protocol.first.kT
    return PeriodicState(mean=mu, cov=Sig, heat_per_epoch=work, work_per_epoch=work, noise_work_per_epoch=J,
                         dissipated_per_epoch=work + J,
                         entropy_production_per_epoch=work / kT if kT > 0 and protocol.first.noise == "fdt"
                         else np.nan,
                         epoch_time=protocol.total_time, over_epoch=over)
