"""Shards the run axis over the devices of every process (a 1-D Mesh); XLA does the distribution."""

import math

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def _devices_of(devices: list[jax.Device], num_runs: int) -> list[jax.Device]:
    """The mesh's devices: the largest number that divides the runs, taken evenly from every
    process (each process must hold runs: every process runs the same program)."""
    processes = sorted({d.process_index for d in devices})
    if len(processes) == 1:
        return devices[: math.gcd(num_runs, len(devices))]
    if num_runs % len(processes):
        raise ValueError(
            f"a job of {len(processes)} processes needs a number of runs (seeds × sweep points) that "
            f"is a multiple of {len(processes)}; it has {num_runs}. Change --seeds or the sweep."
        )
    by_process = [[d for d in devices if d.process_index == p] for p in processes]
    per_process = math.gcd(num_runs // len(processes), min(len(own) for own in by_process))
    return [d for own in by_process for d in own[:per_process]]


class RunSharding:
    """The run axis split over the largest number of devices that divides the number of runs (in
    a multi-process job: over every process's devices, the same number from each)."""

    def __init__(self, num_runs: int, devices: list[jax.Device] | None = None):
        devices = list(jax.devices() if devices is None else devices)
        self.num_runs = num_runs
        self.mesh = Mesh(np.asarray(_devices_of(devices, num_runs)), ("runs",))
        self.runs = NamedSharding(self.mesh, PartitionSpec("runs"))
        self.replicated = NamedSharding(self.mesh, PartitionSpec())

    @property
    def num_devices(self) -> int:
        return self.mesh.devices.size

    @property
    def local_runs(self) -> list[int]:
        """The indices of the runs this process holds (every run in a single-process job)."""
        indices = self.runs.addressable_devices_indices_map((self.num_runs,)).values()
        held = set()
        for index in indices:
            held.update(range(self.num_runs)[index[0]])
        return sorted(held)

    def shard_runs(self, tree):
        """Places every leaf's leading (run) axis across the mesh. Leaves are taken to host first in
        a multi-process job (every process holds the whole, equal value, and keeps its rows)."""
        if jax.process_count() > 1:
            tree = jax.tree.map(np.asarray, tree)
        return jax.device_put(tree, self.runs)
