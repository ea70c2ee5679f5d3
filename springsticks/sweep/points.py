"""The points of a sweep: a base spec with overrides at dotted paths, on a grid of values.

A **point** is one independent run: the base spec with some keys changed
(``{"physics.temperature": 0.1, "physics.stiffness": 1e-3}``), a task and a backend. Its
**key** is the SHA-256 of the canonical JSON of what it runs (the resolved spec, the task, the
backend and the task's options), so two points that run the same thing share a key, and a point
keeps its key from one invocation to the next (that is what a store resumes by).

Axes (``--vary PATH=VALUES``) combine as a Cartesian product, in the order given (the first axis
varies slowest); ``--zip A,B`` ties axes that must move together (equal lengths: the paper sweeps
k = M that way). Values:

``0.1,1,10``             a list (JSON numbers, strings, ``true``; bare words are strings: ``fdt,paper``)
``[1],[2],[4]``          JSON values, lists included (``grid.n_sticks``)
``logspace:A:B:N``       N values 10^A … 10^B, evenly spaced in the exponent (numpy's ``logspace``)
``linspace:A:B:N``       N values A … B, evenly spaced

Paths starting with ``task.`` set the task's options (``task.epochs=5,10``,
``task.volts_per_unit=logspace:-3:0:4``) instead of the spec; every other path is a key of the
spec, checked by the spec loader before anything runs (a typo is an error naming it).

Seeds: a point's ``run.seed`` is derived from the base seed and the point's key with the seed
left out (:func:`point_seed`), never from its position, so results do not depend on the order
the points run in, on the number of workers, or on which other points are in the sweep. ``seeds=R``
repeats every point with R seeds (column ``replicate``); varying ``run.seed`` yourself sets the
seeds directly instead.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ss_mech.errors import InputError

__all__ = ["Point", "Axis", "parse_values", "parse_vary", "point_key", "point_seed", "build_points",
           "canonical_json"]


@dataclass(frozen=True)
class Point:
    """One run of a sweep.

    Attributes
    ----------
    params : dict
        The values that identify it in the table (varied paths, ``seed``, ``replicate``), flat.
    payload : object
        What the sweep's function receives (JSON-able: it is hashed into the key).
    key : str
        SHA-256 (hex) of the canonical JSON of ``payload`` (and the sweep's namespace).
    """

    params: dict
    payload: Any
    key: str


@dataclass(frozen=True)
class Axis:
    """One ``--vary`` axis: a dotted path and its values."""

    path: str
    values: list = field(default_factory=list)


def canonical_json(obj) -> str:
    """``obj`` as JSON with sorted keys and no spaces (numpy scalars and arrays made plain)."""
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(f"a sweep point must be JSON-able; got a {type(o).__name__}")

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=default, allow_nan=True)


def point_key(payload, namespace: str = "") -> str:
    """The key of a point: SHA-256 of ``namespace`` and the canonical JSON of ``payload``."""
    return hashlib.sha256((namespace + "\n" + canonical_json(payload)).encode()).hexdigest()


def point_seed(base_seed: int, key: str, replicate: int = 0) -> int:
    """The seed of a point (< 2³¹): ``SeedSequence(base_seed, spawn_key=(key's 4 words, replicate))``.

    ``key`` is the point's key with its seed left out, so the seed depends on what the point runs
    and on the base seed, not on its place in the sweep.
    """
    words = tuple(int(key[i:i + 8], 16) for i in range(0, 32, 8))
    ss = np.random.SeedSequence(int(base_seed), spawn_key=words + (int(replicate),))
    return int(ss.generate_state(1)[0] % (2 ** 31))


def _number_list(spec: str, text: str) -> list:
    parts = spec.split(":")
    if len(parts) != 4:
        raise InputError(f"{text}: write {parts[0]}:START:STOP:COUNT, e.g. {parts[0]}:-3:0:4")
    try:
        a, b, n = float(parts[1]), float(parts[2]), int(parts[3])
    except ValueError:
        raise InputError(f"{text}: START and STOP must be numbers and COUNT an integer") from None
    if n < 1:
        raise InputError(f"{text}: COUNT must be >= 1, got {n}")
    values = np.logspace(a, b, n) if parts[0] == "logspace" else np.linspace(a, b, n)
    return [float(v) for v in values]


def parse_values(text: str, *, where: str = "--vary") -> list:
    """The values of one axis from its text (see the module docstring for the syntax)."""
    text = text.strip()
    if not text:
        raise InputError(f"{where}: no values; give e.g. 0.1,1,10 or logspace:-3:0:4")
    head = text.split(":", 1)[0]
    if head in ("logspace", "linspace"):
        return _number_list(text, where)
    try:
        values = json.loads("[" + text + "]")
    except json.JSONDecodeError:
        values = [v.strip() for v in text.split(",")]  # bare words: strings (physics.noise=fdt,paper)
        if any(not v for v in values):
            raise InputError(f"{where}: an empty value in {text!r}") from None
    for v in values:
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(f"{where}: values must be finite, got {v}")
    return values


def parse_vary(items) -> list[Axis]:
    """``["PATH=VALUES", ...]`` (the ``--vary`` arguments) as axes; a path may appear once."""
    axes, seen = [], set()
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--vary {item!r}: write PATH=VALUES, e.g. physics.temperature=0.1,1,10")
        path, text = item.split("=", 1)
        path = path.strip()
        if not path or any(not part for part in path.split(".")):
            raise InputError(f"--vary {item!r}: {path!r} is not a dotted path such as physics.temperature")
        if path in seen:
            raise InputError(f"--vary {path}: given twice; list all its values in one --vary")
        seen.add(path)
        axes.append(Axis(path, parse_values(text, where=f"--vary {path}")))
    return axes


def _groups(axes: list[Axis], zips) -> list[list[Axis]]:
    """Axes grouped: each ``--zip`` group moves together, every other axis alone (in the order given)."""
    by_path = {a.path: a for a in axes}
    group_of = {}
    for z in zips or []:
        paths = [p.strip() for p in (z.split(",") if isinstance(z, str) else z) if p.strip()]
        if len(paths) < 2:
            raise InputError(f"--zip {z!r}: name at least two varied paths, e.g. physics.stiffness,physics.mass")
        for p in paths:
            if p not in by_path:
                raise InputError(f"--zip: {p} is not varied; add --vary {p}=VALUES")
            if p in group_of:
                raise InputError(f"--zip: {p} is in two --zip groups")
            group_of[p] = tuple(paths)
        lengths = {len(by_path[p].values) for p in paths}
        if len(lengths) > 1:
            raise InputError("--zip " + ",".join(paths) + ": tied axes need as many values each; got "
                             + ", ".join(f"{p}: {len(by_path[p].values)}" for p in paths))
    groups, done = [], set()
    for a in axes:
        if a.path in done:
            continue
        members = group_of.get(a.path, (a.path,))
        groups.append([by_path[p] for p in members])
        done.update(members)
    return groups


def combinations(axes: list[Axis], zips=None) -> list[dict]:
    """Every combination of the axes' values as ``{path: value}`` (Cartesian product, zipped groups tied)."""
    groups = _groups(axes, zips)
    rows = []
    for choice in itertools.product(*[range(len(g[0].values)) for g in groups]):
        row = {}
        for g, i in zip(groups, choice):
            for a in g:
                row[a.path] = a.values[i]
        rows.append(row)
    return rows


def build_points(base_spec, *, vary=None, zip=None, task: str = "simulate", backend: str = "mech",
                 seeds: int = 1, seed: int | None = None, options: dict | None = None) -> list[Point]:
    """The points of a spec sweep, every one checked by the spec loader before anything runs.

    Parameters
    ----------
    base_spec : dict, path or JSON string
        The spec every point starts from (:func:`ss_mech.spec.load_spec` reads it).
    vary : list of str or list of Axis
        ``PATH=VALUES`` axes (module docstring); ``task.NAME`` paths are task options.
    zip : list of str
        Groups of varied paths that move together (``"physics.stiffness,physics.mass"``).
    task, backend : str
        What each point runs (:data:`springsticks.sweep.tasks.TASKS`) and on which backend.
    seeds : int
        Seeds per combination (``replicate`` 0 … seeds−1).
    seed : int, optional
        The base seed (default: the spec's ``run.seed``, else 0).
    options : dict, optional
        Task options shared by every point (``task.*`` axes override them).

    Returns
    -------
    list of Point, each with ``payload = {"task", "backend", "spec", "options"}``.
    """
    from ss_mech.spec import load_spec, override

    from .tasks import check_options, get_task

    get_task(task)
    if backend not in ("mech", "circuit"):
        raise InputError(f"--backend must be 'mech' or 'circuit', got {backend!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"--seeds must be a positive integer, got {seeds!r}")
    base = load_spec(base_spec).source
    axes = vary if vary and isinstance(vary[0], Axis) else parse_vary(vary)
    if any(a.path == "run.seed" for a in axes) and seeds > 1:
        raise InputError("--seeds with --vary run.seed: give the seeds one way (run.seed sets them directly)")
    base_seed = int(base.get("run", {}).get("seed", 0) if seed is None else seed)
    if base_seed < 0:
        raise InputError(f"--seed must be >= 0, got {base_seed}")
    seeds_given = any(a.path == "run.seed" for a in axes)
    points, keys = [], {}
    for combo in combinations(axes, zip):
        spec_changes = {p: v for p, v in combo.items() if not p.startswith("task.")}
        opts = dict(options or {})
        opts.update({p[len("task."):]: v for p, v in combo.items() if p.startswith("task.")})
        described = ", ".join(f"{p}={v!r}" for p, v in combo.items()) or "the base spec"
        try:
            check_options(task, opts)
            resolved = override(base, spec_changes)
            spec = load_spec(resolved)
            if backend == "circuit":
                from ss_circuit.simulate import circuit_options
                circuit_options(spec)
        except (ValueError, TypeError) as exc:  # the spec loader's message names the key
            kind = type(exc) if isinstance(exc, InputError) else InputError
            raise kind(f"sweep point {described}: {exc}") from None
        for r in range(1 if seeds_given else seeds):
            if seeds_given:
                run_seed = int(resolved["run"]["seed"])
            else:
                unseeded = override(resolved, {"run.seed": None})
                run_seed = point_seed(base_seed, point_key({"task": task, "backend": backend, "spec": unseeded,
                                                            "options": opts}), r)
            final = override(resolved, {"run.seed": run_seed})
            payload = {"task": task, "backend": backend, "spec": final, "options": opts}
            params = dict(combo)
            params["seed"] = run_seed
            if seeds > 1:
                params["replicate"] = r
            key = point_key(payload)
            if key in keys:
                raise InputError(f"sweep points {keys[key]} and {described} run the same thing; remove one")
            keys[key] = described
            points.append(Point(params=params, payload=payload, key=key))
    return points
