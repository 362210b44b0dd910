"""Fully connected trunks: a plain MLP and IDQL's LayerNorm residual MLP (LN-ResNet)."""

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.networks.activations import mish

Activation = Callable[[jnp.ndarray], jnp.ndarray]

_ACTIVATIONS: dict[str, Activation] = {
    "relu": nn.relu,
    "mish": mish,  # one exp, hand-written derivative; equal to jax.nn.mish within float32 rounding
    "silu": nn.silu,
    "swish": nn.swish,
    "gelu": nn.gelu,
    "tanh": nn.tanh,
    "elu": nn.elu,
    "leaky_relu": nn.leaky_relu,
}


def activation_by_name(name: str) -> Activation:
    """Looks an activation up by the name configs use (``relu``, ``mish``, ``silu``, …)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}.")
    return _ACTIVATIONS[name]


def default_init(scale: float = 1.0) -> nn.initializers.Initializer:
    return nn.initializers.variance_scaling(scale, "fan_avg", "uniform")


class GroupNorm(nn.Module):
    """GroupNorm over the last axis only: each feature vector's ``num_groups`` groups are normalised
    by their own mean and variance, then scaled and shifted per feature. Every leading axis is a
    batch axis — flax's ``nn.GroupNorm`` would also pool over them (and, restricted to the last
    axis with ``reduction_axes=-1``, runs several times slower on a CPU than this reshape)."""

    num_groups: int = 32
    epsilon: float = 1e-6

    @nn.compact
    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        features = x.shape[-1]
        if features % self.num_groups:
            raise ValueError(f"GroupNorm: {features} features do not split into {self.num_groups} groups.")
        # Group statistics as products with a (features, groups) membership matrix: XLA's CPU
        # matmuls handle the small groups far better than a reshape into (…, groups, size).
        membership = np.repeat(np.eye(self.num_groups, dtype=np.float32), features // self.num_groups, axis=0)
        average = jnp.asarray(membership / (features // self.num_groups), x.dtype)
        spread = jnp.asarray(membership.T, x.dtype)
        centred = x - (x @ average) @ spread
        variance = (jnp.square(centred) @ average) @ spread
        normalised = centred * jax.lax.rsqrt(variance + self.epsilon)
        scale = self.param("scale", nn.initializers.ones, (features,))
        bias = self.param("bias", nn.initializers.zeros, (features,))
        return normalised * scale + bias


class MLP(nn.Module):
    """Dense layers with an activation between them (and after the last if ``activate_final``).

    Before each activation: dropout, then LayerNorm (``layer_norm``) or GroupNorm over
    ``group_norm`` groups of features (0: none; QDQ's return model uses 32).
    """

    hidden_dims: Sequence[int]
    activation: Activation = nn.relu
    activate_final: bool = False
    layer_norm: bool = False
    dropout_rate: float = 0.0
    group_norm: int = 0

    @nn.compact
    def __call__(self, x: jnp.ndarray, training: bool = False) -> jnp.ndarray:
        for i, width in enumerate(self.hidden_dims):
            x = nn.Dense(width, kernel_init=default_init())(x)
            if i + 1 < len(self.hidden_dims) or self.activate_final:
                if self.dropout_rate > 0:
                    x = nn.Dropout(self.dropout_rate)(x, deterministic=not training)
                if self.layer_norm:
                    x = nn.LayerNorm()(x)
                if self.group_norm:
                    x = GroupNorm(self.group_norm)(x)
                x = self.activation(x)
        return x


class ResidualBlock(nn.Module):
    """x + Dense(width) ∘ act ∘ Dense(4·width) ∘ LayerNorm ∘ Dropout (x)."""

    width: int
    activation: Activation
    dropout_rate: float
    layer_norm: bool = True

    @nn.compact
    def __call__(self, x: jnp.ndarray, training: bool = False) -> jnp.ndarray:
        residual = x
        if self.dropout_rate > 0:
            x = nn.Dropout(self.dropout_rate)(x, deterministic=not training)
        if self.layer_norm:
            x = nn.LayerNorm()(x)
        x = nn.Dense(4 * self.width, kernel_init=default_init())(x)
        x = self.activation(x)
        x = nn.Dense(self.width, kernel_init=default_init())(x)
        return residual + x


class MLPResNet(nn.Module):
    """IDQL's LN-ResNet: Dense(width) → blocks × ResidualBlock → act → Dense(out_dim)."""

    num_blocks: int
    out_dim: int
    width: int = 256
    activation: Activation = mish
    dropout_rate: float = 0.1
    layer_norm: bool = True

    @nn.compact
    def __call__(self, x: jnp.ndarray, training: bool = False) -> jnp.ndarray:
        x = nn.Dense(self.width, kernel_init=default_init())(x)
        for _ in range(self.num_blocks):
            x = ResidualBlock(self.width, self.activation, self.dropout_rate, self.layer_norm)(x, training)
        x = self.activation(x)
        return nn.Dense(self.out_dim, kernel_init=default_init())(x)
