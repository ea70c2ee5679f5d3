"""One trajectory type for every backend (torchsde, exact, ngspice).

Energy bookkeeping (DESIGN.md §4), all cumulative from t = 0 and per sample:

* ``kinetic`` K(t) = ½ vᵀMv, ``potential`` U(t) = k/2 Σ (W x − y)², ``energy`` E = K + U;
* ``dissipated`` D(t) = ∫ vᵀΓv dt — the friction heat (∫ R i² in the circuit);
* ``noise_work`` J(t) = ∫ v·η dt (Stratonovich) — the work of the thermal force;
* ``heat`` Q = D − J — the net heat given to the bath;
* ``protocol_work`` W(t) = Σ (U_new − U_old) over mini-batch switches up to t.

First law: ``E(t) − E(0) = J − D + W``. ``loss`` is the MSE on the springs attached at
time t, ``2U/(k·B·m)``.

Optional series a solver computes only when asked (``extras`` of the torchsde solvers) live in
``Trajectory.extras``, name → (T, S) array; the empty dict when none was asked for. Those named in
:data:`CUMULATIVE_EXTRAS` are path integrals from t = 0 and keep accumulating across
:meth:`Trajectory.concatenate`, like the noise work; any other extra is joined as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["Trajectory", "CUMULATIVE_EXTRAS"]

_SERIES = ("kinetic", "potential", "dissipated", "noise_work", "protocol_work", "loss")

#: optional series (``Trajectory.extras``) that are cumulative from t = 0 (see the module docstring):
#: the authors' "work" ``paper_work`` and its noise part ``paper_noise_work``
#: (:mod:`ss_mech.thermo.paper_barrier`)
CUMULATIVE_EXTRAS = ("paper_work", "paper_noise_work")
#: prefixes of cumulative extras: a circuit's ledger per component class (``heat:<class>``,
#: ``work:<source>``, :mod:`ss_circuit.readout`)
CUMULATIVE_PREFIXES = ("heat:", "work:")


@dataclass
class Trajectory:
    """Output of a simulation: times × samples series, and optionally the states.

    Attributes
    ----------
    t : ndarray (T,)
        Output times.
    kinetic, potential, dissipated, noise_work, protocol_work, loss : ndarray (T, S)
    x_end, v_end : ndarray (S, N)
        Final positions and velocities (node order × labels).
    x, v : ndarray (T, S, N) or None
        States at the output times (``save_states=True``).
    backend : str
        ``'mech'``, ``'exact'`` or ``'circuit'``.
    stats : dict
        Work counters (steps, drift/diffusion evaluations, mass-solve iterations, wall time …).
    meta : dict
        Everything needed to say how it was made (method, dt, system parameters …).
    extras : dict
        Optional series asked of the solver, name → ndarray (T, S) (empty by default); e.g.
        ``'paper_work'`` (the authors' "work", :mod:`ss_mech.thermo.paper_barrier`).
    """

    t: np.ndarray
    kinetic: np.ndarray
    potential: np.ndarray
    dissipated: np.ndarray
    noise_work: np.ndarray
    protocol_work: np.ndarray
    loss: np.ndarray
    x_end: np.ndarray
    v_end: np.ndarray
    x: np.ndarray | None = None
    v: np.ndarray | None = None
    backend: str = "mech"
    stats: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return self.kinetic.shape[1]

    @property
    def energy(self) -> np.ndarray:
        return self.kinetic + self.potential

    @property
    def heat(self) -> np.ndarray:
        return self.dissipated - self.noise_work

    def closure(self) -> np.ndarray:
        """First-law residual ``E(t) − E(0) − (J − D + W)`` (T, S): zero up to integrator error."""
        E = self.energy
        return (E - E[0]) - (self.noise_work - self.dissipated + self.protocol_work)

    def mean(self, name: str) -> np.ndarray:
        return getattr(self, name).mean(axis=1)

    def sem(self, name: str) -> np.ndarray:
        """Standard error of the sample mean (zeros for one sample)."""
        a = getattr(self, name)
        if a.shape[1] < 2:
            return np.zeros(a.shape[0])
        return a.std(axis=1, ddof=1) / np.sqrt(a.shape[1])

    def truncated(self, n: int) -> "Trajectory":
        """The first ``n`` output times (used when a run is interrupted)."""
        kw = {k: getattr(self, k)[:n] for k in ("t",) + _SERIES}
        if self.x is not None:
            kw.update(x=self.x[:n], v=self.v[:n])
        kw["extras"] = {k: v[:n] for k, v in self.extras.items()}
        return replace(self, **kw)

    @staticmethod
    def concatenate(parts: list["Trajectory"]) -> "Trajectory":
        """Join consecutive segments (each starting in the state where the previous ended).

        Segment times are shifted to follow on; cumulative series (dissipated, noise work,
        protocol work, and the extras of :data:`CUMULATIVE_EXTRAS`) keep accumulating; an extra
        is kept only when every segment has it. The join time appears twice: at the end of one
        segment and at the start of the next, so a potential that jumps when springs are
        switched shows as a jump, and the first law holds across it.
        """
        if not parts:
            raise ValueError("nothing to concatenate")
        cols = {k: [] for k in ("t",) + _SERIES}
        xs, vs = [], []
        t_off, offs = 0.0, dict.fromkeys(("dissipated", "noise_work", "protocol_work"), 0.0)
        for p in parts:
            cols["t"].append(p.t + t_off)
            for k in ("kinetic", "potential", "loss"):
                cols[k].append(getattr(p, k))
            for k in offs:
                cols[k].append(getattr(p, k) + offs[k])
                offs[k] = cols[k][-1][-1]
            t_off = cols["t"][-1][-1]
            xs.append(p.x)
            vs.append(p.v)
        have_states = all(x is not None for x in xs)
        extras = {}
        for name in [k for k in parts[0].extras if all(k in p.extras for p in parts)]:
            segs, off = [], 0.0
            for p in parts:
                segs.append(p.extras[name] + off)
                if name in CUMULATIVE_EXTRAS or name.startswith(CUMULATIVE_PREFIXES):
                    off = segs[-1][-1]
            extras[name] = np.concatenate(segs)
        stats = {}
        for p in parts:
            for k, v in p.stats.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v
        return Trajectory(**{k: np.concatenate(v) for k, v in cols.items()},
                          x_end=parts[-1].x_end, v_end=parts[-1].v_end,
                          x=np.concatenate(xs) if have_states else None,
                          v=np.concatenate(vs) if have_states else None,
                          backend=parts[0].backend, stats=stats, meta=dict(parts[0].meta), extras=extras)

    def summary(self, *, include_samples: bool = False) -> dict:
        """JSON-ready dict: times, sample means of every series, final state (mean over samples)."""
        d = {"backend": self.backend, "t": self.t.tolist(), "samples": self.samples,
             "x_end": self.x_end.mean(axis=0).tolist(), "v_end": self.v_end.mean(axis=0).tolist()}
        for k in _SERIES + ("heat",):
            d[k] = self.mean(k).tolist()
        if self.samples > 1:
            for k in ("loss", "dissipated", "noise_work", "heat", "kinetic", "potential"):
                d[k + "_sem"] = self.sem(k).tolist()
        if include_samples:
            d["x_end_samples"] = self.x_end.tolist()
            d["v_end_samples"] = self.v_end.tolist()
        if self.extras:  # only when asked for, so a summary without extras is unchanged
            d["extras"] = {k: v.mean(axis=1).tolist() for k, v in self.extras.items()}
        d["stats"] = {k: v for k, v in self.stats.items()}
        d["meta"] = self.meta
        return d
