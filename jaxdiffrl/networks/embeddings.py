"""Time embeddings for diffusion networks."""

import math

import flax.linen as nn
import jax.numpy as jnp
import numpy as np


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


def fixed_fourier_features(t: jnp.ndarray, dim: int = 32, scale: float = 30.0, seed: int = 0) -> jnp.ndarray:
    """[sin(2π t W), cos(2π t W)] for t of any shape → t.shape + (dim,), W = scale · N(0, 1)^(dim/2).

    W is drawn with NumPy from the fixed ``seed`` when the function is traced: a constant of the
    program, never a parameter, so it is neither trained nor stored (and adds no random-number
    kernel to the compiled program).
    """
    w = scale * np.random.default_rng(seed).standard_normal(dim // 2).astype(np.float32)
    angles = 2.0 * math.pi * jnp.asarray(t, jnp.float32)[..., None] * w
    return jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=-1)
