"""The dataset lives on the device; batches are drawn inside the jitted step (no host traffic)."""

import jax
import jax.numpy as jnp
import numpy as np

Batch = dict[str, jax.Array]


def to_device(arrays: dict[str, np.ndarray], sharding: jax.sharding.Sharding | None = None) -> Batch:
    """Copies transition arrays to the device once (replicated over the mesh when sharded)."""
    converted = {k: jnp.asarray(v, jnp.float32) for k, v in arrays.items()}
    return jax.device_put(converted, sharding) if sharding is not None else converted


def sample_batch(data: Batch, rng: jax.Array, batch_size: int) -> Batch:
    """Uniformly samples ``batch_size`` transitions with replacement."""
    size = next(iter(data.values())).shape[0]
    indices = jax.random.randint(rng, (batch_size,), 0, size)
    return jax.tree.map(lambda x: x[indices], data)
