"""WGAN-GP pieces for CPED's Flow-GAN pre-training: the critic ("discriminator") and its gradient penalty.

CPED trains its flow with a hybrid loss: the flow's samples G(z) = f⁻¹(z) against the data
x = [s, a] under a Wasserstein critic, plus λ·NLL. The critic maximises E D(x) − E D(G(z)) minus a
gradient penalty that keeps it near 1-Lipschitz along lines between real and generated points.
"""

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdiffrl.networks.flows import symmetric_uniform
from jaxdiffrl.networks.mlp import Activation

INTERPOLATIONS = ("uniform", "normal")
REDUCTIONS = ("mean", "sum")


def fan_in_uniform() -> nn.initializers.Initializer:
    """U(±1/sqrt(fan_in)) for a Dense kernel."""
    return nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


class WGANDiscriminator(nn.Module):
    """CPED's critic: Dense(m·D) → LayerNorm → LeakyReLU for each m in ``hidden_multipliers``, then a
    linear Dense(D) whose D outputs are reduced to one score per sample.

    D is read from the input, (..., D) → (...,). ``reduce="mean"`` averages the D outputs (the CPED
    reference code's losses average them); ``"sum"`` adds them, which is the scalar whose gradient
    the reference code's penalty uses (its gradient is D times the mean's). Hidden layers start
    from U(±1/sqrt(fan_in)) kernels and biases ``hidden_bias``; the output layer from U(±out_init_bound).
    """

    hidden_multipliers: Sequence[int] = (2, 4)
    activation: Activation = nn.leaky_relu
    layer_norm: bool = True
    reduce: str = "mean"
    hidden_bias: float = 0.1
    out_init_bound: float = 3e-3

    @nn.compact
    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        if self.reduce not in REDUCTIONS:
            raise ValueError(f"Unknown reduce {self.reduce!r}; choose one of {REDUCTIONS}.")
        dim = x.shape[-1]
        h = x
        for multiplier in self.hidden_multipliers:
            h = nn.Dense(
                multiplier * dim,
                kernel_init=fan_in_uniform(),
                bias_init=nn.initializers.constant(self.hidden_bias),
            )(h)
            if self.layer_norm:
                h = nn.LayerNorm()(h)
            h = self.activation(h)
        out_init = symmetric_uniform(self.out_init_bound)
        out = nn.Dense(dim, kernel_init=out_init, bias_init=out_init)(h)
        return jnp.mean(out, axis=-1) if self.reduce == "mean" else jnp.sum(out, axis=-1)


def gradient_penalty(
    disc_fn: Callable[[jnp.ndarray], jnp.ndarray],
    real: jnp.ndarray,
    fake: jnp.ndarray,
    rng: jax.Array,
    weight: float = 10.0,
    interpolation: str = "uniform",
) -> jnp.ndarray:
    """WGAN-GP penalty ``weight · E[(‖∇_x̂ D(x̂)‖₂ − 1)²]`` at x̂ = u·real + (1 − u)·fake. Scalar.

    Args:
      disc_fn: scores a batch row by row, (B, D) → (B,) (e.g. ``lambda x: disc.apply(params, x)``);
        no sample's score may depend on another row (no batch statistics), since the per-sample
        gradients are taken as the gradient of the batch's summed score.
      real, fake: (B, D). Gradients flow into both; stop them in the caller where unwanted.
      rng: draws one u per sample, (B, 1).
      weight: the penalty coefficient (10 in standard WGAN-GP; the CPED reference code uses 0.5).
      interpolation: ``"uniform"`` draws u ~ U(0, 1) (standard WGAN-GP: points on the segment
        between each real and fake pair); ``"normal"`` draws u ~ N(0, 1), the CPED reference code's
        choice, which also extrapolates beyond the pair.

    The norm is sqrt(Σ g² + 1e-12), so the penalty stays differentiable where the gradient vanishes.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Unknown interpolation {interpolation!r}; choose one of {INTERPOLATIONS}.")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    if interpolation == "uniform":
        u = jax.random.uniform(rng, shape, real.dtype)
    else:
        u = jax.random.normal(rng, shape, real.dtype)
    x_hat = u * real + (1 - u) * fake
    grads = jax.grad(lambda x: jnp.sum(disc_fn(x)))(x_hat)
    norms = jnp.sqrt(jnp.sum(jnp.square(grads.reshape(grads.shape[0], -1)), axis=-1) + 1e-12)
    return weight * jnp.mean(jnp.square(norms - 1.0))
