"""Shards the run axis over the available devices (a 1-D Mesh); XLA does the distribution."""

import math

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


class RunSharding:
    """The run axis split over the largest number of devices that divides the number of runs."""

    def __init__(self, num_runs: int, devices: list[jax.Device] | None = None):
        devices = list(jax.devices() if devices is None else devices)
        count = math.gcd(num_runs, len(devices))
        self.mesh = Mesh(np.asarray(devices[:count]), ("runs",))
        self.runs = NamedSharding(self.mesh, PartitionSpec("runs"))
        self.replicated = NamedSharding(self.mesh, PartitionSpec())

    @property
    def num_devices(self) -> int:
        return self.mesh.devices.size

    def shard_runs(self, tree):
        """Places every leaf's leading (run) axis across the mesh."""
        return jax.device_put(tree, self.runs)
