"""A deterministic policy a = tanh(MLP(s)): the actor of TD3-style agents (TD3+BC, CPED)."""

from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxdiffrl.networks.mlp import MLP, Activation


class DeterministicPolicy(nn.Module):
    """s (..., obs_dim) → a = tanh(MLP(s)) (..., action_dim), every component in (−1, 1).

    ``hidden_dims`` are the hidden widths (TD3+BC: 256, 256 with ReLU); the output layer is linear
    before the tanh.
    """

    hidden_dims: Sequence[int]
    action_dim: int
    activation: Activation = nn.relu
    layer_norm: bool = False

    @nn.compact
    def __call__(self, observations: jnp.ndarray, training: bool = False) -> jnp.ndarray:
        net = MLP((*self.hidden_dims, self.action_dim), self.activation, layer_norm=self.layer_norm)
        return jnp.tanh(net(observations, training))
