"""ε-prediction networks for diffusion actors: ε_θ(x_t, t | condition).

One module covers the papers' variants by configuration:
- Diffusion-QL / DAC: sinusoidal(16) → Dense(32) → mish → Dense(16) time features, MLP trunk 3×256 mish.
- IDQL / ACD: learned Fourier features → MLP(2·dim, dim) time features, LN-ResNet trunk.
The condition is the state, with anything else (ACD's advantage label) concatenated to it.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxdiffrl.networks.embeddings import FourierFeatures, SinusoidalEmbedding
from jaxdiffrl.networks.mlp import MLP, MLPResNet, activation_by_name


class DiffusionActorNet(nn.Module):
    """ε_θ(x_t, t, condition) → (B, action_dim). ``time_index`` is the zero-based step index (B,)."""

    action_dim: int
    trunk: str = "mlp"  # "mlp" | "resnet"
    hidden_dims: Sequence[int] = (256, 256, 256)  # mlp trunk
    resnet_blocks: int = 3  # resnet trunk
    resnet_width: int = 256
    dropout_rate: float = 0.0
    layer_norm: bool = True  # LN-ResNet blocks only; the MLP trunk (Diffusion-QL, DAC) has none
    activation: str = "mish"
    time_embedding: str = "sinusoidal"  # "sinusoidal" | "fourier"
    time_dim: int = 16

    @nn.compact
    def __call__(
        self, x_t: jnp.ndarray, time_index: jnp.ndarray, condition: jnp.ndarray, training: bool = False
    ) -> jnp.ndarray:
        act = activation_by_name(self.activation)
        if self.time_embedding == "sinusoidal":
            t = SinusoidalEmbedding(self.time_dim)(time_index)
        elif self.time_embedding == "fourier":
            t = FourierFeatures(self.time_dim, learnable=True)(time_index)
        else:
            raise ValueError(
                f"Unknown time embedding {self.time_embedding!r}; use 'sinusoidal' or 'fourier'."
            )
        t = MLP((2 * self.time_dim, self.time_dim), act)(t)
        inputs = jnp.concatenate([x_t, t, condition], axis=-1)
        if self.trunk == "mlp":
            return MLP((*self.hidden_dims, self.action_dim), act, dropout_rate=self.dropout_rate)(
                inputs, training
            )
        if self.trunk == "resnet":
            return MLPResNet(
                self.resnet_blocks,
                self.action_dim,
                self.resnet_width,
                act,
                self.dropout_rate,
                self.layer_norm,
            )(inputs, training)
        raise ValueError(f"Unknown trunk {self.trunk!r}; use 'mlp' or 'resnet'.")
