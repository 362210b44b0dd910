"""Value networks: V(s), Q(s, a) and ensembles of either (one vmapped parameter axis)."""

import functools
from collections.abc import Callable, Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxdiffrl.networks.mlp import MLP, Activation, activation_by_name


class StateValue(nn.Module):
    """V(s) → shape (...,)."""

    hidden_dims: Sequence[int] = (256, 256)
    activation: Activation = nn.relu
    layer_norm: bool = False

    @nn.compact
    def __call__(self, observations: jnp.ndarray, training: bool = False) -> jnp.ndarray:
        net = MLP((*self.hidden_dims, 1), self.activation, layer_norm=self.layer_norm)
        return net(observations, training).squeeze(-1)


class StateActionValue(nn.Module):
    """Q(s, a) → shape (...,)."""

    hidden_dims: Sequence[int] = (256, 256)
    activation: Activation = nn.relu
    layer_norm: bool = False

    @nn.compact
    def __call__(
        self, observations: jnp.ndarray, actions: jnp.ndarray, training: bool = False
    ) -> jnp.ndarray:
        net = MLP((*self.hidden_dims, 1), self.activation, layer_norm=self.layer_norm)
        return net(jnp.concatenate([observations, actions], axis=-1), training).squeeze(-1)


class Ensemble(nn.Module):
    """``num`` independent copies of ``net_cls()`` on the same inputs → shape (num, ...)."""

    net_cls: Callable[[], nn.Module]
    num: int = 2

    @nn.compact
    def __call__(self, *args, **kwargs) -> jnp.ndarray:
        ensemble = nn.vmap(
            self.net_cls,
            variable_axes={"params": 0},
            split_rngs={"params": True, "dropout": True},
            in_axes=None,
            out_axes=0,
            axis_size=self.num,
        )
        return ensemble()(*args, **kwargs)


def q_ensemble(
    num: int, hidden_dims: Sequence[int], activation: str = "relu", layer_norm: bool = False
) -> Ensemble:
    """``num`` independent Q(s, a) MLPs evaluated together → (num, ...)."""
    net = functools.partial(StateActionValue, tuple(hidden_dims), activation_by_name(activation), layer_norm)
    return Ensemble(net, num)
