"""A fixed-capacity ring buffer of transitions that lives on the device, for the online learners
(IDQL fine-tuning, SAC): inserts and sampling happen inside their jitted step functions."""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np


class ReplayBuffer(flax.struct.PyTreeNode):
    """``data[name]`` has shape (capacity, ...). Rows below ``start`` (a seeded buffer's offline
    data) are kept; new rows fill [start, capacity) and, once it is full, overwrite its oldest."""

    data: dict[str, jax.Array]
    size: jax.Array
    cursor: jax.Array
    start: jax.Array

    @classmethod
    def empty(cls, example: dict[str, np.ndarray], capacity: int) -> ReplayBuffer:
        """An empty buffer whose rows have the shapes of ``example``'s (one transition, no batch axis)."""
        data = {k: jnp.zeros((capacity, *np.shape(v)), jnp.float32) for k, v in example.items()}
        # three arrays, not one shared: the loops donate the buffer, and a leaf may be donated once
        return cls(data, *(jnp.zeros((), jnp.int32) for _ in range(3)))

    @classmethod
    def seeded(cls, arrays: dict[str, np.ndarray], capacity: int) -> ReplayBuffer:
        """A buffer of ``capacity`` rows holding ``arrays`` (the offline dataset) first, kept for
        good; at least one row must be left for online transitions."""
        count = len(arrays["rewards"])
        if capacity <= count:
            raise ValueError(
                f"online.buffer_size={capacity} cannot hold the {count} offline transitions and any "
                "online ones; make it larger (0 picks dataset size + online.steps)."
            )
        buffer = cls.empty({k: np.asarray(v)[0] for k, v in arrays.items()}, capacity)
        data = {k: v.at[:count].set(np.asarray(arrays[k], np.float32)) for k, v in buffer.data.items()}
        return cls(data, *(jnp.asarray(count, jnp.int32) for _ in range(3)))

    @property
    def capacity(self) -> int:
        return next(iter(self.data.values())).shape[0]

    def add(self, transition: dict[str, jax.Array]) -> ReplayBuffer:
        """Stores one transition (no batch axis)."""
        return self.extend(jax.tree.map(lambda x: jnp.asarray(x)[None], transition))

    def extend(self, transitions: dict[str, jax.Array]) -> ReplayBuffer:
        """Stores a batch of transitions (leading axis n ≤ capacity) in order."""
        count = jnp.shape(transitions["rewards"])[0]
        room = self.capacity - self.start
        rows = self.start + (self.cursor - self.start + jnp.arange(count)) % room
        data = {k: v.at[rows].set(jnp.asarray(transitions[k], v.dtype)) for k, v in self.data.items()}
        return self.replace(
            data=data,
            size=jnp.minimum(self.size + count, self.capacity),
            cursor=self.start + (self.cursor - self.start + count) % room,
        )

    def sample(self, rng: jax.Array, batch_size: int) -> dict[str, jax.Array]:
        """A batch drawn uniformly from every stored row."""
        indices = jax.random.randint(rng, (batch_size,), 0, self.size)
        return jax.tree.map(lambda x: x[indices], self.data)

    def sample_symmetric(self, rng: jax.Array, batch_size: int) -> dict[str, jax.Array]:
        """Half of the batch (rounded down) from the rows below ``start`` (offline data), the rest
        from the rows above it (online data); while no online row is stored yet, all offline."""
        offline_key, online_key = jax.random.split(rng)
        half = batch_size // 2
        offline = jax.random.randint(offline_key, (half,), 0, jnp.maximum(self.start, 1))
        online = jax.random.randint(online_key, (batch_size - half,), self.start, jnp.maximum(self.size, 1))
        fallback = jax.random.randint(online_key, (batch_size - half,), 0, jnp.maximum(self.start, 1))
        online = jnp.where(self.size > self.start, online, fallback)
        indices = jnp.concatenate([offline, online])
        return jax.tree.map(lambda x: x[indices], self.data)
