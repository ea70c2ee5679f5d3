"""ngspice's small-signal analyses of a system's circuit: ``.ac`` (the response) and ``.noise`` (its spectrum).

The circuit is the one the transient runs (:func:`~ss_circuit.circuit.build_circuit`, the same
loops, levers and parts), built without Johnson sources of ours: ``.noise`` sums ngspice's own
thermal noise of every resistor (``4 k_B T R``, one-sided, per hertz) at ``.options temp`` = the
bath in kelvin from the scaling (``ε k_BT / k_B``; ngspice takes °C), so the reduced k_BT comes
out as the system's. A resistor given ``noisy=0`` (``noiseless`` damper channels) drops out of
``.noise``, as its term drops out of ``Γ_n`` in :func:`ss_mech.response.noise_spectrum`.

For a readout ``r = R x`` every row j gets a *readout meter* (``V(ro_j) = α (R x)_j / C_X``) and
one analysis run: the stimulus is a force ``R_jᵀ`` on the loops (ac volts ``−(ε/α) R_ja`` on loop
a's sensing source, whose KVL reads ``Σ_e c_ea V_e = −V_ac``), so ``.ac`` gives column j of
``R χ Rᵀ`` on the meters and ``.noise v(ro_j)`` the spectrum of ``r_j``. Frequencies are a SPICE
``dec`` sweep (:func:`ss_mech.response.decade_grid`) at ``f_c = ω/(2πτ)``; the results come back in
the spec's units and conventions (:mod:`ss_mech.response`: two-sided, per unit angular frequency).

One ngspice per process and no threads (DESIGN.md §3): the analyses run in this process, one
after the other.
"""
from __future__ import annotations

import numpy as np

from .circuit import build_circuit
from .ngspice import NgspiceError, run_small_signal
from .render import num, render_small_signal
from .scaling import Scaling
from .sources import require_fdt

__all__ = ["small_signal"]


def small_signal(system, omega, *, readout="heights", scaling: Scaling | None = None, noise: bool = True,
                 noiseless=()) -> dict:
    """ngspice's ``.ac`` response and ``.noise`` spectrum of ``system``'s circuit on a readout.

    Parameters
    ----------
    system : ss_mech.System
        ``noise='fdt'`` (``paper`` noise has no circuit); ``noise=True`` needs T > 0.
    omega : array-like
        A decade grid of angular frequencies in the spec's time units
        (:func:`ss_mech.response.decade_grid`: ``ω_0 · 10^(k/n)``).
    readout : str, Readout or array
        :func:`ss_mech.response.readout_matrix` (``'heights'``, ``'residuals'``, ``'node:I'``).
    scaling : Scaling, optional
        The circuit's units (identity by default).
    noise : bool
        Also run ``.noise`` (one per readout row).
    noiseless : iterable of int
        Damper channels whose resistor is marked ``noisy=0``.

    Returns
    -------
    dict
        ``omega`` (as ngspice swept it, converted back), ``hertz`` (the circuit's frequencies),
        ``response`` ((n_ω, n_r, n_r) complex, ``R χ Rᵀ``, displacement per unit force),
        ``noise_psd`` ((n_ω, n_r), the two-sided spectrum per unit angular frequency of every
        readout row; None without ``noise``), ``kelvin`` and ``netlist`` (row 0's text).
    """
    from ss_mech.response import check_omega, readout_matrix, two_sided

    w = check_omega(omega)
    R = readout_matrix(system, readout).matrix
    scaling = Scaling() if scaling is None else scaling
    if system.thermal or noise:
        require_fdt(system, hint="Paper noise has no fluctuation-dissipation relation (its kicks are not the drag's)")
    if noise and not system.thermal:
        raise ValueError("the .noise analysis needs a bath: physics.temperature > 0 and friction > 0")
    per_decade = _per_decade(w)
    hz = scaling.hertz(w)
    sweep = f"dec {per_decade} {num(hz[0])} {num(hz[-1] * (1 + 1e-9))}"
    circuit = build_circuit(system, x0=np.zeros(system.n_dof), v0=np.zeros(system.n_dof), noise="none",
                            scaling=scaling)
    x_per_volt = circuit.meter_capacitance / scaling.charge
    gshunt = 1e-9 * _smallest_admittance(circuit, 2 * np.pi * hz[0], 2 * np.pi * hz[-1])
    n_r = R.shape[0]
    chi = np.zeros((w.size, n_r, n_r), dtype=complex)
    psd = np.zeros((w.size, n_r)) if noise else None
    first = None
    for j in range(n_r):
        drive = {int(a): -scaling.volt * float(R[j, a]) for a in np.flatnonzero(R[j])}
        if not drive:
            raise ValueError(f"readout row {j} is zero: it reads nothing")
        analyses = [f".ac {sweep}"]
        if noise:
            analyses.append(f".noise v(ro{j}) vi{min(drive)} {sweep}")
        text = render_small_signal(circuit, readout=R, drive=drive, analyses=analyses, noiseless=noiseless,
                                   gshunt=gshunt)
        first = first or text
        wanted = {"ac": ["frequency", *(f"ro{k}" for k in range(n_r))]}
        if noise:
            wanted["noise"] = ["frequency", "onoise_spectrum"]
        out = run_small_signal(text, vectors=wanted)
        for kind in wanted:
            f = np.real(out[kind]["frequency"])
            if f.size != hz.size or not np.allclose(f, hz, rtol=1e-6, atol=0):
                raise NgspiceError(f"ngspice's {kind} sweep ({f.size} points from {f[0] if f.size else '-'} Hz) "
                                   f"is not the requested one ({hz.size} from {hz[0]} Hz)")
        swept = np.real(out["ac"]["frequency"])
        chi[:, :, j] = x_per_volt * np.stack([out["ac"][f"ro{k}"] for k in range(n_r)], axis=1)
        if noise:
            volts2 = np.real(out["noise"]["onoise_spectrum"]) ** 2  # one-sided V²/Hz
            psd[:, j] = x_per_volt ** 2 * scaling.mechanical_density(two_sided(volts2))
    # ngspice accumulates its decade steps in its own rounding: report the frequencies it used
    return {"omega": 2 * np.pi * scaling.time * swept, "hertz": swept, "response": chi, "noise_psd": psd,
            "kelvin": scaling.kelvin(system.kb, system.temperature), "gshunt": gshunt, "netlist": first}


def _smallest_admittance(circuit, w_lo: float, w_hi: float) -> float:
    """The smallest |Y| of any part over the sweep (rad/s): ωC at the bottom, 1/(ωL) at the top, 1/R."""
    y = [w_lo * circuit.meter_capacitance]
    for b in circuit.branches:
        y.append({"inertia": lambda: 1.0 / (w_hi * b.part), "damper": lambda: 1.0 / b.part,
                  "spring": lambda: w_lo * b.part}[b.kind]())
    return min(y)


def _per_decade(w: np.ndarray) -> int:
    """The points per decade of a decade grid (ValueError naming the grid when it is not one)."""
    if w.size == 1:
        return 1
    steps = np.log10(w[1:] / w[:-1])
    n = round(1.0 / float(steps[0])) if steps[0] > 0 else 0
    if n < 1 or not np.allclose(steps, 1.0 / n, rtol=1e-6, atol=0):
        raise ValueError("omega must be a decade grid w0 * 10**(k/n) (ss_mech.response.decade_grid), "
                         f"got steps of {steps.min():.4g} to {steps.max():.4g} decades")
    return n
