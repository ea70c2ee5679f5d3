"""Plumbing shared by the reproductions: output folder, figures, tables, JSON, threads.

Every reproduction is a function ``run(*, out, quick, progress, seed) -> dict``; the
:func:`reproduction` decorator gives each the same behaviour around its science:

* ``out`` (a folder or None): created when given; figures and ``<name>.json`` go there, each
  written atomically (:func:`ss_mech.serialize.atomic_write`), the JSON last. With
  ``out=None`` nothing is written (the numbers are still computed and returned).
* an interruption (Ctrl-C) or a failure prints one line on stderr naming the files completed
  in ``out`` so far, and propagates.
* torch runs single-threaded for the duration (the systems here have at most a few
  hundred degrees of freedom, where intra-op threads cost more than they give, and the
  reproductions are meant to run on a shared two-core machine); the previous setting is
  restored afterwards. torch is not imported for this: a reproduction that does not need it
  (``mlp`` with the exact solver) never loads it, and one that loads it later gets one thread
  from the solvers' policy (:mod:`ss_mech.solvers.threads`) or sets it itself.
* the result is made JSON-ready (numpy scalars and arrays → floats and lists, NaN → None)
  and carries ``name``, ``quick``, ``seed`` and ``runtime_s``.
"""
from __future__ import annotations

import functools
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tqdm.auto import tqdm

from ..plotting import pyplot, save_figure
from ss_mech.serialize import atomic_write, completed_files, jsonable, recording_writes

__all__ = ["reproduction", "pyplot", "save_figure", "label_axes", "format_table", "jsonable", "single_thread", "steps",
           "require_complete", "simulate"]


def label_axes(ax, xlabel: str, ylabel: str, title: str | None = None, *, legend: dict | None = None,
               title_size: int = 10):
    """Axis labels, an optional title and (when ``legend`` is a dict of legend options) a legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=title_size)
    if legend is not None:
        ax.legend(**legend)


def format_table(headers: list[str], rows: list[list], *, title: str | None = None) -> str:
    """A plain-text table with aligned columns (floats as given: format them beforehand)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    text = [line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]
    return "\n".join(([title] if title else []) + text)


@contextmanager
def single_thread():
    """Run torch on one intra-op thread inside the block, restoring the previous count after
    (a no-op while torch is not loaded: nothing to set, and loading it costs a second)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def require_complete(interrupted: bool) -> None:
    """Re-raise Ctrl-C that a library call caught: the training returns the state it reached when
    interrupted (right for ``fit`` at the prompt), but a reproduction built on a truncated run
    would report wrong numbers; :func:`reproduction` then names the files completed."""
    if interrupted:
        raise KeyboardInterrupt


def simulate(system, **options):
    """:func:`ss_mech.simulate` for a reproduction: Ctrl-C is re-raised (:func:`require_complete`)
    instead of returning the output times completed."""
    from ss_mech.solvers import simulate as simulate_to_end

    traj = simulate_to_end(system, **options)
    require_complete(bool(traj.meta.get("interrupted", False)))
    return traj


def steps(iterable, *, desc: str, progress: bool, total: int | None = None):
    """``iterable`` wrapped in a tqdm bar when ``progress`` is true."""
    return tqdm(iterable, desc=desc, total=total, disable=not progress, leave=False)


def reproduction(name: str):
    """Decorate ``run(*, out, quick, progress, seed) -> dict`` with the common behaviour above."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*, out: Path | str | None = None, quick: bool = False, progress: bool = False,
                seed: int = 0) -> dict:
            out = Path(out) if out is not None else None
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            with recording_writes() as done:
                try:
                    with single_thread():
                        result = fn(out=out, quick=bool(quick), progress=bool(progress), seed=int(seed))
                    result = jsonable({"name": name, "quick": bool(quick), "seed": int(seed), **result,
                                       "runtime_s": round(time.perf_counter() - start, 2)})
                    if out is not None:
                        path = out / f"{name}{'_quick' if quick else ''}.json"
                        result["json"] = str(path)
                        atomic_write(path, json.dumps(result, indent=1) + "\n")
                except BaseException as exc:
                    if out is not None:
                        print(f"reproduce {name}: {'interrupted' if isinstance(exc, KeyboardInterrupt) else 'failed'}; "
                              f"complete in {out}: {completed_files(done, out)}", file=sys.stderr, flush=True)
                    raise
            return result
        run.reproduction_name = name
        return run
    return wrap
