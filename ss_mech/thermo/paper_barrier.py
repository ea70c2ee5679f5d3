"""The paper's "thermodynamic learning barrier", reproduced — and what the number is (DESIGN.md §6.3).

The estimator (the authors', kept as it is)
-------------------------------------------
Along each Langevin path the authors integrate

    W = ∫₀ᵗ m_s Σᵢ vᵢ (M⁻¹(b − Kx) − γv)ᵢ dt          (their ``dw``; m_s = M / N_cells)

and call it work; over n paths they form the Jarzynski-type estimate

    ΔF_est = −k_BT [logsumexp(−βW) − ln n] = −k_BT ln( (1/n) Σ e^{−βWⱼ} )

(:func:`delta_f_estimate`), and call the floor of −ΔF_est over a sweep of the energy scale k = M
their "thermodynamic learning barrier" ΔF_min.

The identity (what W is)
------------------------
With ``paper`` noise, dv = a dt + σ dW with a = M⁻¹(b − Kx) − γv, so (Stratonovich chain rule)
d(½m_s|v|²) = m_s v·a dt + m_s σ v∘dW, i.e.

    W = Δ(½ m_s |v|²) − ∫ m_s σ v∘dW

the change of a *lumped-mass* kinetic energy (mass m_s on every degree of freedom) minus the work
the noise does on that lumped mass. With the stick mass matrix M (not m_s·I) the machine's kinetic
energy is ½vᵀMv, so W is the work of no force in the model: it is neither the protocol work (the
springs never change, so that is 0), nor −ΔU − D. The integrator computes W exactly along its own
steps (``simulate(..., extras=("paper_work",))``, :mod:`ss_mech.solvers.torchsde.integrate`), as
Δ(½m_s|v|²) minus the per-step Stratonovich sum m_s(v_n + ½σΔW_n)·σΔW_n; :func:`direct_paper_work`
is the authors' way (the time integral of m_s v·a over the sampled path), for comparison.

What it measures (noise-dominated regime)
-----------------------------------------
With k = M = s the dynamics is scale-free: M⁻¹K does not depend on s, σ² = 2k_BTγ/m_s, and βW
depends only on θ = k_BT/s. When θ ≫ 1 (θ ≳ 10: k ≲ 10⁻²⁴ at T = 1 K with k_B in J/K) the start
(x, v in [0, 1)) and the targets y are negligible against the thermal motion (∝ √θ), and
−βW → ∫ yᵀQy dt with Q = sym([[0, 0], [M⁻¹K, γI]]) (in units where m_s/k_BT = 1): a quadratic form of a
Gaussian path started at 0, whose law depends on M⁻¹K, γ and t only — not on the data targets, not on
T, not on k. Its exponential moments follow from a Riccati equation (Feynman–Kac):

    dP/dτ = AᵀP + PA + 2PDP + λQ,  P(0) = 0;   ln⟨e^{−λβW(t)}⟩ = ∫₀ᵗ tr(D P(τ)) dτ,

(A the drift matrix, D the noise covariance rate, both reduced) which is finite until P blows up at
τ*(λ) (:func:`riccati_log_mgf`). τ*(1) is the *horizon* (:func:`barrier_horizon`): for t beyond it
⟨e^{−βW}⟩ = ∞, the Jarzynski average the estimator aims at does not exist, and the sample estimate
grows without limit with n, like (1/λ* − 1)·ln n where λ*(t) < 1 is the largest λ still finite at t
(:func:`critical_exponent`): −βW has an exponential tail e^{−λ*w}, so logsumexp(−βW) ≈ max(−βW) ≈
ln n / λ*. Its mean is ⟨−βW⟩ = ∫₀ᵗ tr(QΣ(s)) ds, Σ the covariance from 0 (:func:`mean_minus_beta_work`);
for a free particle it is N(γt − ½ + ½e^{−2γt}) and the horizon is γt = 2π/(3√3) ≈ 1.209.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import logsumexp

from ..grid import Grid
from ..oracles import diffusion_matrix, drift_matrix, ou_propagator
from ..run import seed_stream
from ..system import System

__all__ = ["KB_SI", "PAPER", "METHOD", "paper_data", "paper_system", "paper_start", "paper_protocol", "paper_work",
           "lumped_kinetic", "direct_paper_work", "delta_f_estimate", "delta_f_vs_samples",
           "bootstrap_log_mean_exp", "reduced_operators", "riccati_log_mgf", "barrier_horizon",
           "critical_exponent", "mean_minus_beta_work", "free_particle_horizon", "exact_mean_loss"]

#: the Boltzmann constant the authors use (J/K)
KB_SI = 1.38064852e-23

#: the authors' barrier protocol (their notebook ``ss_model.ipynb``, "Thermodynamic learning barrier"):
#: k = M over logspace(−30, −15, 15), T over logspace(−1, 2, 5) K, γ = 1, t ∈ [0, 5], 1000 samples,
#: torchsde Euler–Maruyama at its default step 10⁻³
PAPER = {"n_points": 20, "u_range": (0.0, 2 * math.pi), "k_range": (-30.0, -15.0), "n_k": 15,
         "t_range": (-1.0, 2.0), "n_t": 5, "friction": 1.0, "t_end": 5.0, "samples": 1000, "kb": KB_SI,
         "method": "euler", "dt": 1e-3}

#: the scheme used here: Heun (Stratonovich, strong order 1, second order in the drift) at the step of
#: the stability rule agrees with the authors' Euler at dt = 10⁻³ within sampling error, at 1/20 of the
#: steps; Euler at the stability-rule step does not (⟨−βW⟩ 8 % low, heavier tail; measured in
#: ``springsticks reproduce barrier``, ``scheme_check``)
METHOD = "heun"


def paper_data(n_points: int = 20, *, seed: int = 0):
    """The authors' 20 training points: ``u = linspace(0, 2π, 20)``, ``y = 1 − u/3 + 0.1 ε``.

    ε are the first 20 draws of torch's generator seeded with 0 (``torch.manual_seed(0)`` then
    ``0.1*torch.randn_like(u)`` in float32, as in their notebook), so these are their very numbers.
    Returns ``(X (n, 1), y (n,))`` in float64.
    """
    import torch  # only here: the model core does not need torch to import

    g = torch.Generator().manual_seed(int(seed))
    u = torch.linspace(0, 2 * math.pi, n_points).reshape(-1, 1)
    eps = torch.randn(u.shape, generator=g, dtype=u.dtype)
    y = 0.1 * eps + 1 + (-1 / 3) * u
    return u.double().numpy(), y.double().numpy()[:, 0]


def paper_system(n_sticks: int = 1, *, k: float, temperature: float, friction: float = 1.0, kb: float = KB_SI,
                 X=None, y=None) -> System:
    """The barrier machine: ``n_sticks`` sticks over the data's range (the authors' box, [0, 2π]) with
    mass M = stiffness k ("zipped"), ``paper`` noise (σ² = 2k_BTγ/m_s on every velocity), the authors'
    data unless given."""
    if X is None:
        X, y = paper_data()
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    grid = Grid((int(n_sticks),), (float(X.min()),), (float(X.max()),))
    return System(grid, mass=k, stiffness=k, friction=friction, temperature=temperature, kb=kb, noise="paper",
                  X=X, y=y)


def paper_start(system: System, samples: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The authors' start, per sample: heights AND velocities uniform in [0, 1) (``torch.rand``).

    Heights come from seed stream ``initial``, velocities from ``velocities`` (:mod:`ss_mech.run`).
    """
    N = system.n_dof
    x0 = np.random.default_rng(seed_stream(seed, "initial")).uniform(0.0, 1.0, (samples, N))
    v0 = np.random.default_rng(seed_stream(seed, "velocities")).uniform(0.0, 1.0, (samples, N))
    return x0, v0


def paper_protocol(n_sticks: int = 1, *, k: float, temperature: float, friction: float = 1.0,
                   t_end: float = 5.0, samples: int = 1000, seed: int = 0, n_out: int = 51, kb: float = KB_SI,
                   X=None, y=None, dt: float | None = None, method: str = METHOD, save_states: bool = False,
                   extras=("paper_work",)) -> tuple[System, dict]:
    """The system and the keywords of :func:`ss_mech.simulate` for one run of the paper's protocol.

    ``simulate(system, **options)`` then integrates ``samples`` paths (``method``: Heun by default, see
    :data:`METHOD`; ``'euler'`` with ``dt=1e-3`` is the authors' exact scheme; the step from the
    stability rule unless ``dt`` is given) from the uniform start of :func:`paper_start` over
    ``[0, t_end]`` and returns the authors' work in ``traj.extras["paper_work"]``.
    """
    system = paper_system(n_sticks, k=k, temperature=temperature, friction=friction, kb=kb, X=X, y=y)
    x0, v0 = paper_start(system, samples, seed=seed)
    options = {"t_end": float(t_end), "dt": dt, "method": method, "x0": x0, "v0": v0, "samples": int(samples),
               "seed": int(seed), "n_out": int(n_out), "save_states": bool(save_states), "extras": tuple(extras)}
    return system, options


# ---------------------------------------------------------------------------- the work and the estimator
def paper_work(traj) -> np.ndarray:
    """The authors' work W(t) per path (T, S), as the integrator accumulated it."""
    if "paper_work" not in traj.extras:
        raise ValueError("this trajectory carries no 'paper_work': simulate it with extras=('paper_work',) "
                         "and a torchsde method")
    return traj.extras["paper_work"]


def lumped_kinetic(v, system: System) -> np.ndarray:
    """``½ m_s |v|²`` (…,): the kinetic energy of a lumped mass m_s per degree of freedom."""
    v = np.asarray(v)
    return 0.5 * system.stick_mass * np.sum(v * v, axis=-1)


def direct_paper_work(traj, system: System) -> np.ndarray:
    """The authors' way: the time integral of ``m_s v·(M⁻¹(b − Kx) − γv)`` over the saved states
    (trapezoid over the output times), (T, S). Needs ``save_states=True``; as accurate as the
    sampling of the path (use every step for a check)."""
    if traj.x is None:
        raise ValueError("direct_paper_work needs the states: simulate with save_states=True")
    N = system.n_dof
    M = system.mass_matrix.toarray()
    F = system.force_offset[None, :] - (system.stiffness_matrix @ traj.x.reshape(-1, N).T).T
    a = np.linalg.solve(M, F.T).T.reshape(traj.x.shape) - system.friction * traj.v
    power = system.stick_mass * np.sum(traj.v * a, axis=-1)  # (T, S)
    steps = 0.5 * (power[1:] + power[:-1]) * np.diff(traj.t)[:, None]
    return np.concatenate([np.zeros((1, power.shape[1])), np.cumsum(steps, axis=0)])


def delta_f_estimate(work, kT: float, *, axis: int = -1):
    """The authors' estimate ``ΔF_est = −k_BT [logsumexp(−βW) − ln n]`` over the ``n`` works along
    ``axis`` (Jarzynski's form; see the module docstring for why it does not converge here)."""
    work = np.asarray(work, dtype=float)
    if kT <= 0:
        raise ValueError("delta_f_estimate needs k_BT > 0")
    n = work.shape[axis]
    return -kT * (logsumexp(-work / kT, axis=axis) - math.log(n))


def delta_f_vs_samples(work, kT: float, ns) -> dict:
    """−ΔF_est/k_BT for sample counts ``ns``: the works (S,) are split into ``S // n`` disjoint groups
    of ``n``; returns the mean, the standard deviation over groups and the number of groups per n."""
    work = np.asarray(work, dtype=float).ravel()
    out = {"n": [], "mean": [], "sd": [], "groups": []}
    for n in ns:
        g = work.size // int(n)
        if g < 1:
            raise ValueError(f"n={n} exceeds the {work.size} works available")
        vals = -delta_f_estimate(work[: g * n].reshape(g, n), kT, axis=1) / kT
        out["n"].append(int(n))
        out["mean"].append(float(vals.mean()))
        out["sd"].append(float(vals.std(ddof=1)) if g > 1 else float("nan"))
        out["groups"].append(int(g))
    return out


def bootstrap_log_mean_exp(x, *, resamples: int = 200, seed: int = 0, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """``ln mean(e^x)`` along ``axis`` and its bootstrap standard error (resampling that axis)."""
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    n = x.shape[-1]
    est = logsumexp(x, axis=-1) - math.log(n)
    rng = np.random.default_rng(seed)
    boot = np.empty((resamples,) + est.shape)
    for b in range(resamples):
        boot[b] = logsumexp(x[..., rng.integers(0, n, n)], axis=-1) - math.log(n)
    return est, boot.std(axis=0, ddof=1)


# ---------------------------------------------------------------------------- exact Gaussian analysis
def reduced_operators(system: System) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, D̂, Q)`` of the noise-dominated limit, in units where m_s/k_BT = 1: the drift matrix
    A, the reduced noise covariance rate D̂ = D·m_s/k_BT (2γ on the velocities for paper noise) and
    the quadratic form Q with −βW → ∫ yᵀQy dt, Q = sym([[0, 0], [M⁻¹K, γI]])."""
    if system.kT <= 0:
        raise ValueError("the barrier analysis needs temperature > 0")
    N = system.n_dof
    A, _ = drift_matrix(system)
    D = diffusion_matrix(system) * system.stick_mass / system.kT
    S = np.zeros((2 * N, 2 * N))
    S[N:, :N] = -A[N:, :N]  # M⁻¹K
    S[N:, N:] = system.friction * np.eye(N)
    return A, D, 0.5 * (S + S.T)


def riccati_log_mgf(system: System, t_end: float, *, lam: float = 1.0, t_eval=None, blowup: float = 1e9) -> dict:
    """``ln⟨e^{−λβW(t)}⟩`` in the noise-dominated limit (start at rest at 0) from the Riccati
    equation of the module docstring, on ``t_eval`` (≤ ``t_end``) until it blows up.

    Returns ``{"t": times reached, "log_mgf": values, "horizon": blow-up time or inf}``.
    """
    A, D, Q = reduced_operators(system)
    n = A.shape[0]

    def rhs(_, z):
        P = z[:-1].reshape(n, n)
        dP = A.T @ P + P @ A + 2 * P @ D @ P + lam * Q
        return np.concatenate([dP.ravel(), [np.trace(D @ P)]])

    def event(_, z):
        return blowup - np.max(np.abs(z[:-1]))
    event.terminal = True

    sol = solve_ivp(rhs, (0.0, float(t_end)), np.zeros(n * n + 1), t_eval=t_eval, events=event, rtol=1e-10,
                    atol=1e-12, method="LSODA")
    horizon = float(sol.t_events[0][0]) if sol.t_events[0].size else math.inf
    return {"t": sol.t, "log_mgf": sol.y[-1], "horizon": horizon}


def barrier_horizon(system: System, *, lam: float = 1.0, t_max: float = 100.0) -> float:
    """The time beyond which ``⟨e^{−λβW}⟩ = ∞`` (noise-dominated limit); ``inf`` if none before ``t_max``."""
    return riccati_log_mgf(system, t_max, lam=lam)["horizon"]


def critical_exponent(system: System, t: float, *, tol: float = 1e-6) -> float:
    """The largest ``λ`` with ``⟨e^{−λβW(t)}⟩`` finite: the exponential tail rate of −βW at time t.
    (Above 1 when t is inside the horizon.) Bisection on the blow-up time."""
    lo, hi = 0.0, 1.0
    while barrier_horizon(system, lam=hi, t_max=t) > t:  # still finite: raise the bracket
        lo, hi = hi, 2 * hi
        if hi > 1e6:
            return math.inf
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if barrier_horizon(system, lam=mid, t_max=t) > t else (lo, mid)
    return 0.5 * (lo + hi)


def mean_minus_beta_work(system: System, ts) -> np.ndarray:
    """``⟨−βW(t)⟩`` in the noise-dominated limit: ``∫₀ᵗ tr(QΣ(s)) ds`` with ``dΣ/ds = AΣ + ΣAᵀ + D̂``,
    Σ(0) = 0 (reduced units of :func:`reduced_operators`)."""
    A, D, Q = reduced_operators(system)
    n = A.shape[0]
    ts = np.atleast_1d(np.asarray(ts, dtype=float))

    def rhs(_, z):
        S = z[:-1].reshape(n, n)
        return np.concatenate([(A @ S + S @ A.T + D).ravel(), [np.sum(Q * S)]])

    sol = solve_ivp(rhs, (0.0, float(ts.max())), np.zeros(n * n + 1), t_eval=ts, rtol=1e-10, atol=1e-12)
    return sol.y[-1]


def free_particle_horizon(friction: float) -> float:
    """Horizon of a free particle (no springs): ``γt* = 2π/(3√3)`` ≈ 1.209."""
    return 2 * math.pi / (3 * math.sqrt(3)) / friction


def exact_mean_loss(system: System, t: float) -> dict:
    """Exact ensemble mean of the loss at time ``t`` from the paper's start (x, v i.i.d. uniform in
    [0, 1): mean ½, variance 1/12 per coordinate), any temperature: ``⟨U⟩ = U(μ_x) + ½ tr(KΣ_xx)``
    with ``Σ(t) = ΦΣ₀Φᵀ + Σ_noise(t)`` (Van Loan), as a loss ``2⟨U⟩/(k·B·m)``.

    Returns ``{"loss": total, "thermal": the part from the noise, "deterministic": the rest}``;
    the thermal part is ∝ k_BT/k.
    """
    N = system.n_dof
    Phi, phi, Sn_t = ou_propagator(system, float(t))
    mu = Phi @ np.full(2 * N, 0.5) + phi
    S0 = Phi @ (np.eye(2 * N) / 12.0) @ Phi.T
    Sn = Sn_t if system.thermal else np.zeros_like(S0)
    K = system.stiffness_matrix.toarray()
    to_loss = lambda U: float(system.loss_from_potential(U))
    det = to_loss(system.potential(mu[:N]) + 0.5 * np.sum(K * S0[:N, :N]))
    thermal = to_loss(0.5 * np.sum(K * Sn[:N, :N]))
    return {"loss": det + thermal, "thermal": thermal, "deterministic": det}
