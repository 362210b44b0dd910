"""What a run directory's files must survive: kills, full disks and a second job in the same folder.

``atomic_write`` replaces a file whole or not at all (a temporary file in the same folder, flushed,
fsynced, then ``os.replace``d over the old one), so a kill leaves the old file or the new one,
never half of one. ``write_json`` writes strict JSON through it: NaN and ±inf become ``null``.
``WorkdirLock`` is the ``lock`` file a training job holds in its run directory.
"""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
import time
from typing import Any

import numpy as np


def atomic_write(path: str, data: str | bytes) -> None:
    """Replaces ``path`` with ``data`` atomically: readers (and a kill at any instant) see either
    the old contents or the new ones."""
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    try:  # the rename itself is durable once the folder is synced
        folder_descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder_descriptor)
    except OSError:
        pass
    finally:
        os.close(folder_descriptor)


def json_safe(tree: Any) -> Any:
    """``tree`` with NumPy scalars and arrays as Python values and every NaN or ±inf as None."""
    if isinstance(tree, dict):
        return {key: json_safe(value) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return [json_safe(value) for value in tree]
    if isinstance(tree, np.ndarray):
        return json_safe(tree.tolist())
    if isinstance(tree, np.generic):
        tree = tree.item()
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    return tree


def dumps(tree: Any, **kwargs) -> str:
    """Strict JSON (``allow_nan=False``) of ``json_safe(tree)``."""
    return json.dumps(json_safe(tree), allow_nan=False, **kwargs)


def write_json(path: str, tree: Any) -> None:
    """``path`` ← strict, indented JSON of ``tree``, atomically."""
    atomic_write(path, dumps(tree, indent=2) + "\n")


class WorkdirBusy(RuntimeError):
    """Another live job holds the run directory's lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class WorkdirLock:
    """``workdir/lock``, holding the pid and host of the job training in ``workdir``.

    ``acquire`` refuses (``WorkdirBusy``) while the holder lives — or may live: a lock from another
    host is never taken over — and takes over, with a note, the lock of a dead process on this host
    (a job killed with -9 leaves its lock behind)."""

    def __init__(self, workdir: str):
        self.path = os.path.join(workdir, "lock")
        self.held = False

    def acquire(self) -> None:
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(3):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:  # a lock being written, or torn: look again
                    time.sleep(0.2)
                    holder = self._holder() or {"pid": -1, "host": me["host"]}
                pid, host = holder.get("pid", -1), holder.get("host", "?")
                if host != me["host"] or (pid > 0 and _alive(pid)):
                    raise WorkdirBusy(
                        f"{os.path.dirname(self.path)} is in use by process {pid} on {host} "
                        f"(since {holder.get('since', '?')}; lock file {self.path}). Wait for that job, or "
                        "delete the lock file if it is gone."
                    ) from None
                print(f"Note: taking over the lock of process {pid} on {host}, which is no longer running.")
                try:
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(descriptor, "w") as f:
                json.dump(me, f)
                f.flush()
                os.fsync(f.fileno())
            self.held = True
            return
        raise WorkdirBusy(f"{self.path}: could not take the lock (another job keeps taking it).")

    def _holder(self) -> dict | None:
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self.held:
            self.held = False
            holder = self._holder()
            if holder is not None and holder.get("pid") == os.getpid():
                os.remove(self.path)
