"""Several processes (hosts) training one job: joining, agreeing, and each process's share of it.

JAX's multi-controller model: every process runs the same program; arrays sharded over the run
axis span the devices of all processes, and each process holds the runs on its own devices. The
engine keeps every decision the same on every process by deciding on gathered values (metrics,
finiteness, evaluation scores), writes shared files (metrics.jsonl, results.json, run.json) from
process 0 only, and each process writes the TensorBoard logs and evaluates the runs it holds.

In a single process every function here is the obvious local one (no collectives), so the
engine has one code path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import jax
import numpy as np

# the task count of a job step started by srun / mpirun / mpiexec (not SLURM_NTASKS: a batch
# script's own python, outside srun, sees the allocation's task count and would wait forever)
CLUSTER_VARIABLES = ("SLURM_STEP_NUM_TASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")


def cluster_size() -> int:
    """How many tasks the launcher (srun, Open MPI's mpirun, a PMI mpiexec) started this job step
    with; 1 if none."""
    for name in CLUSTER_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> bool:
    """Joins a multi-process job: with the three values given (all of them, or none), or, with
    none given, where the launcher started more than one task (:func:`cluster_size`;
    ``jax.distributed.initialize()`` reads the rest from it). ``num_processes=1`` alone keeps one
    process. Returns whether a multi-process job was joined; a plain single-process run calls
    nothing. Must run before anything touches a device.

    CPU devices talk through gloo collectives (the default of recent JAX, set explicitly here for
    older ones), so a CPU job — a test on one machine — works like a GPU one."""
    if num_processes == 1 and coordinator_address is None and process_id is None:
        return False  # --num_processes=1: one process, even under srun
    given = [value is not None for value in (coordinator_address, num_processes, process_id)]
    if any(given) and not all(given):
        raise ValueError(
            "--coordinator_address, --num_processes and --process_id go together: give all three "
            "(e.g. --coordinator_address=host0:1234 --num_processes=2 --process_id=0), or none on a "
            "cluster that provides them (SLURM)."
        )
    if not any(given) and cluster_size() <= 1:
        return False
    if all(given):
        if num_processes < 1 or not 0 <= process_id < num_processes:
            raise ValueError(
                f"--process_id must be in [0, --num_processes); got {process_id} of {num_processes}."
            )
        if num_processes == 1:
            return False
    try:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    except (AttributeError, ValueError):  # a JAX without the option: its default collectives
        pass
    if all(given):
        jax.distributed.initialize(coordinator_address, num_processes=num_processes, process_id=process_id)
    else:
        jax.distributed.initialize()
    return jax.process_count() > 1


def process_count() -> int:
    return jax.process_count()


def is_main() -> bool:
    """Process 0: the one that writes the job's shared files and prints."""
    return jax.process_index() == 0


def say(*args, **kwargs) -> None:
    """``print`` on process 0 only (the others would print the same line)."""
    if is_main():
        print(*args, **kwargs)


def barrier(name: str) -> None:
    """Waits until every process reaches the barrier of this ``name`` (nothing in one process)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def to_host(tree):
    """Numpy copies of ``tree``'s arrays, whole on every process: run-sharded arrays are gathered
    over the processes (small things only: metrics, flags — not agents)."""
    if jax.process_count() == 1:
        return jax.tree.map(np.asarray, tree)
    from jax.experimental import multihost_utils

    def gather(x):
        if isinstance(x, jax.Array) and not x.is_fully_addressable:
            return np.asarray(multihost_utils.process_allgather(x, tiled=True))
        return np.asarray(x)

    return jax.tree.map(gather, tree)


def all_processes_agree(flag: bool) -> bool:
    """Whether ``flag`` is true on every process (a collective in a multi-process job)."""
    if jax.process_count() == 1:
        return bool(flag)
    from jax.experimental import multihost_utils

    flags = multihost_utils.process_allgather(np.asarray([bool(flag)]), tiled=True)
    return bool(np.all(flags))


def gather_local(values: np.ndarray, local: Sequence[int], num_runs: int) -> np.ndarray:
    """The (R, …) array whose rows ``local`` are this process's ``values`` (len(local), …) and the
    other rows the other processes' — each process gives the rows of the runs it holds."""
    values = np.asarray(values)
    if jax.process_count() == 1:
        full = np.empty((num_runs, *values.shape[1:]), values.dtype)
        full[list(local)] = values
        return full
    from jax.experimental import multihost_utils

    rows = multihost_utils.process_allgather(values, tiled=False)  # (P, R/P, …): equal blocks
    owners = multihost_utils.process_allgather(np.asarray(local, np.int64), tiled=False)
    full = np.empty((num_runs, *values.shape[1:]), values.dtype)
    full[np.asarray(owners).reshape(-1)] = np.asarray(rows).reshape(-1, *values.shape[1:])
    return full


def local_rows(x: jax.Array) -> np.ndarray:
    """The rows of a run-sharded array that this process holds, in run order, as numpy (every
    row of an array in a single-process job)."""
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    shards = {}
    for shard in x.addressable_shards:
        start = shard.index[0].start or 0 if shard.index else 0
        shards.setdefault(start, shard)
    return np.concatenate([np.asarray(shards[start].data) for start in sorted(shards)])


def local_tree(tree):
    """This process's runs of a run-sharded pytree (agents) as arrays on its first device, so a
    process can act with them alone (evaluation) — the whole tree in a single-process job."""
    if jax.process_count() == 1:
        return tree
    device = jax.local_devices()[0]
    return jax.tree.map(lambda x: jax.device_put(local_rows(x), device), tree)
