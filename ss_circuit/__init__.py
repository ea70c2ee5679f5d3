"""ss_circuit — the springs-and-sticks machine as an analog circuit, simulated by ngspice.

Where things live:

* :mod:`ss_circuit.scaling`   unit factors α (charge), τ (time), ε (energy); part values
* :mod:`ss_circuit.sources`   Johnson-noise modes, default knot spacing, seeded noise signals
* :mod:`ss_circuit.netlist`   element list → circuit (loops, levers, parts) → SPICE text
* :mod:`ss_circuit.ngspice`   libngspice in shared mode: loading, running, errors, vectors
* :mod:`ss_circuit.readout`   ngspice's vectors → energies and states at the output times
* :mod:`ss_circuit.simulate`  ``simulate_circuit`` (ensembles in processes), spec helpers
* :mod:`ss_circuit.demo_netlists`  the committed netlists of the demo systems
* :mod:`ss_circuit.crosscheck`  both backends (and the exact oracles) compared: ``springsticks crosscheck``
* :mod:`ss_circuit.report`    the crosscheck's markdown report and figures

Attributes are imported lazily so that worker processes, which need only
:mod:`ss_circuit.ngspice` and :mod:`ss_circuit.readout`, do not import torch.
"""
from __future__ import annotations

import importlib

__all__ = ["Scaling", "KB_SI", "Circuit", "build_circuit", "write_netlist", "simulate_circuit",
           "simulate_spec", "netlist_from_spec", "draw_noise", "default_dt_noise", "to_si",
           "NgspiceError", "NgspiceLibraryError", "NetlistRejected", "TransientFailed"]

_WHERE = {"Scaling": "scaling", "KB_SI": "scaling", "Circuit": "netlist", "build_circuit": "netlist",
          "write_netlist": "netlist", "simulate_circuit": "simulate", "simulate_spec": "simulate",
          "netlist_from_spec": "simulate", "to_si": "simulate", "draw_noise": "sources",
          "default_dt_noise": "sources", "NgspiceError": "ngspice", "NgspiceLibraryError": "ngspice",
          "NetlistRejected": "ngspice", "TransientFailed": "ngspice"}


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ss_circuit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
