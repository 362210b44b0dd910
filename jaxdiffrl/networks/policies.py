"""Gaussian policy heads: a diagonal Gaussian (IQL's AWR actor, BC) and its tanh-squashed form (SAC)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdiffrl.networks.mlp import MLP, Activation, default_init

_LOG_2PI = math.log(2 * math.pi)  # a Python float: no device touched at import


@dataclass(frozen=True)
class DiagonalGaussian:
    """N(mean, diag(exp(log_std)²)); optionally pushed through tanh (log-prob gets the Jacobian)."""

    mean: jnp.ndarray
    log_std: jnp.ndarray
    tanh_squash: bool = False

    def _base_log_prob(self, u: jnp.ndarray) -> jnp.ndarray:
        z = (u - self.mean) / jnp.exp(self.log_std)
        return jnp.sum(-0.5 * z**2 - self.log_std - 0.5 * _LOG_2PI, axis=-1)

    def log_prob(self, actions: jnp.ndarray) -> jnp.ndarray:
        if not self.tanh_squash:
            return self._base_log_prob(actions)
        actions = jnp.clip(actions, -1 + 1e-6, 1 - 1e-6)
        u = jnp.arctanh(actions)
        return self._base_log_prob(u) - jnp.sum(jnp.log1p(-(actions**2)), axis=-1)

    def sample_and_log_prob(self, rng: jax.Array) -> tuple[jnp.ndarray, jnp.ndarray]:
        u = self.mean + jnp.exp(self.log_std) * jax.random.normal(rng, self.mean.shape)
        log_prob = self._base_log_prob(u)
        if not self.tanh_squash:
            return u, log_prob
        # log|d tanh(u)/du| = 2(log 2 − u − softplus(−2u)), the numerically stable form.
        correction = jnp.sum(2 * (jnp.log(2.0) - u - jax.nn.softplus(-2 * u)), axis=-1)
        return jnp.tanh(u), log_prob - correction

    def sample(self, rng: jax.Array) -> jnp.ndarray:
        return self.sample_and_log_prob(rng)[0]

    def mode(self) -> jnp.ndarray:
        return jnp.tanh(self.mean) if self.tanh_squash else self.mean


class GaussianPolicy(nn.Module):
    """MLP → DiagonalGaussian over actions.

    ``state_dependent_std=False`` learns one log-std vector (IQL's actor); ``tanh_mean`` bounds the
    mean of an unsquashed Gaussian to (−1, 1) as IQL does; ``tanh_squash`` gives SAC's policy.
    """

    hidden_dims: Sequence[int]
    action_dim: int
    activation: Activation = nn.relu
    dropout_rate: float = 0.0
    layer_norm: bool = False
    state_dependent_std: bool = False
    tanh_mean: bool = True
    tanh_squash: bool = False
    log_std_min: float = -5.0
    log_std_max: float = 2.0

    @nn.compact
    def __call__(
        self, observations: jnp.ndarray, temperature: float = 1.0, training: bool = False
    ) -> DiagonalGaussian:
        features = MLP(self.hidden_dims, self.activation, True, self.layer_norm, self.dropout_rate)(
            observations, training
        )
        mean = nn.Dense(self.action_dim, kernel_init=default_init(1e-2))(features)
        if self.state_dependent_std:
            log_std = nn.Dense(self.action_dim, kernel_init=default_init(1e-2))(features)
        else:
            log_std = self.param("log_std", nn.initializers.zeros, (self.action_dim,))
            log_std = jnp.broadcast_to(log_std, mean.shape)
        log_std = jnp.clip(log_std, self.log_std_min, self.log_std_max)
        if self.tanh_mean and not self.tanh_squash:
            mean = jnp.tanh(mean)
        return DiagonalGaussian(mean, log_std + jnp.log(temperature), self.tanh_squash)
