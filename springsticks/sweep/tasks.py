"""What a spec sweep's point runs: ``simulate``, ``train`` or ``energy``, each a flat record of numbers.

Each task is a plain function ``task(spec, backend, **options) -> dict`` of a parsed spec
(:class:`ss_mech.spec.Spec`) that calls the library's own entry points (nothing is
re-implemented here) and returns one flat dict of numbers (and a few short strings):

``simulate``
    :func:`springsticks.backends.get_backend` ``(backend).simulate_spec``: the loss (MSE on the
    springs) at ``t_end`` and its mean over the late half (t ≥ t_end/2), with standard errors over
    the samples; the friction heat D, the noise work J and the heat Q = D − J at ``t_end``; the
    kinetic ratio ⟨K⟩/(N k_BT/2) over the late half (1 in equilibrium, ``fdt``); and the exact
    references of the same system: the least-squares MSE and ⟨MSE⟩_eq
    (:func:`ss_mech.thermo.equilibrium_mse`, DESIGN.md §6.2), with k/k_BT.
    No options.
``train``
    :func:`ss_mech.training.train` on the spec's data through the backend's integrator: the
    training MSE before and after, the heat, friction heat and protocol work over the run, and the
    same references. Options ``epochs`` (10), ``batch_size`` (16), ``time_per_batch`` (0.1),
    ``shuffle`` (true).
``energy``
    :func:`springsticks.energy.energy_report` (the exact ledger in joules), flattened to dotted
    names (``heat.J``, ``threshold.volts_per_unit``, …). Options ``capacitance`` (F),
    ``volts_per_unit`` (V), ``tau`` (s), ``temperature_k`` (K), ``target_factor`` or
    ``target_mse``, ``batch_size``/``time_per_batch`` (periodic steady state), and
    ``measure`` (false; true also measures the heat on the backend with ``samples`` runs).

The circuit backend runs every sample inside the worker process (``processes=0``): a Dask worker
may not start processes of its own, and one libngspice per process is what ngspice needs.
"""
from __future__ import annotations

import math

import numpy as np

from ss_mech.errors import InputError

__all__ = ["TASKS", "get_task", "check_options", "run_task", "simulate_task", "train_task", "energy_task",
           "flatten"]


def _references(system) -> dict:
    """The exact references of a system: least-squares MSE, ⟨MSE⟩_eq, k_BT and k/k_BT."""
    from ss_mech.oracles import least_squares
    from ss_mech.thermo import equilibrium_mse

    _, mse_ls = least_squares(system)
    try:
        eq = equilibrium_mse(system)
    except ValueError:  # no friction: no stationary state
        eq = math.nan
    kT = system.kT
    return {"lstsq_mse": float(mse_ls), "equilibrium_mse": float(eq), "kT": float(kT),
            "k_over_kT": float(system.stiffness / kT) if kT > 0 else math.inf}


def _mean_sem(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float).ravel()
    sem = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan
    return float(values.mean()), sem


def simulate_task(spec, backend: str) -> dict:
    """Run ``spec`` on ``backend``; the record is described in the module docstring."""
    from ..backends import get_backend

    kw = {"processes": 0} if backend == "circuit" else {}
    traj = get_backend(backend).simulate_spec(spec, **kw)
    system = spec.system
    late = traj.t >= traj.t[-1] / 2
    out = {}
    out["final_mse"], out["final_mse_sem"] = _mean_sem(traj.loss[-1])
    out["late_mse"], out["late_mse_sem"] = _mean_sem(traj.loss[late].mean(axis=0))
    for name in ("dissipated", "noise_work", "heat"):
        out[name], out[name + "_sem"] = _mean_sem(getattr(traj, name)[-1])
    if system.kT > 0:
        out["kinetic_ratio"] = float(traj.kinetic[late].mean() / (system.n_dof * system.kT / 2))
    else:
        out["kinetic_ratio"] = math.nan
    out.update(_references(system))
    out.update(t_end=float(traj.t[-1]), samples=int(traj.samples), dt=float(traj.meta.get("dt") or math.nan),
               method=str(traj.meta.get("method")), n_dof=int(system.n_dof), n_points=int(system.n_points))
    return out


def train_task(spec, backend: str, *, epochs: int = 10, batch_size: int = 16, time_per_batch: float = 0.1,
               shuffle: bool = True) -> dict:
    """Mini-batch training of the spec's machine on its data; the record is described in the module docstring."""
    from ss_mech.training import train

    from ..backends import get_backend

    system = spec.system
    if backend == "circuit":
        from ss_circuit.simulate import default_max_step

        method = spec.circuit.get("method", "trap")
        dt = spec.circuit.get("max_step") or default_max_step(system, time_per_batch)
        extra = {"processes": 0}
    else:
        method, dt, extra = spec.mech.get("method", "auto"), spec.mech.get("dt"), {}
    res = train(system, system.X, system.y, batch_size=batch_size, epochs=epochs, time_per_batch=time_per_batch,
                dt=dt, method=method, x0=spec.x0, v0=spec.v0, samples=spec.run.samples, seed=spec.run.seed,
                shuffle=shuffle, integrator=get_backend(backend).simulate, **extra)
    if res.interrupted:
        raise KeyboardInterrupt
    traj = res.trajectory
    out = {"initial_mse": float(res.history["train_mse"][0]), "final_mse": float(res.history["train_mse"][-1])}
    for name in ("heat", "dissipated", "protocol_work"):
        out[name], out[name + "_sem"] = _mean_sem(getattr(traj, name)[-1])
    out.update(_references(system))
    out.update(epochs=int(epochs), batches=len(res.batches), samples=int(spec.run.samples),
               n_dof=int(system.n_dof), n_points=int(system.n_points))
    return out


def flatten(obj, prefix: str = "") -> dict:
    """The numbers, booleans and strings of a nested dict under dotted names (lists are left out)."""
    out = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (bool, int, float, str, np.generic)) or value is None:
            out[name] = value.item() if isinstance(value, np.generic) else value
    return out


def energy_task(spec, backend: str, *, capacitance: float = 1e-12, volts_per_unit: float = 1.0, tau: float = 1e-9,
                temperature_k: float = 300.0, target_factor: float = 1.1, target_mse: float | None = None,
                batch_size: int | None = None, time_per_batch: float | None = None, measure: bool = False,
                samples: int = 200) -> dict:
    """:func:`springsticks.energy.energy_report` of the spec, flattened (module docstring)."""
    from ..energy import Units, energy_report

    units = Units(capacitance=capacitance, volts_per_unit=volts_per_unit, tau=tau, temperature_k=temperature_k)
    if measure and backend == "circuit":
        raise InputError("energy task: measure=true on the circuit backend needs ngspice worker processes; "
                         "measure on mech, or run `springsticks energy --backend circuit`")
    report = energy_report(spec, units=units, target_mse=target_mse, target_factor=target_factor,
                           batch_size=batch_size, time_per_batch=time_per_batch,
                           backend=backend if measure else None, samples=samples, seed=spec.run.seed)
    return flatten(report)


#: task name → (function, {option: default})
TASKS = {
    "simulate": (simulate_task, {}),
    "train": (train_task, {"epochs": 10, "batch_size": 16, "time_per_batch": 0.1, "shuffle": True}),
    "energy": (energy_task, {"capacitance": 1e-12, "volts_per_unit": 1.0, "tau": 1e-9, "temperature_k": 300.0,
                             "target_factor": 1.1, "target_mse": None, "batch_size": None, "time_per_batch": None,
                             "measure": False, "samples": 200}),
}


def get_task(name: str):
    if name not in TASKS:
        raise InputError(f"--task must be one of {', '.join(map(repr, TASKS))}; got {name!r}")
    return TASKS[name][0]


def check_options(name: str, options: dict) -> None:
    """Raise naming the first option ``task`` does not take (``task.NAME`` paths)."""
    allowed = TASKS[name][1]
    for key in options:
        if key not in allowed:
            valid = ", ".join(sorted(allowed)) or "none"
            raise InputError(f"task.{key}: the {name} task has no option {key!r} (its options: {valid})")


def run_task(payload: dict) -> dict:
    """The function a spec sweep maps over its points: ``payload = {"task", "backend", "spec", "options"}``."""
    from ss_mech.spec import load_spec

    fn = get_task(payload["task"])
    return fn(load_spec(payload["spec"]), payload["backend"], **payload.get("options", {}))
