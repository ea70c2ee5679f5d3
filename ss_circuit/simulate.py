"""Simulate a system's circuit with ngspice and return the mechanical :class:`~ss_mech.Trajectory`.

One sample is one transient in ngspice's shared library. An ensemble (``samples > 1``) runs its
samples in worker processes — never threads: libngspice has global state and two threads
sharing it segfault (DESIGN.md §3). Workers are started with the ``'spawn'`` method: a fresh
interpreter that imports only numpy, PySpice and :mod:`ss_circuit.ngspice` (≈0.2 s, no torch),
and never inherits a parent's half-used ngspice or torch's OpenMP threads as ``'fork'`` would.
Each worker runs many samples in turn, removing every circuit after its run.

Noise (see :mod:`ss_circuit.sources`): with ``noise_mode='samples'`` sample ``s`` is driven by
channel block ``s`` of :func:`~ss_circuit.sources.draw_noise` (seeded), or of the
``SampledNoise`` passed as ``noise`` — the pathwise mode, where ``ss_mech.simulate(...,
noise=signal)`` integrates the same forces. With ``'trnoise'`` every sample runs in a fresh
process (``max_tasks_per_child=1``, always ``'spawn'``), the only way ngspice's unseedable
generator is fit for statistics; its samples are not reproducible.
"""
from __future__ import annotations

import multiprocessing as mp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from ss_mech.errors import SimulationError

from .circuit import build_circuit, write_netlist
from .render import METHODS
from .scaling import Scaling
from .sources import NOISE_MODES, draw_noise

__all__ = ["simulate_circuit", "simulate_spec", "netlist_from_spec", "scaling_from_options", "circuit_options",
           "default_max_step", "to_si"]

START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


def _run_job(job: dict) -> dict:
    """Worker entry point: one netlist through ngspice, reduced to the output rows."""
    from .ngspice import run_netlist
    from .readout import reduce_vectors

    vec, info = run_netlist(job["text"], t_stop=job["t_stop"], vectors=job["vectors"], sources=job["sources"])
    out = reduce_vectors(vec, job["plan"])
    info.pop("messages", None)
    info["first_order_steps"] = out.pop("first_order_steps")
    info["numerical_loss"] = out.pop("numerical_loss")
    out["info"] = info
    return out


def _jobs(system, *, x_init, v_init, t_end, dt, n_out, method, noise_mode, signal, scaling, dt_noise, seed,
          imperfections=None):
    """One job (netlist text, sources, readout plan) per sample."""
    from ss_mech.noise import SampledNoise

    t_out = np.linspace(0.0, t_end, n_out)
    for s in range(x_init.shape[0]):
        one = None
        if noise_mode == "samples":
            one = SampledNoise(signal.values[:, s:s + 1, :], signal.dt_noise, signal.t0)
        circuit = build_circuit(system, x0=x_init[s], v0=v_init[s], noise=noise_mode, scaling=scaling,
                                noise_signal=one, dt_noise=dt_noise, seed=seed, t_end=t_end, n_out=n_out)
        if imperfections is not None:
            circuit = imperfections.apply(circuit, seed=seed, sample=s)
        yield circuit, {"text": circuit.netlist(t_end=t_end, dt=dt, n_out=n_out, method=method, standalone=False),
                        "t_stop": scaling.time * t_end, "vectors": circuit.vectors(),
                        "sources": circuit.external_sources(), "plan": circuit.readout_plan(t_out, dt)}


def simulate_circuit(system, *, t_end: float, dt: float, x0=None, v0=None, samples: int = 1, seed: int = 0,
                     n_out: int = 101, method: str = "trap", noise=None, noise_mode: str = "samples",
                     scaling: Scaling | None = None, dt_noise: float | None = None, processes: int | None = None,
                     start_method: str | None = None, progress: bool = False, imperfections=None,
                     ledger: bool = False):
    """Run the circuit of ``system`` in ngspice; same trajectory type and units as ``ss_mech.simulate``.

    Parameters
    ----------
    system : ss_mech.System
    t_end : float
        Duration (mechanical time; the circuit runs ``τ·t_end`` seconds).
    dt : float
        ngspice's maximum internal step (mechanical time). ``trap`` is second order: the
        error of a deterministic run falls as ``dt²``.
    x0, v0 : array-like (N,) or (samples, N), optional
        Initial state (default: seeded uniform positions in [0, 1), zero velocities — the
        mechanical backend's defaults, via ``ss_mech.run.initial_state``).
    samples : int
        Ensemble size; samples run in ``processes`` worker processes.
    seed : int
        Seeds the default initial state and the noise: the same seed gives the same trajectory.
    n_out : int
        Evenly spaced output times including 0 and ``t_end`` (each an accepted ngspice point).
    method : {'trap', 'gear'}
        ngspice's integration rule.
    noise : ss_mech.SampledNoise, optional
        The forces to apply (``samples`` × ``system.noise_dim`` channels): the pathwise mode.
        Default: :func:`~ss_circuit.sources.draw_noise` from ``seed``.
    noise_mode : {'samples', 'trnoise', 'none'}
        How the Johnson noise is made (:mod:`ss_circuit.sources`).
    scaling : Scaling, optional
        Unit factors; results come back in mechanical units either way (``meta['scaling']``
        and :func:`to_si` give joules).
    dt_noise : float, optional
        Knot spacing / TRNOISE NT (mechanical time); default ``1/(100·max(γ, ω_max))``.
    processes : int, optional
        Worker processes for ``samples > 1`` (default: one per CPU, at most ``samples``);
        ``samples == 1`` runs in this process unless ``processes`` is given. ``0`` runs every
        sample in this process, one after the other (inside a process that may not start
        processes of its own, e.g. a Dask worker; not with ``noise_mode='trnoise'``).
    start_method : {'fork', 'spawn', 'forkserver'}, optional
        How workers start (default: ``'fork'`` on Linux, ``'spawn'`` elsewhere; see the module
        docstring).
    progress : bool
        A progress bar over samples.
    imperfections : ss_circuit.nonideal.Imperfections, optional
        Circuit-only non-idealities (leakage, lever bandwidth) applied to every sample's circuit.
    ledger : bool
        Put the per-class ledger of :func:`~ss_circuit.readout.reduce_vectors` (``heat:<class>``,
        ``work:noise``, ``work:targets``, ``work:levers``) into ``Trajectory.extras``.

    Returns
    -------
    ss_mech.Trajectory
        ``backend='circuit'``; ``kinetic``, ``potential``, ``dissipated`` (∫Σ R i²),
        ``noise_work`` (∫Σ i·V_noise), ``protocol_work`` (zeros), ``loss``, states ``x``/``v``
        (positions from the meters, velocities = loop currents), ``stats`` (ngspice points,
        accepted/rejected steps, iterations, source callbacks, wall time) and ``meta``.
    """
    from ss_mech.run import check_noise_signal, check_run, initial_state
    from ss_mech.trajectory import Trajectory
    from ss_mech.validation import positive

    t_end, n_out, samples = check_run(t_end, n_out, samples)
    dt = positive(dt, "dt")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} for the circuit; got {method!r}")
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise_mode must be one of {', '.join(map(repr, NOISE_MODES))}; got {noise_mode!r}")
    scaling = Scaling() if scaling is None else scaling
    if noise is not None:
        check_noise_signal(noise, system, samples=samples, t_end=t_end)
        if noise_mode != "samples":
            raise ValueError(f"a noise signal drives noise_mode='samples' only, got noise_mode={noise_mode!r}")
    if not system.thermal:
        noise_mode = "none"
    if noise is None and noise_mode == "samples":
        noise = draw_noise(system, t_end=t_end, samples=samples, seed=seed, dt_noise=dt_noise, n_out=n_out)
    x_init, v_init = initial_state(system, x0=x0, v0=v0, samples=samples, seed=seed)

    start = time.perf_counter()
    made = list(_jobs(system, x_init=x_init, v_init=v_init, t_end=t_end, dt=dt, n_out=n_out, method=method,
                      noise_mode=noise_mode, signal=noise, scaling=scaling, dt_noise=dt_noise, seed=seed,
                      imperfections=imperfections))
    circuit0 = made[0][0]
    jobs = [job for _, job in made]
    start_method = start_method or START_METHOD
    results = _run_all(jobs, processes=processes, fresh=(noise_mode == "trnoise"), progress=progress,
                       start_method=start_method)
    wall = time.perf_counter() - start

    def stack(key):
        return np.stack([r[key] for r in results], axis=1)

    x, v = stack("x"), stack("v")
    potential = stack("potential")
    info = [r["info"] for r in results]
    stats = {"points": sum(i["points"] for i in info),
             **{k: sum(i.get(k, 0) for i in info) for k in ("accepted", "rejected", "iterations", "source_calls",
                                                      "first_order_steps")},
             "numerical_loss": float(np.mean([i["numerical_loss"] for i in info])),
             "ngspice_time": sum(i["wall_time"] for i in info), "wall_time": wall}
    meta = {"method": method, "dt": dt, "dt_circuit": scaling.time * dt, "t_end": t_end, "n_out": n_out,
            "samples": samples, "seed": seed, "noise_mode": noise_mode,
            "noise_source": "given" if noise is not None and noise_mode == "samples" else noise_mode,
            "dt_noise": circuit0.dt_noise, "scaling": scaling.to_dict(),
            "joules_per_energy_unit": scaling.energy,
            "temperature_kelvin": scaling.kelvin(system.kb, system.temperature),
            "elements": circuit0.counts(), "start_method": start_method,
            "grid": system.grid.to_dict(), "n_labels": system.n_labels, **system.params()}
    return Trajectory(
        t=np.linspace(0.0, t_end, n_out), kinetic=stack("kinetic"), potential=potential,
        dissipated=stack("dissipated"), noise_work=stack("noise_work"), protocol_work=np.zeros_like(potential),
        loss=system.loss_from_potential(potential),
        x_end=x[-1].copy(), v_end=v[-1].copy(), x=x, v=v, backend="circuit", stats=stats, meta=meta,
        extras={k: np.stack([r["ledger"][k] for r in results], axis=1) for k in results[0]["ledger"]} if ledger else {})


def _run_all(jobs: list[dict], *, processes: int | None, fresh: bool, progress: bool,
             start_method: str) -> list[dict]:
    from tqdm.auto import tqdm

    if processes == 0 and fresh:
        raise ValueError("processes=0 runs every sample in one process, which TRNOISE cannot do (its variance "
                         "drifts from run to run within a process); use noise_mode='samples' or processes >= 1")
    in_process = (len(jobs) == 1 and processes is None or processes == 0) and not fresh
    bar = tqdm(total=len(jobs), desc="ngspice", unit="sample", disable=not progress, leave=False)
    try:
        if in_process:
            out = []
            for job in jobs:
                out.append(_run_job(job))
                bar.update(1)
            return out
        import os
        workers = max(1, min(len(jobs), processes or os.cpu_count() or 1))
        kwargs = {"max_tasks_per_child": 1} if fresh else {}
        # a fresh interpreter per TRNOISE sample: a forked child would inherit the parent's ngspice
        # generator state (identical noise in every sample); a new process seeds its own (measured)
        method = "spawn" if fresh else start_method
        return run_in_processes(_run_job, jobs, workers=workers, start_method=method, bar=bar, **kwargs)
    finally:
        bar.close()


def run_in_processes(fn, jobs, *, workers: int, start_method: str, bar=None, **pool_options) -> list:
    """``[fn(job) for job in jobs]`` in ``workers`` processes (never threads: two threads sharing
    libngspice segfault), results in job order; ``bar`` (tqdm) advances once per job."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(start_method), **pool_options) as pool:
        futures = [pool.submit(fn, job) for job in jobs]
        out = []
        for i, f in enumerate(futures):
            try:
                out.append(f.result())
            except BrokenProcessPool:  # the worker died without a Python error to pass on
                raise SimulationError(
                    f"an ngspice worker process died while running job {i} of {len(jobs)} (ngspice crashed or "
                    "the machine ran out of memory); rerun with processes=1 (CLI: --processes 1) to see "
                    "ngspice's own message") from None
            if bar is not None:
                bar.update(1)
        return out


def to_si(traj) -> dict:
    """The trajectory's energies in joules and states in coulombs and amperes (circuit units)."""
    s = Scaling(**traj.meta["scaling"])
    out = {k: getattr(traj, k) * s.energy for k in ("kinetic", "potential", "dissipated", "noise_work")}
    out["t"] = traj.t * s.time
    if traj.x is not None:
        out["charge"] = traj.x * s.charge
        out["current"] = traj.v * s.ampere
    return out


def scaling_from_options(system, *, alpha: float | None = None, tau: float | None = None, energy: float = 1.0,
                         inductance: float | None = None, capacitance: float | None = None) -> Scaling:
    """A :class:`Scaling` from command-line style options (α, τ directly, or part values)."""
    return Scaling.for_parts(system, charge=alpha, time=tau, energy=energy, inductance=inductance,
                             capacitance=capacitance)


#: the keys of a spec's ``circuit`` section: the transient, the noise and the scaling
CIRCUIT_KEYS = ("method", "max_step", "dt_noise", "noise", "alpha", "tau", "energy", "capacitance", "inductance")


def circuit_options(spec) -> dict:
    """The spec's ``circuit`` section, checked, with the older ``run.method``/``run.dt`` resolved in.

    ``method`` is ngspice's rule (``'trap'``, ``'gear'``), ``max_step`` its maximum step and
    ``dt_noise`` the Johnson-noise knot spacing (mechanical time), ``noise`` the noise mode;
    ``alpha``, ``tau``, ``energy`` or the part values ``capacitance``, ``inductance`` the scaling.
    """
    opts = dict(getattr(spec, "circuit", {}) or {})
    unknown = sorted(set(opts) - set(CIRCUIT_KEYS))
    if unknown:
        raise ValueError(f"spec: unknown key circuit.{unknown[0]} (valid: {', '.join(sorted(CIRCUIT_KEYS))})")
    for key, choices in (("noise", NOISE_MODES), ("method", METHODS)):
        if key in opts and opts[key] not in choices:
            raise ValueError(f"spec: circuit.{key} must be one of {', '.join(map(repr, choices))}; got {opts[key]!r}")
    for key in CIRCUIT_KEYS[4:] + ("max_step", "dt_noise"):
        if key in opts:
            v = opts[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"spec: circuit.{key} must be a positive number, got {v!r}")
    return opts


def _scaling(system, opts: dict) -> Scaling:
    return scaling_from_options(system, alpha=opts.get("alpha"), tau=opts.get("tau"), energy=opts.get("energy", 1.0),
                                inductance=opts.get("inductance"), capacitance=opts.get("capacitance"))


def default_max_step(system, t_end: float) -> float:
    """ngspice's default maximum step: half the default knot spacing (which keeps the
    backward-Euler steps after each knot small), and at most a hundredth of the run."""
    from .sources import default_dt_noise
    return min(0.5 * default_dt_noise(system), t_end / 100)


def _max_step(spec, opts: dict, dt=None) -> float:
    """ngspice's maximum step: given, the spec's ``circuit.max_step`` (or ``run.dt``), else
    :func:`default_max_step`."""
    if dt is not None:
        return dt
    if "max_step" in opts:
        return opts["max_step"]
    return default_max_step(spec.system, spec.run.t_end)


def simulate_spec(spec, **kw):
    """:func:`simulate_circuit` with the spec's system, initial state, ``run`` and ``circuit`` options.

    ``circuit.max_step`` (or ``run.dt``) is ngspice's maximum step (default ``1/(200·max(γ, ω_max))``),
    ``circuit.method`` ``'trap'`` (default) or ``'gear'``, ``circuit.noise`` the noise mode,
    ``circuit.dt_noise`` the knot spacing and the scaling options the part values. Keyword
    arguments override the spec's (``dt`` for the maximum step).
    """
    run, opts = spec.run, circuit_options(spec)
    args = dict(t_end=run.t_end, dt=_max_step(spec, opts, kw.pop("dt", None)), method=opts.get("method", "trap"),
                samples=run.samples, seed=run.seed, n_out=run.n_out, x0=spec.x0, v0=spec.v0,
                noise_mode=opts.get("noise", "samples"), dt_noise=opts.get("dt_noise"),
                scaling=_scaling(spec.system, opts))
    args.update(kw)
    return simulate_circuit(spec.system, **args)


def netlist_from_spec(spec, path, *, noise: str | None = None, alpha: float | None = None,
                      tau: float | None = None, energy: float | None = None, inductance: float | None = None,
                      capacitance: float | None = None, method: str | None = None, dt: float | None = None,
                      title: str = "", params: bool = False) -> str:
    """Write the spec's standalone netlist to ``path`` (None: don't write) and return its text.

    Options left at None come from the spec's ``circuit`` section (:func:`circuit_options`), then
    from the defaults: ``noise='samples'``; scaling by ``alpha`` (C per unit displacement) and
    ``tau`` (s per unit time), or the part values ``capacitance`` (F, one data spring) and
    ``inductance`` (H, one stick's translation), and ``energy`` (J per energy unit, default 1).
    An option given here replaces the spec's, and a part value replaces the spec's unit factor
    (``capacitance`` replaces ``alpha``, ``inductance`` replaces ``tau``). ``params``: part values
    through one ``.param`` per part class. See :func:`write_netlist`.
    """
    run = spec.run
    opts = circuit_options(spec)
    given = {"alpha": alpha, "tau": tau, "energy": energy, "inductance": inductance, "capacitance": capacitance}
    for part, factor in (("capacitance", "alpha"), ("inductance", "tau")):
        if given[part] is not None or given[factor] is not None:
            opts.pop(part, None)
            opts.pop(factor, None)
    opts.update({k: v for k, v in given.items() if v is not None})
    return write_netlist(spec.system, path, x0=spec.x0, v0=spec.v0, t_end=run.t_end, dt=_max_step(spec, opts, dt),
                         noise=noise or opts.get("noise", "samples"), seed=run.seed, scaling=_scaling(spec.system, opts),
                         method=method or opts.get("method", "trap"), n_out=run.n_out, dt_noise=opts.get("dt_noise"),
                         title=title, params=params)
