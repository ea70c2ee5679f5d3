"""Integrate a :class:`~ss_mech.system.System` with torchsde and keep the energy books.

The solver steps on a uniform grid fixed by ``t_end`` and ``dt`` alone (:func:`step_grid`); the
``n_out`` outputs are read at steps of that grid, so asking for more or fewer outputs changes
nothing at ``t_end``. The Brownian increments are drawn per step (:class:`StepBrownian`), so
neither the chunking of the run nor its length changes them. torchsde returns the state after
every step; the path integrals are taken over those steps::

    D += h · ½ (v_nᵀΓv_n + v_{n+1}ᵀΓv_{n+1})          friction heat (trapezoid)
    J += (v_n + ½ M⁻¹GΔW_n) · (G ΔW_n)               work of white thermal noise (Stratonovich)
    J += ½ (v_n + v_{n+1}) · (G ΔW_n)                  work of a smooth sampled noise (trapezoid)

so the first law ``E(t) − E(0) = J − D`` holds to the integrator's accuracy (it is checked,
not assumed), and the mean of J is exact at any step (see :func:`_noise_work`). Work is
counted like ``scipy.integrate`` does: steps, drift and diffusion evaluations, mass solves
and CG iterations are in ``Trajectory.stats``.

Optional series (``extras``, off by default; nothing else changes when they are asked for), returned
in ``Trajectory.extras`` as (T, S) arrays at the output times (:data:`EXTRAS`):

``'paper_noise_work'``
    ``J_ℓ = ∫ m_s v∘δv``: the noise's work on a *lumped* mass ``m_s`` per degree of freedom, where
    ``δv`` is the velocity kick of the thermal noise (``σ dW`` for ``paper`` noise, ``M⁻¹G dW`` for
    ``fdt``); per step ``m_s (v_n + ½ δv_n)·δv_n`` for white noise (Stratonovich, like J), the
    trapezoid ``m_s ½(v_n + v_{n+1})·δv_n`` for a sampled signal.
``'paper_work'``
    the authors' "work" ``∫ m_s v·(M⁻¹(b − Kx) − γv) dt`` (DESIGN.md §6.3), computed exactly along
    the integration as ``Δ(½ m_s |v|²) − J_ℓ`` (the lumped kinetic energy from the states at the
    output times). It is the work of no force of the model: see :mod:`ss_mech.thermo.paper_barrier`.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch
import torchsde
from tqdm.auto import tqdm

from ...noise import SampledNoise
from ...run import seed_int
from ...system import System
from ...trajectory import Trajectory
from .brownian import SampledBrownian, StepBrownian, ZeroBrownian
from .sde import LangevinSDE
from .stability import choose_step

__all__ = ["integrate", "step_grid", "EXTRAS"]

#: the optional series ``integrate(extras=...)`` can add to ``Trajectory.extras`` (module docstring)
EXTRAS = ("paper_work", "paper_noise_work")


def _check_extras(extras) -> tuple:
    if isinstance(extras, str):
        extras = (extras,)
    extras = tuple(extras or ())
    for name in extras:
        if name not in EXTRAS:
            raise ValueError(f"extras: unknown series {name!r}; valid: {', '.join(map(repr, EXTRAS))}")
    return tuple(dict.fromkeys(extras))


def step_grid(t_end: float, dt: float, n_out: int) -> tuple[int, float, np.ndarray]:
    """The integration grid and where the outputs sit on it: ``(steps, h, output_steps)``.

    The grid depends on ``t_end`` and ``dt`` only: ``steps = ⌈t_end/dt⌉`` uniform steps of
    ``h = t_end/steps`` (``dt`` adjusted down to divide ``t_end`` evenly). Output ``i`` is read
    at step ``round(i·steps/(n_out − 1))``, so the state and every energy at ``t_end`` are the
    same whatever ``n_out``; the output times are exactly ``output_steps·h`` (evenly spaced
    when ``n_out − 1`` divides ``steps``).
    """
    steps = max(1, math.ceil(t_end / dt - 1e-9))
    if n_out - 1 > steps:
        raise ValueError(f"n_out={n_out} output times need at least {n_out - 1} steps, but dt={dt:g} gives "
                         f"{steps} over t_end={t_end:g}: use dt <= {t_end / (n_out - 1):.4g} or n_out <= {steps + 1}")
    out = np.rint(np.arange(n_out) * (steps / (n_out - 1))).astype(int)
    return steps, t_end / steps, out


def _time_grid(t0: torch.Tensor, h: float, steps: int) -> torch.Tensor:
    """Step times built exactly as torchsde advances ``curr_t + dt``, so it never takes an extra step."""
    ts = [t0]
    for _ in range(steps):
        ts.append(ts[-1] + h)
    return torch.stack(ts)


def integrate(solver, system: System, *, t_end: float, dt: float | None, x_init: np.ndarray,
              v_init: np.ndarray, seed: int, n_out: int, noise: SampledNoise | None, dtype=torch.float64,
              device="cpu", save_states: bool = True, progress: bool = False, mass_solver: str = "auto",
              max_chunk_bytes: int = 1 << 24, extras=()) -> Trajectory:
    """Integrate the Langevin equation of ``system`` from 0 to ``t_end`` with torchsde scheme ``solver``.

    Called by :meth:`ss_mech.solvers.torchsde.TorchsdeSolver.simulate` with checked arguments
    (see :func:`ss_mech.simulate` for their meaning); ``x_init``, ``v_init`` are (samples, N).

    Parameters
    ----------
    dtype, device : torch dtype and device (float64 for physics checks).
    save_states : bool
        Keep x and v at every output time (memory T × samples × N).
    mass_solver : {'auto', 'direct', 'dense', 'cg'}
        How ``M⁻¹`` is applied (:class:`~ss_mech.solvers.torchsde.linalg.MassSolver`).
    max_chunk_bytes : int
        Memory for the per-step states torchsde returns between output times.
    extras : sequence of str
        Optional series of :data:`EXTRAS` to compute (module docstring), returned in
        ``Trajectory.extras``; empty by default.
    """
    extras = _check_extras(extras)
    method = solver.name
    samples, N = x_init.shape
    dt_requested = dt
    dt, dt_max = choose_step(system, method, t_end, dt)
    if dt_requested is None:
        dt = min(dt, t_end / (n_out - 1))  # a chosen step also resolves the output times
    steps_total, h, out_steps = step_grid(t_end, dt, n_out)

    sde = LangevinSDE(system, sde_type=solver.sde_type, dtype=dtype, device=device, mass_solver=mass_solver)
    if noise is not None:
        bm, source = SampledBrownian(noise, dtype=dtype, device=device), "sampled"
    elif system.thermal:
        bm = StepBrownian(h, samples=samples, n_noise=system.noise_dim, seed=seed_int(seed, "brownian"),
                          levy=method == "srk", dtype=dtype, device=device)
        source = "brownian"
    else:
        bm, source = ZeroBrownian(samples, dtype=dtype, device=device), "none"

    solves0, iters0 = sde.mass.n_solves, sde.mass.n_iterations  # the solver is shared across runs
    T = n_out
    out = {name: np.zeros((T, samples)) for name in ("kinetic", "potential", "dissipated", "noise_work")}
    xs = np.zeros((T, samples, N)) if save_states else None
    vs = np.zeros((T, samples, N)) if save_states else None
    m_s = system.stick_mass
    lumped = {"kinetic": np.zeros((T, samples)), "noise_work": np.zeros((T, samples))} if extras else None

    def record(i, x_np, v_np):
        out["kinetic"][i] = system.kinetic(v_np)
        out["potential"][i] = system.potential(x_np)
        if save_states:
            xs[i], vs[i] = x_np, v_np
        if lumped is not None:
            lumped["kinetic"][i] = 0.5 * m_s * np.sum(v_np * v_np, axis=-1)

    y = torch.as_tensor(np.concatenate([x_init, v_init], axis=1), dtype=dtype, device=device)
    record(0, x_init, v_init)
    # One sdeint call per chunk of steps within the memory budget: the chunks depend on the step grid
    # and the budget, never on the output times, so neither do the results. At least 4 steps a call:
    # torchsde evaluates the drift and the diffusion again on every call to check the model's shapes.
    chunk = min(steps_total, max(4, int(max_chunk_bytes // max(1, samples * 2 * N * 8))))
    t_cur = torch.tensor(0.0, dtype=dtype, device=device)
    D = torch.zeros(samples, dtype=dtype, device=device)
    J = torch.zeros(samples, dtype=dtype, device=device)
    L = torch.zeros(samples, dtype=dtype, device=device)  # lumped-mass noise work (extras only)
    steps, done = 0, 1
    start = time.perf_counter()
    bar = tqdm(total=T - 1, desc="simulate", unit="out", disable=not progress, leave=False)
    try:
        while steps < steps_total:
            c = min(chunk, steps_total - steps)
            ts = _time_grid(t_cur, h, c)
            if source == "brownian":
                bm.prepare(steps, steps + c)
                sde.remember_kicks(bm.chunk())
            with torch.no_grad():
                ys = torchsde.sdeint(sde, y, ts, bm=bm, method=method, dt=h)
            V = ys[:, :, N:]  # (c+1, S, N)
            dD = torch.cumsum(_dissipation(sde, V, h), 0)  # after each step of the chunk
            dL = torch.zeros_like(dD)
            if sde.noise_dim:
                dW = bm.chunk() if source == "brownian" else torch.stack([bm(ts[n], ts[n + 1]) for n in range(c)])
                white = source == "brownian"
                kicks = sde.kicks() if white else None  # the scheme's own M⁻¹GΔW, when it has every step's
                dJ = torch.cumsum(_noise_work(sde, dW, V, white=white, kicks=kicks), 0)
                if lumped is not None:
                    dL = m_s * torch.cumsum(_lumped_noise_work(sde, dW, V, white=white, kicks=kicks), 0)
            else:
                dJ = torch.zeros_like(dD)
            # output times reached inside this chunk: global steps in (steps, steps + c]
            while done < T and out_steps[done] <= steps + c:
                j = out_steps[done] - steps  # row of ys
                y_np = ys[j].cpu().numpy()
                record(done, y_np[:, :N], y_np[:, N:])
                out["dissipated"][done] = (D + dD[j - 1]).cpu().numpy()
                out["noise_work"][done] = (J + dJ[j - 1]).cpu().numpy()
                if lumped is not None:
                    lumped["noise_work"][done] = (L + dL[j - 1]).cpu().numpy()
                done += 1
                bar.update(1)
            sde.remember_kicks(None)
            D, J, L = D + dD[-1], J + dJ[-1], L + dL[-1]
            y, t_cur = ys[-1], ts[-1]
            steps += c
    except KeyboardInterrupt:
        warnings.warn(f"simulation interrupted at t={float(t_cur):.6g}: returning the {done} output times completed",
                      RuntimeWarning, stacklevel=2)
    finally:
        bar.close()
    wall = time.perf_counter() - start

    y_np = y.cpu().numpy()
    extra_series = {}
    if lumped is not None:
        series = {"paper_noise_work": lumped["noise_work"],
                  "paper_work": (lumped["kinetic"] - lumped["kinetic"][0]) - lumped["noise_work"]}
        extra_series = {name: series[name] for name in extras}
    traj = Trajectory(
        t=out_steps * h, **out, protocol_work=np.zeros((T, samples)),
        loss=system.loss_from_potential(out["potential"]),
        x_end=y_np[:, :N], v_end=y_np[:, N:], x=xs, v=vs, backend="mech",
        stats={"steps": steps, "n_drift": sde.n_drift, "n_diffusion": sde.n_diffusion,
               "mass_solves": sde.mass.n_solves - solves0, "cg_iterations": sde.mass.n_iterations - iters0, "wall_time": wall},
        meta={**solver.describe(), "dt": h, "dt_requested": dt_requested, "dt_max": dt_max, "steps": steps_total,
              "t_end": t_end, "n_out": n_out, "samples": samples, "seed": seed,
              "noise_source": source, "mass_solver": sde.mass.method, "dtype": str(dtype).replace("torch.", ""),
              "interrupted": done < T, "grid": system.grid.to_dict(), "n_labels": system.n_labels,
              **system.params()},
        extras=extra_series)
    return traj.truncated(done) if done < T else traj


def _dissipation(sde: LangevinSDE, V: torch.Tensor, h: float) -> torch.Tensor:
    """Trapezoidal ∫ vᵀΓv dt over each step of a chunk, (c, S)."""
    c1, S, N = V.shape
    if sde.Gamma is None:
        return torch.zeros(c1 - 1, S, dtype=V.dtype, device=V.device)
    flat = V.reshape(-1, N).T  # (N, c1·S)
    p = (flat * (sde.Gamma @ flat)).sum(0).reshape(c1, S)
    return 0.5 * h * (p[1:] + p[:-1])


def _noise_work(sde: LangevinSDE, dW: torch.Tensor, V: torch.Tensor, *, white: bool,
                kicks: torch.Tensor | None = None) -> torch.Tensor:
    """Stratonovich ``∫ v∘η dt`` over each step of a chunk, (c, S), from the chunk's increments
    ``dW`` (c, S, n_noise) — the very numbers the scheme stepped with.

    ``white`` (Brownian increments ΔW_n): ``J_n = (v_n + ½ δv_n)·(G ΔW_n)`` with
    ``δv_n = M⁻¹G ΔW_n`` the velocity kick of the step's own noise. Its mean is exactly the
    Stratonovich correction ``½ h tr(M⁻¹GGᵀ)`` (= N γ k_BT h for fdt) at any step and for any
    scheme, and it differs from the trapezoid ``½(v_n + v_{n+1})·GΔW_n`` by
    ``½(v_{n+1} − v_n − δv_n)·GΔW_n``: a zero-mean O(h^{3/2}) term per step (paths still
    converge at first order) plus the scheme's drift response to the kick, which biases the
    trapezoid. Heun damps the kick by ``(1 − γh/2)``, so the trapezoid's mean J is low by
    ``γh/2`` and the heat ``D − J`` high by as much, an error that grows linearly in time
    (measured on the demo system, γh = 0.02: J −0.7 %, heat +2 %; with this estimator the
    mean heat is within one standard error of the Ornstein–Uhlenbeck oracle).

    Smooth noise (a :class:`SampledNoise`, piecewise linear): the trapezoid, second order.

    ``kicks`` (c, S, N): the scheme's own ``M⁻¹GΔW_n`` when it has every step's
    (:meth:`LangevinSDE.kicks`); otherwise they are solved for here.
    """
    c1, S, N = V.shape
    impulse = sde.noise_force(dW.reshape(-1, dW.shape[-1]))  # (N, c·S)
    if white:
        kick = sde.mass.solve(impulse) if kicks is None else kicks.reshape(-1, N).T
        vmid = V[:-1].reshape(-1, N).T + 0.5 * kick  # v_n + ½ M⁻¹GΔW
    else:
        vmid = 0.5 * (V[1:] + V[:-1]).reshape(-1, N).T  # (N, c·S)
    return (vmid * impulse).sum(0).reshape(c1 - 1, S)


def _lumped_noise_work(sde: LangevinSDE, dW: torch.Tensor, V: torch.Tensor, *, white: bool,
                       kicks: torch.Tensor | None = None) -> torch.Tensor:
    """``∫ v∘δv`` per unit lumped mass over each step of a chunk, (c, S): the work of the noise on
    a mass ``m_s`` per degree of freedom (multiply by ``m_s``), from the step's velocity kick
    ``δv_n`` (``σ ΔW_n`` for paper noise, ``M⁻¹G ΔW_n`` for fdt).

    ``white``: ``(v_n + ½ δv_n)·δv_n`` — the Stratonovich midpoint, as in :func:`_noise_work`, so
    that ``Δ(½|v|²) − Σ(v_n + ½δv_n)·δv_n`` is the drift's part ``Σ v·a h`` of the kinetic change
    up to the scheme's O(h) terms. Smooth noise: the trapezoid ``½(v_n + v_{n+1})·δv_n``.
    """
    c1, S, N = V.shape
    kick = sde._kick(dW.reshape(-1, dW.shape[-1])) if kicks is None else kicks.reshape(-1, N)  # (c·S, N)
    if white:
        vmid = V[:-1].reshape(-1, N) + 0.5 * kick
    else:
        vmid = 0.5 * (V[1:] + V[:-1]).reshape(-1, N)
    return (vmid * kick).sum(-1).reshape(c1 - 1, S)
