"""The machine a job ran on, as run directories, benchmarks and reproduction reports record it.

A throughput (updates/s, wall time) means little without its machine, and neither does a score to
the digit: the same 2-core class of host is sometimes an AMD and sometimes an Intel part, which run
one program at rates about 2× apart, and XLA's CPU code differs between them, so a run repeats to
the digit on one host only. ``host()`` describes the computer without touching JAX (a launcher
that starts jobs in child processes must not take the GPU's memory); ``machine()`` adds JAX's
version and devices.
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any


def cpu_model() -> str | None:
    """The CPU's model name from Linux's /proc/cpuinfo (None elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def host() -> dict[str, Any]:
    """{cpu_model, processor, cores, os, python}; no JAX."""
    return {
        "cpu_model": cpu_model(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def machine() -> dict[str, Any]:
    """``host()`` plus {jax, backend, device_kind, device_count, process_count}."""
    import jax

    return {
        **host(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "device_kind": jax.devices()[0].device_kind,
        "device_count": jax.device_count(),
        "process_count": jax.process_count(),
    }


def label(info: Mapping[str, Any] | None) -> str:
    """One line naming a ``host()`` / ``machine()`` record: the CPU (its model, else architecture) and
    cores, then the accelerator where it is not the CPU; "unknown" for a record from before runs
    kept one."""
    if not info:
        return "unknown"
    cpu = info.get("cpu_model") or info.get("processor") or "unknown CPU"
    text = f"{cpu}, {info.get('cores', '?')} cores"
    if info.get("backend") not in (None, "cpu"):
        text += f", {info.get('device_count', 1)} × {info.get('device_kind')}"
    return text


def same_machine(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether two records name the same kind of machine (CPU model, cores, accelerator); records
    without one (older runs) count as the same, so no warning is raised about what is unknown."""
    if not a or not b:
        return True
    return label(a) == label(b)


def tally(infos: Iterable[Mapping[str, Any] | None]) -> list[tuple[str, int]]:
    """The distinct machine labels of ``infos`` with how many records name each, most frequent first."""
    return Counter(label(info) for info in infos).most_common()
