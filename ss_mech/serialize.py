"""Output: JSON (numpy arrays and scalars, paths and non-finite numbers made writable) and files
written atomically.

:func:`atomic_write` is the one way the toolkit writes an output file: a file either holds its
complete new content or is untouched, never half-written. :func:`recording_writes` collects the
files completed inside a block, so an interrupted run can say which of its outputs are whole.
(Here, at the bottom layer, so that every layer can write through it.)
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import secrets
import stat
from pathlib import Path

import numpy as np

__all__ = ["jsonable", "dumps_json", "atomic_write", "recording_writes", "completed_files"]

#: the lists :func:`atomic_write` reports completed files to (one per open :func:`recording_writes`)
_RECORDERS: contextvars.ContextVar[tuple] = contextvars.ContextVar("ss_mech_recorders", default=())


def jsonable(obj):
    """``obj`` with numpy types turned into Python ones and non-finite floats into None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps_json(obj) -> str:
    """``json.dumps`` that also writes numpy arrays and scalars and paths."""
    def default(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (np.floating, np.integer)):
            return o.item()
        if isinstance(o, Path):
            return str(o)
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")
    return json.dumps(obj, default=default, allow_nan=True)


def _open_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, hidden file next to the target, created with the permissions a plain open gives."""
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {folder / name}")


def _sync_folder(folder: Path):
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically: the file holds all of it or keeps what it held.

    ``data`` goes to a hidden temporary file in the same folder (``.NAME.XXXXXXXX.tmp``), is
    flushed and ``fsync``-ed, and the temporary file is then renamed onto ``path``
    (``os.replace``, atomic on POSIX and Windows). On any exception — a full disk, Ctrl-C — the
    temporary file is removed and the exception propagates, with ``path`` as the ``filename``
    of an ``OSError``. An existing file keeps its permissions; a new one gets those of a plain
    ``open``. Returns ``path`` and reports it to every open :func:`recording_writes`.

    Parameters
    ----------
    path : str or Path
        The file to write (its folder must exist).
    data : bytes or str
        The whole content; ``str`` is encoded with ``encoding``.
    """
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    fd, tmp = _open_temporary(path.parent, path.name)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            try:
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
            except FileNotFoundError:
                pass
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):
            exc.filename, exc.filename2 = str(path), None
        raise
    _sync_folder(path.parent)
    for recorder in _RECORDERS.get():
        recorder.append(path)
    return path


@contextlib.contextmanager
def recording_writes():
    """Collect the files :func:`atomic_write` completes inside the block (in this thread).

    ``with recording_writes() as done: ...``: ``done`` is a list of the paths written, in order;
    it stays valid after the block, also when the block raised.
    """
    done: list[Path] = []
    token = _RECORDERS.set(_RECORDERS.get() + (done,))
    try:
        yield done
    finally:
        _RECORDERS.reset(token)


def completed_files(done, folder=None) -> str:
    """``'a.json, b.png'``: the recorded files (relative to ``folder`` where inside it), or ``'none'``."""
    names = []
    for p in done:
        p = Path(p)
        try:
            names.append(str(p.relative_to(folder)) if folder is not None else str(p))
        except ValueError:
            names.append(str(p))
    return ", ".join(dict.fromkeys(names)) or "none"
