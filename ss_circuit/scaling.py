"""Energy-preserving scaling between the mechanical system and its circuit.

The force–voltage analogy (DESIGN.md §3) maps displacement to charge and velocity to
current. Three positive factors fix the units of the circuit:

* ``charge`` α — coulombs per unit displacement: ``q = α x``;
* ``time`` τ — circuit seconds per unit of mechanical time: ``t_c = τ t``;
* ``energy`` ε — joules per mechanical energy unit: ``E_c = ε E`` (1 by default, which is
  what makes the scaling *energy-preserving*: with ``kb = 1.380649e-23`` in the system the
  mechanical energies already are joules).

Requiring ``½ L i² = ε ½ m v²``, ``q²/2C = ε ½ k x²`` and ``R i² dt_c = ε r v² dt`` gives::

    L = ε m τ² / α²        C = α² / (ε k)        R = ε r τ / α²
    V = ε F / α            i = α v / τ           k_B T_circuit = ε k_B T

so a force becomes a voltage, a drag a resistance and a Johnson source of one-sided PSD
``4 k_B T R`` (two-sided ``2 k_B T R``) is exactly the thermal force of two-sided PSD
``2 k_B T r``. :meth:`Scaling.for_parts` picks α and τ from the part values a user wants
(e.g. a stick inductance in µH and a spring capacitance in pF).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["Scaling", "KB_SI", "KB_NGSPICE"]

#: Boltzmann constant in J/K (exact, SI 2019).
KB_SI = 1.380649e-23

#: the Boltzmann constant ngspice 39 computes thermal noise with (CONSTboltz, CODATA 2014): 3.5e-7
#: below KB_SI, measured as the ratio of its ``.noise`` to the exact spectrum
KB_NGSPICE = 1.38064852e-23


def _positive(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"scaling: {name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"scaling: {name} must be a finite number > 0, got {value!r}")
    return v


@dataclass(frozen=True)
class Scaling:
    """Unit factors of the circuit (see the module docstring).

    Parameters
    ----------
    charge : float
        α, coulombs per unit displacement (> 0).
    time : float
        τ, circuit seconds per unit of mechanical time (> 0).
    energy : float
        ε, joules per mechanical energy unit (> 0); 1 keeps energies unchanged.
    """

    charge: float = 1.0
    time: float = 1.0
    energy: float = 1.0

    def __post_init__(self):
        for name in ("charge", "time", "energy"):
            object.__setattr__(self, name, _positive(getattr(self, name), name))

    # ------------------------------------------------------------------ construction
    @classmethod
    def for_parts(cls, system, *, inductance: float | None = None, capacitance: float | None = None,
                  charge: float | None = None, time: float | None = None, energy: float = 1.0) -> "Scaling":
        """The scaling that gives the requested part values.

        ``capacitance`` (farads) is the capacitor of one data spring, ``C = α²/(ε k)``, which
        fixes ``α = √(ε k C)``; ``inductance`` (henries) is the inductor of one stick's
        translation, ``L = ε m_s τ²/α²``, which fixes ``τ = α √(L/(ε m_s))``. ``charge`` and
        ``time`` set α and τ directly instead (each factor may be given one way only).
        """
        energy = _positive(energy, "energy")
        if capacitance is not None and charge is not None:
            raise ValueError("scaling: give capacitance or charge, not both")
        if inductance is not None and time is not None:
            raise ValueError("scaling: give inductance or time, not both")
        alpha = _positive(charge, "charge") if charge is not None else 1.0
        if capacitance is not None:
            alpha = math.sqrt(energy * system.stiffness * _positive(capacitance, "capacitance"))
        tau = _positive(time, "time") if time is not None else 1.0
        if inductance is not None:
            tau = alpha * math.sqrt(_positive(inductance, "inductance") / (energy * system.stick_mass))
        return cls(charge=alpha, time=tau, energy=energy)

    # ------------------------------------------------------------------ part values
    def inductance(self, mass):
        """L = ε m τ²/α² (henries)."""
        return self.energy * mass * self.time ** 2 / self.charge ** 2

    def capacitance(self, stiffness):
        """C = α²/(ε k) (farads)."""
        return self.charge ** 2 / (self.energy * stiffness)

    def resistance(self, drag):
        """R = ε r τ/α² (ohms)."""
        return self.energy * drag * self.time / self.charge ** 2

    # ------------------------------------------------------------------ signals
    @property
    def volt(self) -> float:
        """Volts per unit force, ε/α."""
        return self.energy / self.charge

    @property
    def ampere(self) -> float:
        """Amperes per unit velocity, α/τ."""
        return self.charge / self.time

    def hertz(self, omega):
        """The circuit frequency (Hz) of a mechanical angular frequency ω: ``f_c = ω/(2πτ)``."""
        return omega / (2.0 * math.pi * self.time)

    def mechanical_density(self, density):
        """A spectral density per circuit angular frequency → per mechanical angular frequency
        (``dω_c = dω/τ``, so ``S(ω) = S_c(ω/τ)/τ``; the other conventions: :mod:`ss_mech.response`)."""
        return density / self.time

    def kelvin(self, kb: float, temperature: float) -> float:
        """The bath temperature in kelvin: ``ε k_B T / k_B^SI``."""
        return self.energy * kb * temperature / KB_SI

    def ngspice_kelvin(self, kb: float, temperature: float) -> float:
        """The temperature to give ngspice so that its ``k_B T`` (with :data:`KB_NGSPICE`) is the bath's."""
        return self.energy * kb * temperature / KB_NGSPICE

    def to_dict(self) -> dict:
        return asdict(self)
