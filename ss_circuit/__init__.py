"""ss_circuit — the springs-and-sticks machine as an analog circuit, simulated by ngspice.

Where things live:

The circuit backend: it reads a system's element list (:mod:`ss_mech.elements`) and what every
backend shares (:mod:`ss_mech.run`), never a mechanical solver. Where things live:

* :mod:`ss_circuit.scaling`   unit factors α (charge), τ (time), ε (energy); part values
* :mod:`ss_circuit.sources`   Johnson-noise modes, default knot spacing, seeded noise signals
* :mod:`ss_circuit.circuit`   element list → circuit (loops, levers, parts, initial values, readout plan)
* :mod:`ss_circuit.render`    a circuit → SPICE text (names, numbers, tolerances)
* :mod:`ss_circuit.ngspice`   libngspice in shared mode: loading, running, errors, vectors
* :mod:`ss_circuit.readout`   ngspice's vectors → energies and states at the output times
* :mod:`ss_circuit.simulate`  ``simulate_circuit`` (ensembles in processes), spec helpers
* :mod:`ss_circuit.frequency` ngspice's ``.ac`` and ``.noise`` of the circuit (``small_signal``)
* :mod:`ss_circuit.demo_netlists`  the committed netlists of the demo specs (``examples/specs``)

The crosscheck of the two backends is the application's: :mod:`springsticks.compare`.
Attributes are imported lazily so that worker processes, which need only
:mod:`ss_circuit.ngspice` and :mod:`ss_circuit.readout`, do not import torch.
"""
from __future__ import annotations

from ss_mech.lazy import lazy_attributes

__all__ = ["Scaling", "KB_SI", "Circuit", "build_circuit", "write_netlist", "simulate_circuit",
           "simulate_spec", "netlist_from_spec", "draw_noise", "default_dt_noise", "to_si",
           "NgspiceError", "NgspiceLibraryError", "NetlistRejected", "TransientFailed"]

_WHERE = {"Scaling": "scaling", "KB_SI": "scaling", "Circuit": "circuit", "build_circuit": "circuit",
          "write_netlist": "circuit", "simulate_circuit": "simulate", "simulate_spec": "simulate",
          "netlist_from_spec": "simulate", "to_si": "simulate", "draw_noise": "sources",
          "default_dt_noise": "sources", "NgspiceError": "ngspice", "NgspiceLibraryError": "ngspice",
          "NetlistRejected": "ngspice", "TransientFailed": "ngspice"}


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())
