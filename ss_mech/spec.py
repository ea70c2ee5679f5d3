"""JSON experiment specs: one file, runnable through either backend.

::

    {"grid": {"n_sticks": [4], "u_min": [0.0], "u_max": [6.28]},      # u_min/u_max optional
     "n_labels": 1,
     "physics": {"mass": 1.0, "stiffness": 1.0, "friction": 4.0,
                 "temperature": 0.0, "kb": 1.0, "noise": "fdt"},
     "data": {"X": [[0.1], ...], "y": [[0.3], ...]},
     "initial": {"x": [...], "v": [...]},                               # optional, node order
     "run": {"t_end": 0.3, "samples": 1, "seed": 0, "n_out": 101},    # shared by every backend
     "mech": {"method": "euler", "dt": 0.001},                          # optional: torchsde only
     "circuit": {"method": "trap", "max_step": 0.001, "noise": "samples",
                 "capacitance": 1e-12, ...}}                            # optional: ngspice only

One file runs through either backend. ``run`` is what they share; ``mech`` and ``circuit`` hold
what only one of them reads (``ss_circuit`` validates its section when it reads it). The older
form keeps working: ``run.method`` applies to the backend it names (``'euler'`` … to the
mechanics, ``'trap'``/``'gear'`` to the circuit) and the other ignores it with a note
(:attr:`Spec.notes`); ``run.dt`` is the step of both (ngspice's maximum step for the circuit)
unless a backend section sets its own.

``u_min``/``u_max`` default to the data's box; ``initial`` defaults to seeded uniform
positions in [0, 1) shared by every sample, at rest (``"x": "uniform" | "gibbs"`` and
``"v": "rest" | "maxwell"`` draw per sample instead, see :func:`ss_mech.run.initial_state`);
``n_out`` counts the output times including 0 and ``t_end``; the mechanical ``dt`` may be
omitted (a stable one is chosen). Errors name the offending key, e.g.
``spec: physics.friction must be >= 0, got -1``.

The demo systems are specs too: :func:`example_spec` reads ``examples/specs/NAME.json``, and
:func:`override` changes keys by dotted path (``{"physics.temperature": 0.05}``) before loading.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import SpecError
from .grid import Grid
from .system import PARAM_CHECKS, System
from .validation import positive_int

__all__ = ["Spec", "RunOptions", "load_spec", "spec_dict", "SpecError", "example_spec", "override", "format_spec",
           "EXAMPLES"]

#: the folder of the example specs (the demo systems)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "specs"

_TOP = {"grid", "n_labels", "physics", "data", "initial", "run", "mech", "circuit"}
_MECH = {"method", "dt"}
_PHYSICS = {"mass", "stiffness", "friction", "temperature", "kb", "noise"}
_RUN = {"t_end", "dt", "method", "samples", "seed", "n_out"}


@dataclass(frozen=True)
class RunOptions:
    """The ``run`` section: what every backend shares (``dt`` and ``method`` as written, the older form)."""

    t_end: float
    dt: float | None = None
    method: str | None = None  # as written; each backend resolves it (Spec.mech / Spec.circuit)
    samples: int = 1
    seed: int = 0
    n_out: int = 101


@dataclass(frozen=True)
class Spec:
    """A parsed spec: the system, its initial state and how to run it on each backend.

    ``mech`` and ``circuit`` are the options of each backend with the older ``run.method`` /
    ``run.dt`` resolved into them; ``notes[backend]`` says what that backend ignores and why.
    """

    system: System
    x0: np.ndarray | str | None
    v0: np.ndarray | str | None
    run: RunOptions
    source: dict
    circuit: dict = field(default_factory=dict)   # the circuit backend's options (ss_circuit checks them)
    mech: dict = field(default_factory=dict)      # {"method": ..., "dt": ...} of the mechanical backend
    notes: dict = field(default_factory=dict)     # backend -> list of one-line notes

    def to_dict(self) -> dict:
        return self.source


def _unknown(section: dict, allowed: set, where: str):
    extra = sorted(set(section) - allowed)
    if extra:
        raise SpecError(f"spec: unknown key {where + '.' if where else ''}{extra[0]} "
                        f"(valid: {', '.join(sorted(allowed))})")


def _section(d: dict, key: str, required: bool = True) -> dict:
    if key not in d:
        if required:
            raise SpecError(f"spec: missing key {key}")
        return {}
    if not isinstance(d[key], dict):
        raise SpecError(f"spec: {key} must be an object, got {type(d[key]).__name__}")
    return d[key]


def _wrap(where: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        raise SpecError(f"spec: {where}: {exc}") from None


def load_spec(spec) -> Spec:
    """Parse a spec from a path, a JSON string or a dict."""
    if isinstance(spec, (str, Path)) and not str(spec).lstrip().startswith("{"):
        path = Path(spec)
        if not path.exists():
            raise SpecError(f"spec file not found: {path}")
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec {path}: invalid JSON: {exc}") from None
    elif isinstance(spec, str):
        spec = json.loads(spec)
    if not isinstance(spec, dict):
        raise SpecError(f"spec must be a JSON object, got {type(spec).__name__}")
    _unknown(spec, _TOP, "")

    data = _section(spec, "data")
    _unknown(data, {"X", "y"}, "data")
    for key in ("X", "y"):
        if key not in data:
            raise SpecError(f"spec: missing key data.{key}")
    X = _wrap("data.X", lambda: np.asarray(data["X"], dtype=float))
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0:
        raise SpecError(f"spec: data.X must be a non-empty list of points (B × d), got shape {X.shape}")

    g = _section(spec, "grid")
    _unknown(g, {"n_sticks", "u_min", "u_max"}, "grid")
    if "n_sticks" not in g:
        raise SpecError("spec: missing key grid.n_sticks")
    n_sticks = g["n_sticks"] if isinstance(g["n_sticks"], list) else [g["n_sticks"]] * X.shape[1]
    u_min = g.get("u_min", X.min(axis=0).tolist())
    u_max = g.get("u_max", X.max(axis=0).tolist())
    grid = _wrap("grid", Grid, tuple(n_sticks), tuple(np.atleast_1d(u_min)), tuple(np.atleast_1d(u_max)))

    phys = _section(spec, "physics", required=False)
    _unknown(phys, _PHYSICS, "physics")
    n_labels = spec.get("n_labels", 1)
    try:
        positive_int(n_labels, "n_labels")
        for key, value in phys.items():
            PARAM_CHECKS[key](value, f"physics.{key}")
    except (ValueError, TypeError) as exc:
        raise SpecError(f"spec: {exc}") from None
    system = _wrap("data", System, grid, n_labels=n_labels, X=X, y=data["y"], **phys)

    init = _section(spec, "initial", required=False)
    _unknown(init, {"x", "v"}, "initial")
    x0 = v0 = None
    names = {"x": ("uniform", "gibbs"), "v": ("rest", "maxwell")}
    for key in ("x", "v"):
        if key in init and isinstance(init[key], str):
            if init[key] not in names[key]:
                raise SpecError(f"spec: initial.{key} must be a list of numbers or one of "
                                f"{', '.join(map(repr, names[key]))}; got {init[key]!r}")
            x0, v0 = (init[key], v0) if key == "x" else (x0, init[key])
        elif key in init:
            arr = _wrap(f"initial.{key}", lambda: np.asarray(init[key], dtype=float))
            if arr.shape[-1:] != (system.n_dof,) or arr.ndim > 2 or not np.all(np.isfinite(arr)):
                raise SpecError(f"spec: initial.{key} must hold {system.n_dof} finite numbers "
                                f"(nodes {grid.shape} × {system.n_labels} labels, C order), got shape {arr.shape}")
            x0, v0 = (arr, v0) if key == "x" else (x0, arr)

    r = _section(spec, "run")
    _unknown(r, _RUN, "run")
    if "t_end" not in r:
        raise SpecError("spec: missing key run.t_end")
    run = RunOptions(**{k: r[k] for k in _RUN if k in r})
    for key, check in (("t_end", lambda v: v > 0), ("samples", lambda v: int(v) == v and v >= 1),
                       ("n_out", lambda v: int(v) == v and v >= 2), ("seed", lambda v: int(v) == v and v >= 0)):
        val = getattr(run, key)
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not check(val):
            raise SpecError(f"spec: run.{key} has an invalid value {val!r}")
    if run.dt is not None and (isinstance(run.dt, bool) or not isinstance(run.dt, (int, float)) or run.dt <= 0):
        raise SpecError(f"spec: run.dt must be a positive number, got {run.dt!r}")
    mech, circuit, notes = _backend_sections(spec, run)
    return Spec(system=system, x0=x0, v0=v0, run=run, source=spec, circuit=circuit, mech=mech, notes=notes)


def _backend_sections(spec: dict, run: RunOptions):
    """The ``mech`` and ``circuit`` options with the older ``run.method``/``run.dt`` resolved into them."""
    from .solvers import METHODS

    METHOD_NAMES = tuple(METHODS) + ("auto",)

    mech = dict(_section(spec, "mech", required=False))
    _unknown(mech, _MECH, "mech")
    circuit = dict(_section(spec, "circuit", required=False))
    notes = {"mech": [], "circuit": []}
    if "method" in mech and mech["method"] not in METHOD_NAMES:
        raise SpecError(f"spec: mech.method must be one of {', '.join(map(repr, METHOD_NAMES))}; got {mech['method']!r}")
    if "dt" in mech and (isinstance(mech["dt"], bool) or not isinstance(mech["dt"], (int, float)) or mech["dt"] <= 0):
        raise SpecError(f"spec: mech.dt must be a positive number, got {mech['dt']!r}")
    if run.method is not None:
        if not isinstance(run.method, str):
            raise SpecError(f"spec: run.method must be a string, got {run.method!r}")
        mine, other = ("mech", "circuit") if run.method in METHOD_NAMES else ("circuit", "mech")
        target = mech if mine == "mech" else circuit
        target.setdefault("method", run.method)
        notes[other].append(f"run.method={run.method!r} is a {'mechanical' if mine == 'mech' else 'circuit'} "
                            f"method: the {'circuit' if other == 'circuit' else 'mechanical'} backend ignores it "
                            f"(set {other}.method to choose its own)")
    if run.dt is not None:
        mech.setdefault("dt", run.dt)
        circuit.setdefault("max_step", run.dt)
    return mech, circuit, notes


def spec_dict(system: System, *, x0=None, v0=None, **run) -> dict:
    """The spec (as a dict) describing ``system`` with its data; inverse of :func:`load_spec`."""
    d = {"grid": system.grid.to_dict(), "n_labels": system.n_labels, "physics": system.params(),
         "data": {"X": system.X.tolist(), "y": system.y.tolist()}, "run": run}
    init = {}
    if x0 is not None:
        init["x"] = np.asarray(x0).tolist()
    if v0 is not None:
        init["v"] = np.asarray(v0).tolist()
    if init:
        d["initial"] = init
    return d


def example_spec(name: str) -> dict:
    """The example spec ``examples/specs/NAME.json`` as a dict (the demo systems)."""
    path = EXAMPLES / f"{name}.json"
    if not path.exists():
        known = sorted(p.stem for p in EXAMPLES.glob("*.json"))
        raise SpecError(f"no example spec {name!r}; examples: {', '.join(known)}")
    return json.loads(path.read_text())


def override(spec: dict, changes: dict) -> dict:
    """A copy of ``spec`` with ``changes`` applied: keys are dotted paths (``"physics.temperature"``),
    and a dict value is merged into the section it names (``{"run": {"t_end": 4}}``)."""
    out = copy.deepcopy(spec)
    for path, value in changes.items():
        keys = path.split(".")
        node = out
        for i, key in enumerate(keys[:-1]):
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise SpecError(f"spec: cannot set {path}: {'.'.join(keys[:i + 1])} is not an object")
        last = keys[-1]
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            node[last] = override(node[last], value)
        else:
            node[last] = copy.deepcopy(value)
    return out


def format_spec(spec: dict) -> str:
    """``spec`` as JSON for people: one section per line group, one data point per line."""
    def one(v):
        return json.dumps(v)

    lines = ["{"]
    items = list(spec.items())
    for i, (key, value) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if isinstance(value, dict) and key == "data":
            inner = []
            for name, rows in value.items():
                rows = list(rows)
                body = ",\n    ".join(one(r) for r in rows)
                inner.append(f'  {one(name)}: [\n    {body}\n  ]')
            lines.append(f' {one(key)}: {{\n' + ",\n".join(inner) + f'\n }}{end}')
        else:
            lines.append(f" {one(key)}: {one(value)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"
