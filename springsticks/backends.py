"""The backends a spec can run on, as peers: name → how to run a system (and a spec) on it.

Every backend takes the same run keywords (checked by :mod:`ss_mech.run`) and returns the one
:class:`~ss_mech.trajectory.Trajectory` type, so the CLI, the crosscheck and the backend
contract tests (``tests/test_backend_contract.py``) treat them alike:

``mech``
    :func:`ss_mech.simulate`: Langevin dynamics on torchsde (``method`` from
    :data:`ss_mech.solvers.METHODS`).
``circuit``
    :func:`ss_circuit.simulate_circuit`: the machine as an analog circuit in ngspice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Backend", "BACKENDS", "get_backend"]


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
    "mech": Backend("mech", "Langevin mechanics on torchsde (ss_mech)", _mech_simulate, _mech_spec),
    "circuit": Backend("circuit", "the analog circuit in ngspice (ss_circuit)", _circuit_simulate, _circuit_spec),
}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; got {name!r}")
    return BACKENDS[name]
