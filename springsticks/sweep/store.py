"""The sweep's store: one SQLite row per point, written as each point finishes.

Why SQLite (the standard library's ``sqlite3``) and not Parquet for the live store: a sweep
appends one row at a time for hours and may be killed at any moment. SQLite commits each row
in its own transaction (write-ahead log, ``synchronous=FULL``), so a killed driver leaves every
finished row intact and no half row; a rerun reads the keys back and skips them. A Parquet
file cannot be appended to: one file per point or a rewrite per point would be needed, and a
kill during a rewrite loses the table. Parquet is the better format to *read* a finished table,
so :meth:`Store.export_parquet` writes ``results.parquet`` (pyarrow) at the end of every run.

Only the driver writes (the workers return their records to it), so the store needs no shared
file system and never sees two writers. Keep it on a local disk: SQLite's write-ahead log needs
shared memory between its connections, which network file systems do not provide.

Schema (table ``points``): ``key`` (primary key, :func:`~springsticks.sweep.points.point_key`),
``status`` (``'done'`` or ``'failed'``), ``params`` and ``record`` (JSON), ``error`` (one line, or
NULL), ``wall_time`` (s, on the worker), ``worker``, ``started_at``/``finished_at`` (Unix time, on
the worker), ``written_at`` (Unix time, on the driver) and ``computations`` (how many times this
key has been computed and written: 1 unless ``force`` or a failed point was retried). Table
``meta``: name → JSON (the last run's point order and description).
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

__all__ = ["Store", "STORE_NAME"]

#: the store's file name inside a sweep folder
STORE_NAME = "sweep.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, params TEXT NOT NULL, record TEXT, error TEXT,
    wall_time REAL, worker TEXT, started_at REAL, finished_at REAL, written_at REAL NOT NULL,
    computations INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: the columns every row of :meth:`Store.table` has besides its params and record
BOOK_COLUMNS = ("key", "status", "error", "wall_time", "worker", "started_at", "finished_at", "written_at",
                "computations")


def _dumps(obj) -> str:
    return json.dumps(obj, allow_nan=True)  # in the record's own order (the summary's columns follow it)


class Store:
    """A sweep's results: ``Store(path)`` opens (or creates) ``path``, a folder or an ``.sqlite`` file.

    A folder gets ``sweep.sqlite`` inside it. Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, path):
        path = Path(path)
        if path.suffix not in (".sqlite", ".db"):
            path.mkdir(parents=True, exist_ok=True)
            path = path / STORE_NAME
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.folder = path.parent
        try:
            self._db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise OSError(f"{path}: not a sweep store ({exc}); choose another --out folder") from None

    # ------------------------------------------------------------------ context
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ rows
    def statuses(self) -> dict:
        """key → status of every stored point."""
        return dict(self._db.execute("SELECT key, status FROM points"))

    def write(self, key: str, params: dict, outcome: dict) -> None:
        """Store one finished point (a transaction of its own): ``outcome`` as the engine's ``_execute`` returns it."""
        row = (key, outcome["status"], _dumps(params), _dumps(outcome.get("record")), outcome.get("error"),
               outcome.get("wall_time"), outcome.get("worker"), outcome.get("started_at"),
               outcome.get("finished_at"), time.time())
        self._db.execute(
            "INSERT INTO points (key, status, params, record, error, wall_time, worker, started_at, finished_at, "
            "written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "status=excluded.status, params=excluded.params, record=excluded.record, error=excluded.error, "
            "wall_time=excluded.wall_time, worker=excluded.worker, started_at=excluded.started_at, "
            "finished_at=excluded.finished_at, written_at=excluded.written_at, "
            "computations=points.computations + 1", row)

    def set_meta(self, name: str, value) -> None:
        self._db.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                         "value=excluded.value", (name, _dumps(value)))

    def meta(self, name: str, default=None):
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return default if row is None else json.loads(row[0])

    def table(self, keys=None) -> list[dict]:
        """The rows, flat: the point's params, its record, then the bookkeeping (:data:`BOOK_COLUMNS`).

        ``keys`` (default: the last run's points, else every row) selects and orders them; a key
        not in the store is left out.
        """
        if keys is None:
            keys = self.meta("points")
        cur = self._db.execute(f"SELECT {', '.join(BOOK_COLUMNS)}, params, record FROM points")
        rows = {}
        for values in cur:
            book = dict(zip(BOOK_COLUMNS, values[:-2]))
            row = dict(json.loads(values[-2]))
            row.update(json.loads(values[-1]) or {})
            row.update(book)
            rows[book["key"]] = row
        if keys is None:
            return list(rows.values())
        return [rows[k] for k in keys if k in rows]

    def export_parquet(self, path=None, keys=None) -> Path:
        """Write :meth:`table` as Parquet (default ``results.parquet`` beside the store), atomically."""
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        from ss_mech.serialize import atomic_write

        rows = self.table(keys)
        columns = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        data = {c: _column([row.get(c) for row in rows]) for c in columns}
        table = pa.table(data) if rows else pa.table({c: [] for c in BOOK_COLUMNS})
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return atomic_write(Path(path) if path else self.folder / "results.parquet", buffer.getvalue())



def _column(values: list) -> list:
    """One Parquet column: ints among floats become floats; lists, dicts and mixed types JSON text."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {int, float}:
        return [None if v is None else float(v) for v in values]
    if len(kinds) <= 1 and not kinds & {list, dict}:
        return values
    return [v if v is None or isinstance(v, str) else _dumps(v) for v in values]
