"""ngspice in shared-library mode (through PySpice): loading, running, errors, vectors.

This module imports only numpy, PySpice and :mod:`ss_mech.errors` (which imports nothing), so a
worker process that runs circuits starts in a fraction of a second (no torch).

Facts it relies on (ngspice 39, PySpice 1.5, DESIGN.md §3, re-measured here):

* The library is ``libngspice.so`` (``apt-get install ngspice libngspice0 libngspice0-dev``;
  the -dev package adds the unversioned link) or the file named by ``NGSPICE_LIBRARY_PATH``.
* One ngspice per process: the library has global state, two threads sharing it segfault.
  Ensembles therefore run in processes (:mod:`ss_circuit.simulate`).
* An ``external`` voltage source must be written ``Vname n+ n- external``; with a ``dc 0``
  in front ngspice 39 dereferences a null pointer and the process dies (segfault, measured).
* PySpice raises ``NgSpiceCommandError`` for *any* stderr line that does not start with
  ``Warning:`` — e.g. "incomplete set of K couplings" — even when the run succeeded. Success
  is therefore judged by the result: a transient plot that reaches ``t_stop``. ngspice's own
  messages are kept and quoted when it did not.
* PySpice keeps every circuit unless ``remcirc`` is sent (~0.5 MB each): :func:`run_netlist`
  removes the circuit and its plots after every run.
"""
from __future__ import annotations

import logging
import math
import os
import time as _time
import warnings

import numpy as np

from ss_mech.errors import SimulationError

__all__ = ["NgspiceError", "NgspiceLibraryError", "NetlistRejected", "TransientFailed",
           "NgspiceWarning", "engine", "run_netlist", "run_small_signal", "INSTALL_HINT"]

INSTALL_HINT = ("install it with `apt-get install ngspice libngspice0 libngspice0-dev` (Debian/Ubuntu; the -dev "
                "package provides the libngspice.so link PySpice loads), or set NGSPICE_LIBRARY_PATH to the "
                "library file")

#: stderr lines that are not failures (ngspice reports them on stderr; PySpice treats them as errors)
HARMLESS = ("incomplete set of k couplings", "unsupported ngspice version", "note: no compatibility mode",
            "using sparse", "warning:", "gmin step", "trying gmin", "source step", "supplies reduced",
            "transient op started", "transient op finished")


class NgspiceError(SimulationError):
    """Something went wrong in ngspice; the message quotes ngspice's own words.

    A :class:`~ss_mech.errors.SimulationError` (and so a ``RuntimeError``; the command exits
    with status 3). The subclasses say what to do.
    """

    hint = "if the spec is as intended, please report it with the spec (ngspice's words are quoted)"


class NgspiceLibraryError(NgspiceError, ImportError):
    """libngspice (or PySpice) cannot be loaded: raised on the first circuit run.

    The message names the library path tried and the install command (:data:`INSTALL_HINT`).
    """

    hint = None


class NetlistRejected(NgspiceError):
    """ngspice refused to parse the netlist (its error lines are quoted).

    The netlists are generated: for a valid spec this is a bug of the netlist writer; report it
    with the spec (``springsticks netlist SPEC -o FILE`` writes the netlist to look at).
    """

    hint = ("the netlist is generated from the spec: please report it with the spec "
            "(`springsticks netlist SPEC -o FILE` writes it out)")


class TransientFailed(NgspiceError):
    """The transient analysis stopped before ``t_stop`` (e.g. "timestep too small").

    Usually a stiff or diverging circuit: run again with a smaller maximum step (the spec's
    ``run.dt``) or ``run.method = "gear"``.
    """

    hint = 'try a smaller run.dt (ngspice\'s maximum step) or run.method "gear" in the spec'


class NgspiceWarning(UserWarning):
    """ngspice printed something unexpected on stderr, but the run completed."""


_ENGINE = None
_LOG = logging.getLogger("ss_circuit.ngspice")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False


class _ExternalSource:
    """A piecewise-linear signal on a uniform grid, evaluated in the ``get_vsrc_data`` callback."""

    __slots__ = ("t0", "dt", "values", "last")

    def __init__(self, t0: float, dt: float, values):
        self.t0, self.dt = float(t0), float(dt)
        self.values = [float(v) for v in values]
        self.last = len(self.values) - 2

    def __call__(self, t: float) -> float:
        s = (t - self.t0) / self.dt
        k = int(s)
        k = 0 if k < 0 else (self.last if k > self.last else k)
        a = s - k
        return (1.0 - a) * self.values[k] + a * self.values[k + 1]


def _engine_class():
    try:
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    except ImportError as exc:  # PySpice itself missing
        raise NgspiceLibraryError(f"PySpice is not importable ({exc}); pip install PySpice, and {INSTALL_HINT}") from None

    class Engine(NgSpiceShared):
        """NgSpiceShared that keeps every message and serves external sources from a table."""

        _logger = _LOG

        def __init__(self):
            self.messages: list[str] = []
            self.sources: dict = {}
            self.source_calls = 0
            super().__init__(ngspice_id=0, send_data=False)

        def send_char(self, message, ngspice_id):
            self.messages.append(str(message))
            return 0

        def get_vsrc_data(self, voltage, time, node, ngspice_id):
            self.source_calls += 1
            src = self.sources.get(node)
            voltage[0] = src(time) if src is not None else 0.0
            return 0

    return Engine


def engine():
    """This process's ngspice (loaded on first use); :class:`NgspiceLibraryError` if it cannot be."""
    global _ENGINE
    if _ENGINE is None:
        cls = _engine_class()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _ENGINE = cls()
        except OSError as exc:
            path = os.environ.get("NGSPICE_LIBRARY_PATH", "libngspice.so")
            raise NgspiceLibraryError(f"cannot load the ngspice shared library ({path}): {exc}; {INSTALL_HINT}") from None
    return _ENGINE


def _problems(lines) -> list[str]:
    """The messages that say something failed (everything on stderr that is not known to be harmless).

    The K-coupling note spans several lines ("The Inductive System consisting of", the inductor
    and coupling names, "has an incomplete set of K couplings …"): the whole block is dropped.
    """
    out, block = [], False
    for line in lines:
        prefix, _, content = line.partition(" ")
        text = content.strip()
        low = text.lower()
        if low.startswith("the inductive system consisting of"):
            block = True
        if block:
            block = "incomplete set of k couplings" not in low
            continue
        if not text or any(h in low for h in HARMLESS):
            continue
        if prefix == "stderr" or "error" in low:
            out.append(text)
    return out


def _vectors(eng, plot: str, wanted) -> dict[str, np.ndarray]:
    """The named vectors of ``plot``: real ones as float64, complex ones (``.ac``) as complex128."""
    from PySpice.Spice.NgSpice.Shared import ffi

    lib = eng._ngspice_shared
    out = {}
    for name in wanted:
        info = lib.ngGet_Vec_Info(f"{plot}.{name}".encode())
        if info == ffi.NULL:
            raise NgspiceError(f"ngspice has no vector {name!r} in plot {plot!r}")
        if info.v_realdata != ffi.NULL:
            out[name] = np.frombuffer(ffi.buffer(info.v_realdata, info.v_length * 8), dtype=np.float64).copy()
        elif info.v_compdata != ffi.NULL:  # ngcomplex_t: (real, imag) pairs of doubles
            pairs = np.frombuffer(ffi.buffer(info.v_compdata, info.v_length * 16), dtype=np.float64)
            out[name] = pairs[0::2] + 1j * pairs[1::2]
        else:
            raise NgspiceError(f"ngspice's vector {name!r} in plot {plot!r} holds no data")
    return out


def _command(eng, command: str):
    """Run a command, swallowing PySpice's error flag (judged by the caller from the results)."""
    from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

    try:
        eng.exec_command(command)
    except NgSpiceCommandError:
        pass


def _rusage(eng) -> dict:
    """Work counters ngspice keeps for the last transient (accepted/rejected points, iterations)."""
    start = len(eng.messages)
    _command(eng, "rusage accept rejected traniter")
    keys = {"Accepted timepoints": "accepted", "Rejected timepoints": "rejected", "Transient iterations": "iterations"}
    stats = {}
    for line in eng.messages[start:]:
        name, _, value = line.partition(" ")[2].partition(" = ")
        if name.strip() in keys:
            try:
                stats[keys[name.strip()]] = int(float(value))
            except ValueError:
                pass
    return stats


def _load(eng, text: str) -> list[str]:
    """Load a netlist (NetlistRejected, quoting ngspice, if it is not parsed); the load's messages."""
    try:
        eng.load_circuit(text)
    except Exception:  # PySpice raises NgSpiceCircuitError with an empty message
        pass
    loaded = list(eng.messages)
    if any("error" in m.lower() for m in loaded) or "circuit not parsed" in " ".join(loaded).lower():
        raise NetlistRejected("ngspice rejected the netlist: " + " | ".join(_problems(loaded) or loaded[-5:]))
    return loaded


def _clean(eng):
    _command(eng, "remcirc")
    _command(eng, "destroy all")
    eng.sources = {}


def run_small_signal(text: str, *, vectors: dict) -> dict:
    """Run a netlist's small-signal analyses (``.ac``, ``.noise``) and return their vectors.

    ``vectors`` maps a plot kind to the vector names wanted from it: ``{'ac': ['frequency',
    'ro0'], 'noise': ['frequency', 'onoise_spectrum']}`` (``'noise'`` is the spectrum plot,
    ngspice's first noise plot; its second holds the integrated noise). Complex vectors (.ac)
    come back as complex128. Raises :class:`NetlistRejected` for a netlist ngspice cannot parse
    and :class:`NgspiceError`, quoting ngspice, when an analysis left no plot.
    """
    eng = engine()
    eng.messages.clear()
    eng.sources = {}
    before = set(eng.plot_names)
    try:
        loaded = _load(eng, text)
        _command(eng, "run")
        new = [p for p in eng.plot_names if p not in before]
        problems = _problems(eng.messages[len(loaded):])
        out = {}
        for kind, names in vectors.items():
            plots = sorted((p for p in new if p.rstrip("0123456789") == kind), key=lambda p: int(p[len(kind):] or 0))
            if not plots:
                raise NgspiceError(f"ngspice produced no {kind} result: " + (" | ".join(problems) or "no message"))
            out[kind] = _vectors(eng, plots[0], names)
    finally:
        _clean(eng)
    if problems:
        warnings.warn("ngspice: " + " | ".join(problems), NgspiceWarning, stacklevel=2)
    return out


def run_netlist(text: str, *, t_stop: float, vectors, sources: dict | None = None) -> tuple[dict, dict]:
    """Run one transient netlist in this process's ngspice and return the saved vectors.

    Parameters
    ----------
    text : str
        The netlist (with its ``.tran`` line).
    t_stop : float
        The transient's end (circuit seconds): a run is complete when its last time point
        reaches it.
    vectors : iterable of str
        Vector names to return besides ``time`` (ngspice's lower-case names, e.g. ``'n3'``,
        ``'vi0#branch'``).
    sources : dict, optional
        ``{source name: (t0, dt, values)}`` for ``external`` sources: piecewise-linear on a
        uniform grid (circuit seconds, volts).

    Returns
    -------
    vectors : dict of ndarray
        ``time`` and the requested vectors at ngspice's accepted time points.
    info : dict
        ``points`` (rows), ``wall_time`` (s), ``source_calls``, ngspice's ``accepted``,
        ``rejected`` and ``iterations`` counters, and ``messages`` (stderr lines that were
        neither errors nor known to be harmless).

    Raises
    ------
    NetlistRejected
        ngspice could not parse the netlist (its error lines are quoted).
    TransientFailed
        the analysis stopped before ``t_stop`` ("timestep too small" and the like).
    """
    eng = engine()
    eng.messages.clear()
    eng.sources = {name.lower(): _ExternalSource(*spec) for name, spec in (sources or {}).items()}
    eng.source_calls = 0
    start = _time.perf_counter()
    before = set(eng.plot_names)
    try:
        loaded = _load(eng, text)
        _command(eng, "run")
        new = [p for p in eng.plot_names if p not in before and p.startswith("tran")]
        problems = _problems(eng.messages[len(loaded):])
        if not new:
            raise TransientFailed("ngspice produced no transient result: " + (" | ".join(problems) or "no message"))
        plot = new[0]
        out = _vectors(eng, plot, ["time", *vectors])
        t_last = float(out["time"][-1]) if out["time"].size else -math.inf
        if t_last < t_stop * (1 - 1e-9):
            raise TransientFailed(f"the transient stopped at t = {t_last:.6g} s of {t_stop:.6g} s: "
                                  + (" | ".join(problems) or "ngspice gave no reason"))
        info = {"points": int(out["time"].size), "source_calls": eng.source_calls, **_rusage(eng),
                "messages": problems}
    finally:
        _clean(eng)
    info["wall_time"] = _time.perf_counter() - start
    if info["messages"]:
        warnings.warn("ngspice: " + " | ".join(info["messages"]), NgspiceWarning, stacklevel=2)
    return out, info
