"""A fixed-capacity ring buffer of transitions that lives on the device, for the online learners
(IDQL fine-tuning, SAC): inserts and sampling happen inside their jitted step functions."""

from __future__ import annotations

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np


class ReplayBuffer(flax.struct.PyTreeNode):
    """``data[name]`` has shape (capacity, ...); once full, the oldest rows are overwritten."""

    data: dict[str, jax.Array]
    size: jax.Array
    cursor: jax.Array

    @classmethod
    def empty(cls, example: dict[str, np.ndarray], capacity: int) -> ReplayBuffer:
        """An empty buffer whose rows have the shapes of ``example``'s (one transition, no batch axis)."""
        data = {k: jnp.zeros((capacity, *np.shape(v)), jnp.float32) for k, v in example.items()}
        return cls(data, jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32))

    @classmethod
    def seeded(cls, arrays: dict[str, np.ndarray], capacity: int) -> ReplayBuffer:
        """A buffer of ``capacity`` rows holding ``arrays`` (the offline dataset) first."""
        count = len(arrays["rewards"])
        if capacity < count:
            raise ValueError(f"online.buffer_size={capacity} cannot hold the {count} offline transitions.")
        buffer = cls.empty({k: np.asarray(v)[0] for k, v in arrays.items()}, capacity)
        data = {k: v.at[:count].set(np.asarray(arrays[k], np.float32)) for k, v in buffer.data.items()}
        return cls(data, jnp.asarray(count, jnp.int32), jnp.asarray(count % capacity, jnp.int32))

    @property
    def capacity(self) -> int:
        return next(iter(self.data.values())).shape[0]

    def add(self, transition: dict[str, jax.Array]) -> ReplayBuffer:
        """Stores one transition (no batch axis)."""
        return self.extend(jax.tree.map(lambda x: jnp.asarray(x)[None], transition))

    def extend(self, transitions: dict[str, jax.Array]) -> ReplayBuffer:
        """Stores a batch of transitions (leading axis n ≤ capacity) in order."""
        count = jnp.shape(transitions["rewards"])[0]
        rows = (self.cursor + jnp.arange(count)) % self.capacity
        data = {k: v.at[rows].set(jnp.asarray(transitions[k], v.dtype)) for k, v in self.data.items()}
        return self.replace(
            data=data,
            size=jnp.minimum(self.size + count, self.capacity),
            cursor=(self.cursor + count) % self.capacity,
        )

    def sample(self, rng: jax.Array, batch_size: int) -> dict[str, jax.Array]:
        indices = jax.random.randint(rng, (batch_size,), 0, self.size)
        return jax.tree.map(lambda x: x[indices], self.data)
