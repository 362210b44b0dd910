"""QDQ's return model: the raw network F(c_in·x, c_noise | s, a) of an EDM denoiser / consistency model
over truncated returns x (1-D), conditioned on a state–action pair.

- time: fixed (untrained) Gaussian Fourier features of c_noise, ``time_frequencies`` frequencies
  of scale ``fourier_scale`` (8 and 16 in QDQ), → MLP 32-32 swish;
- trunk: [s, a, c_in·x, time embedding] → MLP 3×256 swish with GroupNorm (32 groups) before each
  activation → Dense(out_dim).

The preconditioning (c_in, c_out, c_skip, c_noise) is not part of the network: ``denoise`` and
``consistency_fn`` (``jaxdiffrl.diffusion``) wrap it, so one network class serves the teacher and
the consistency student, which QDQ initialises from the teacher's weights (by default).
"""

from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxdiffrl.networks.embeddings import fixed_fourier_features
from jaxdiffrl.networks.mlp import MLP, activation_by_name


class ConditionalReturnNet(nn.Module):
    """F(scaled_x (..., out_dim), c_noise (...), condition (..., cond_dim)) → (..., out_dim)."""

    out_dim: int = 1
    hidden_dims: Sequence[int] = (256, 256, 256)
    activation: str = "swish"
    group_norm: int = 32
    time_frequencies: int = 8
    fourier_scale: float = 16.0
    time_hidden_dims: Sequence[int] = (32, 32)

    @nn.compact
    def __call__(self, scaled_x: jnp.ndarray, c_noise: jnp.ndarray, condition: jnp.ndarray) -> jnp.ndarray:
        activation = activation_by_name(self.activation)
        c_noise = jnp.broadcast_to(jnp.asarray(c_noise, scaled_x.dtype), scaled_x.shape[:-1])
        features = fixed_fourier_features(c_noise, 2 * self.time_frequencies, self.fourier_scale)
        time_embedding = MLP(tuple(self.time_hidden_dims), activation)(features)
        condition = jnp.broadcast_to(condition, scaled_x.shape[:-1] + condition.shape[-1:])
        inputs = jnp.concatenate([condition, scaled_x, time_embedding], axis=-1)
        return MLP((*self.hidden_dims, self.out_dim), activation, group_norm=self.group_norm)(inputs)
