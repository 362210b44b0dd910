"""Time embeddings for diffusion networks."""

import math

import flax.linen as nn
import jax.numpy as jnp


class SinusoidalEmbedding(nn.Module):
    """Transformer-style [sin(t·f_k), cos(t·f_k)] with geometric frequencies (Diffusion-QL, DAC)."""

    dim: int

    @nn.compact
    def __call__(self, t: jnp.ndarray) -> jnp.ndarray:
        half = self.dim // 2
        freqs = jnp.exp(-math.log(10000.0) * jnp.arange(half) / max(half - 1, 1))
        angles = jnp.asarray(t, jnp.float32)[..., None] * freqs
        return jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=-1)


class FourierFeatures(nn.Module):
    """[cos(2π t W), sin(2π t W)] with W ~ N(0, scale²): learned (IDQL) or fixed Gaussian (SfBC)."""

    dim: int
    learnable: bool = True
    scale: float = 0.2

    @nn.compact
    def __call__(self, t: jnp.ndarray) -> jnp.ndarray:
        t = jnp.asarray(t, jnp.float32)[..., None]
        init = nn.initializers.normal(self.scale)
        if self.learnable:
            w = self.param("kernel", init, (1, self.dim // 2))
        else:
            w = self.variable(
                "constants", "kernel", lambda: init(self.make_rng("params"), (1, self.dim // 2))
            ).value
        angles = 2 * math.pi * t @ w
        return jnp.concatenate([jnp.cos(angles), jnp.sin(angles)], axis=-1)
