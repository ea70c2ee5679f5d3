"""Figures and ``summary.md`` of a sweep folder (``springsticks sweep plot DIR``).

:func:`plot_sweep` draws one column against another from the store's last run: lines, one per
value of ``hue``, with error bars (the standard error over replicates, or the record's own
``Y_sem`` column), an optional reference column as a dashed line of the same colour (e.g.
``equilibrium_mse`` beside ``final_mse``), and log axes wherever the values are positive and
span two decades or more. ``heatmap=True`` draws ``y`` over the (x, hue) plane instead.
:func:`write_summary` writes ``summary.md``: what ran, how many points finished or failed (with
their errors), the axes, the table, and the figures.
"""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from ss_mech.errors import InputError

from .store import BOOK_COLUMNS, Store

__all__ = ["plot_sweep", "write_summary", "load_rows", "spans_decades"]


def load_rows(folder) -> tuple[list[dict], dict, int]:
    """The stored rows of the folder's last run, its description and its number of points."""
    folder = Path(folder)
    if not folder.is_dir() or not (folder / "sweep.sqlite").exists():
        raise InputError(f"{folder}: no sweep here (no sweep.sqlite); run `springsticks sweep SPEC --out {folder}` first")
    with Store(folder) as st:
        return st.table(), st.meta("description", {}), len(st.meta("points", []))


def _column(rows, name: str, what: str) -> None:
    known = sorted({c for r in rows for c in r if c not in BOOK_COLUMNS})
    if not any(name in r for r in rows):
        raise InputError(f"--{what} {name}: no such column; columns: {', '.join(known)}")


def spans_decades(values, decades: float = 2.0) -> bool:
    """True when every value is positive and max/min ≥ 10^decades (a log axis reads better)."""
    v = np.asarray([x for x in values if isinstance(x, (int, float)) and math.isfinite(x)], dtype=float)
    return v.size > 1 and bool(np.all(v > 0)) and v.max() / v.min() >= 10 ** decades


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _aggregate(rows, x: str, y: str, hue: str | None) -> dict:
    """(hue, x) → (mean, error, n) of y over the rows (replicates) sharing them."""
    groups = defaultdict(list)
    sems = defaultdict(list)
    for r in rows:
        if r.get("status") != "done" or not _numeric(r.get(y)) or not math.isfinite(r[y]):
            continue
        key = (r.get(hue) if hue else None, r.get(x))
        groups[key].append(float(r[y]))
        if _numeric(r.get(y + "_sem")):
            sems[key].append(float(r[y + "_sem"]))
    out = {}
    for key, values in groups.items():
        v = np.asarray(values)
        if v.size > 1:
            err = float(v.std(ddof=1) / math.sqrt(v.size))
        elif sems.get(key):
            err = sems[key][0]
        else:
            err = math.nan
        out[key] = (float(v.mean()), err, int(v.size))
    return out


def _sort_key(value):
    return (0, value, "") if _numeric(value) else (1, 0, str(value))


def _label(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def plot_sweep(folder, *, x: str, y: str, hue: str | None = None, reference: str | None = None,
               heatmap: bool = False, out=None, title: str | None = None) -> str:
    """Draw ``y`` against ``x`` (one line per ``hue`` value, or a heatmap over x × hue); returns the PNG's path.

    ``out`` defaults to ``DIR/Y_vs_X[_by_HUE][_heatmap].png``; ``title`` to the task and backend.
    """
    from ..plotting import pyplot, save_figure

    rows, desc, _ = load_rows(folder)
    if not rows:
        raise InputError(f"{folder}: the sweep has no finished points yet")
    for name, what in ((x, "x"), (y, "y"), (hue, "hue"), (reference, "reference")):
        if name:
            _column(rows, name, what)
    if heatmap and not hue:
        raise InputError("--heatmap needs --hue (the second axis of the map)")
    agg = _aggregate(rows, x, y, hue)
    if not agg:
        raise InputError(f"--y {y}: no finished point has a finite number in that column")
    hues = sorted({h for h, _ in agg}, key=_sort_key)
    xs = sorted({v for _, v in agg}, key=_sort_key)
    plt = pyplot()
    if title is None:
        title = f"{desc.get('task', 'sweep')} on {desc['backend']}" if desc.get("backend") else "sweep"
    if heatmap:
        Z = np.full((len(hues), len(xs)), np.nan)
        for (h, xv), (m, _, _) in agg.items():
            Z[hues.index(h), xs.index(xv)] = m
        fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(xs), 1.2 + 0.6 * len(hues)))
        finite = Z[np.isfinite(Z)]
        log = spans_decades(finite.tolist())
        from matplotlib.colors import LogNorm
        im = ax.imshow(Z, origin="lower", aspect="auto", cmap="viridis",
                       norm=LogNorm(finite.min(), finite.max()) if log else None)
        for i in range(len(hues)):
            for j in range(len(xs)):
                if np.isfinite(Z[i, j]):
                    ax.text(j, i, f"{Z[i, j]:.3g}", ha="center", va="center", fontsize=7,
                            bbox={"facecolor": "w", "alpha": 0.7, "lw": 0, "pad": 1})
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs], rotation=45 if len(xs) > 6 else 0)
        ax.set_yticks(range(len(hues)), [_label(v) for v in hues])
        ax.set_xlabel(x)
        ax.set_ylabel(hue)
        fig.colorbar(im, ax=ax, label=y)
        ax.set_title(f"{y} ({title})", fontsize=9)
    else:
        fig, ax = plt.subplots(figsize=(6.5, 4.3))
        refs = _aggregate(rows, x, reference, hue) if reference else {}
        for i, h in enumerate(hues):
            color = f"C{i % 10}"
            pts = sorted(((xv, *agg[(h, xv)]) for xv in xs if (h, xv) in agg), key=lambda t: _sort_key(t[0]))
            xv, m, e = [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts]
            name = f"{hue} = {_label(h)}" if hue else y
            ax.errorbar(xv, m, yerr=np.nan_to_num(e), fmt="o", ms=4, capsize=2, color=color, label=name)
            if refs:
                rp = sorted(((xv, refs[(h, xv)][0]) for xv in xs if (h, xv) in refs), key=lambda t: _sort_key(t[0]))
                ax.plot([p[0] for p in rp], [p[1] for p in rp], "--", color=color, lw=1,
                        label=f"{reference} (dashed, same colour)" if i == 0 else None)
        if spans_decades(xs):
            ax.set_xscale("log")
        ys = [m for m, _, _ in agg.values()] + [m for m, _, _ in refs.values()]
        if spans_decades(ys):
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    folder = Path(folder)
    if out is None:
        stem = f"{y}_vs_{x}" + (f"_by_{hue}" if hue else "") + ("_heatmap" if heatmap else "")
        out = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) + ".png")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, out.parent, out.name, dpi=110)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value).replace("|", "\\|")


def write_summary(folder, *, figures=(), max_rows: int = 60, columns: int = 8) -> Path:
    """Write ``DIR/summary.md`` (what ran, counts, failures, axes, the table, figures); returns its path.

    The figures are ``figures`` and every other PNG in the folder (earlier ``sweep plot`` runs).
    """
    from ss_mech.serialize import atomic_write

    rows, desc, total = load_rows(folder)
    done = [r for r in rows if r.get("status") == "done"]
    failed = [r for r in rows if r.get("status") == "failed"]
    lines = ["# Sweep summary", ""]
    if desc:
        if desc.get("command"):
            lines += ["```", desc["command"], "```", ""]
        for key in ("spec", "task", "backend", "seed", "seeds"):
            if desc.get(key) is not None:
                lines.append(f"- {key}: `{desc[key]}`")
    lines += [f"- points: {total}; finished: {len(done)}; failed: {len(failed)}; "
              f"not yet run: {max(total - len(done) - len(failed), 0)}", ""]
    params = [p for p in (desc.get("axes") or [])]
    if params:
        lines += ["## Axes", ""]
        for p in params:
            values = sorted({r.get(p) for r in rows if p in r}, key=_sort_key)
            lines.append(f"- `{p}`: {', '.join(_cell(v) for v in values)}")
        lines.append("")
    if failed:
        lines += ["## Failed points", ""]
        for r in failed:
            where = ", ".join(f"{p}={_cell(r.get(p))}" for p in params) or r["key"][:12]
            lines.append(f"- {where}: {r.get('error')}")
        lines.append("")
    if done:
        record = [c for c in done[0] if c not in BOOK_COLUMNS and c not in params and c not in ("seed", "replicate")
                  and _numeric(done[0][c]) and not c.endswith("_sem")]
        cols = params + [c for c in ("seed", "replicate") if c in done[0]] + record[:columns] + ["wall_time"]
        lines += ["## Results", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in done[:max_rows]:
            lines.append("| " + " | ".join(_cell(r.get(c)) for c in cols) + " |")
        if len(done) > max_rows:
            lines.append(f"\n({len(done) - max_rows} more rows in sweep.sqlite / results.parquet)")
        lines.append("")
    figures = [Path(f) for f in figures]
    figures += sorted(f for f in Path(folder).glob("*.png") if f.name not in {g.name for g in figures})
    if figures:
        links = [os.path.relpath(f.resolve(), Path(folder).resolve()) for f in figures]
        lines += ["## Figures", ""] + [f"![{f.stem}]({link})" for f, link in zip(figures, links)] + [""]
    lines += ["The store is `sweep.sqlite` (one row per point); `results.parquet` holds the same table."]
    path = Path(folder) / "summary.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path
