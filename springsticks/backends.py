"""The backends a spec can run on, as peers: name → how to run a system (and a spec) on it.

Every backend takes the same run keywords (checked by :mod:`ss_mech.run`) and returns the one
:class:`~ss_mech.trajectory.Trajectory` type, so the CLI, the crosscheck and the backend
contract tests (``tests/test_backend_contract.py``) treat them alike:

``mech``
    :func:`ss_mech.simulate`: Langevin dynamics on torchsde (``method`` from
    :data:`ss_mech.solvers.METHODS`).
``circuit``
    :func:`ss_circuit.simulate_circuit`: the machine as an analog circuit in ngspice.

Both entry points of every backend return only finite trajectories: a NaN or an infinity
anywhere in the series or the final state raises
:class:`~ss_mech.errors.NonFiniteResultError` (:func:`check_finite`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from ss_mech.errors import InputError, NonFiniteResultError

__all__ = ["Backend", "BACKENDS", "get_backend", "check_finite"]

#: the series :func:`check_finite` inspects, in this order (then the final state)
_SERIES = ("loss", "kinetic", "potential", "dissipated", "noise_work", "protocol_work")


def check_finite(traj):
    """Return ``traj`` if every series and the final state are finite, else raise.

    Raises :class:`~ss_mech.errors.NonFiniteResultError` naming the first non-finite series,
    its output time index (and time) and sample, with the step to try instead.
    """
    import numpy as np

    def first(values):
        bad = ~np.isfinite(np.asarray(values, dtype=float))
        return [int(k) for k in np.argwhere(bad)[0]] + [0] if bad.any() else None

    where = None
    for name in _SERIES:
        at = first(getattr(traj, name))
        if at is not None:
            i, s = at[0], at[1]
            t = f" (t = {float(traj.t[i]):.6g})" if i < len(traj.t) else ""
            where = f"{name} at output time index {i}{t}, sample {s}"
            break
    else:
        for name in ("x_end", "v_end"):
            at = first(getattr(traj, name))
            if at is not None:
                where = f"{name} (the final state), sample {at[0]}"
                break
    if where is None:
        return traj
    dt = traj.meta.get("dt")
    smaller = f", e.g. dt={dt / 10:g} instead of {dt:g}" if isinstance(dt, (int, float)) and dt > 0 else ""
    gear = '; for the circuit, run.method "gear" can help too' if traj.backend == "circuit" else ""
    raise NonFiniteResultError(f"the {traj.backend} simulation diverged: non-finite {where}; "
                               f"run it again with a smaller time step (run.dt){smaller}{gear}")


def _finite(entry: Callable) -> Callable:
    @functools.wraps(entry)
    def run(*args, **kwargs):
        return check_finite(entry(*args, **kwargs))
    return run


@dataclass(frozen=True)
class Backend:
    """One backend: its name, a one-line description and its two entry points.

    ``simulate(system, *, t_end, dt, x0, v0, samples, seed, n_out, noise, progress, **options)``
    and ``simulate_spec(spec, *, progress)`` (the spec's run options for this backend).
    """

    name: str
    description: str
    simulate: Callable
    simulate_spec: Callable


def _mech_simulate(system, **kw):
    from ss_mech import simulate
    return simulate(system, **kw)


def _mech_spec(spec, **kw):
    from ss_mech import simulate
    run, opts = spec.run, spec.mech
    return simulate(spec.system, t_end=run.t_end, dt=opts.get("dt"), method=opts.get("method", "euler"), x0=spec.x0,
                    v0=spec.v0, samples=run.samples, seed=run.seed, n_out=run.n_out, save_states=False, **kw)


def _circuit_simulate(system, **kw):
    from ss_circuit import simulate_circuit
    return simulate_circuit(system, **kw)


def _circuit_spec(spec, **kw):
    from ss_circuit import simulate_spec
    return simulate_spec(spec, **kw)


BACKENDS = {
    "mech": Backend("mech", "Langevin mechanics on torchsde (ss_mech)", _finite(_mech_simulate), _finite(_mech_spec)),
    "circuit": Backend("circuit", "the analog circuit in ngspice (ss_circuit)", _finite(_circuit_simulate),
                       _finite(_circuit_spec)),
}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; got {name!r}")
    return BACKENDS[name]
