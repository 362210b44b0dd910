"""The dataset lives on the device; batches are drawn inside the jitted step (no host traffic)."""

import jax
import jax.numpy as jnp
import numpy as np

Batch = dict[str, jax.Array]


def to_device(arrays: dict[str, np.ndarray], sharding: jax.sharding.Sharding | None = None) -> Batch:
    """Copies a phase's arrays to the device once as float32 (replicated over the mesh when sharded)."""
    converted = {k: jnp.asarray(v, jnp.float32) for k, v in arrays.items()}
    return jax.device_put(converted, sharding) if sharding is not None else converted


def num_rows(data: Batch) -> int:
    """N, the leading dimension every non-constant array of ``data`` shares."""
    sizes = {name: x.shape[0] for name, x in data.items() if x.ndim > 0}
    if not sizes:
        raise ValueError("A phase's data holds no arrays with rows to sample from.")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"A phase's arrays must share their number of rows; got {sizes}.")
    return next(iter(sizes.values()))


def sample_batch(data: Batch, rng: jax.Array, batch_size: int) -> Batch:
    """Uniformly samples ``batch_size`` rows with replacement; the batch also holds their
    ``indices`` (B,) int32. 0-d constants of ``data`` are left out of batches."""
    indices = jax.random.randint(rng, (batch_size,), 0, num_rows(data))
    batch = {name: x[indices] for name, x in data.items() if x.ndim > 0}
    batch["indices"] = indices
    return batch
