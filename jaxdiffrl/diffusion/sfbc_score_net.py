"""SfBC's behaviour model: a state-conditioned score network s_θ(a_t, t | s) for the continuous VP-SDE.

Following the SfBC reference code:
- time: fixed (untrained) Gaussian Fourier features [sin(2π t W), cos(2π t W)] with 16 frequencies
  W ~ N(0, 30²) (32 features) → Dense(32);
- state: Dense(32) → SiLU; [time, state] (64) → Dense(128) → SiLU → Dense(128) is the condition c;
- noisy action: a U-Net-shaped MLP of conditioned residual blocks
  h = SiLU(Dense(x)) + Dense(SiLU(c)), out = SiLU(Dense(h)) + skip(x) (skip is Dense when the
  width changes): down 512 → 256 → 128, middle 128, up [128‖128] → 256, [256‖256] → 512, then
  Dense([512‖512] → action_dim);
- the head's output is divided by σ_t, so the network returns a score; no normalisation layers,
  no dropout.

Samplers and the ε-loss take a noise function ε̂ = −σ_t s_θ; ``sfbc_noise_fn`` builds one.
Dense layers use the package's ``default_init`` (the reference code keeps PyTorch's defaults).
"""

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxdiffrl.diffusion.sde import VPSDE, score_to_noise
from jaxdiffrl.networks.embeddings import FourierFeatures, fixed_fourier_features
from jaxdiffrl.networks.mlp import default_init


class ConditionedResidualBlock(nn.Module):
    """h = SiLU(Dense(x)) + Dense(SiLU(c)); returns SiLU(Dense(h)) + skip(x), shape (..., width)."""

    width: int

    @nn.compact
    def __call__(self, x: jnp.ndarray, condition: jnp.ndarray) -> jnp.ndarray:
        dense = lambda: nn.Dense(self.width, kernel_init=default_init())
        h = nn.silu(dense()(x)) + dense()(nn.silu(condition))
        h = nn.silu(dense()(h))
        skip = x if x.shape[-1] == self.width else dense()(x)
        return h + skip


class SfBCScoreNet(nn.Module):
    """s_θ(x_t, t, state) → score of shape (..., action_dim).

    x_t is (..., action_dim), state (..., state_dim) with the same leading shape, and t a scalar or
    of the leading shape (continuous time in (0, 1]). ``fourier_seed`` fixes the time features' W
    (the same W for every run of a vmapped batch); with ``fourier_seed=None`` W is drawn from the
    init rng instead and kept in the non-trained ``constants`` collection, which ``apply`` then
    needs alongside ``params``.
    """

    action_dim: int
    sde: VPSDE = VPSDE()
    widths: Sequence[int] = (512, 256, 128)
    time_dim: int = 32
    state_embed_dim: int = 32
    condition_dim: int = 128
    fourier_scale: float = 30.0
    fourier_seed: int | None = 0

    @nn.compact
    def __call__(self, x_t: jnp.ndarray, t: jnp.ndarray, state: jnp.ndarray) -> jnp.ndarray:
        dense = lambda width, **kwargs: nn.Dense(width, kernel_init=default_init(), **kwargs)
        t = jnp.broadcast_to(jnp.asarray(t, x_t.dtype), x_t.shape[:-1])
        if self.fourier_seed is None:
            features = FourierFeatures(self.time_dim, learnable=False, scale=self.fourier_scale)(t)
        else:
            features = fixed_fourier_features(t, self.time_dim, self.fourier_scale, self.fourier_seed)
        time_embedding = dense(self.time_dim)(features)
        state_embedding = nn.silu(dense(self.state_embed_dim)(state))
        condition = jnp.concatenate([time_embedding, state_embedding], axis=-1)
        condition = dense(self.condition_dim)(nn.silu(dense(self.condition_dim)(condition)))

        h, skips = x_t, []
        for width in self.widths:  # down path
            h = ConditionedResidualBlock(width)(h, condition)
            skips.append(h)
        h = ConditionedResidualBlock(self.widths[-1])(h, condition)  # middle
        for skip, width in zip(reversed(skips[1:]), reversed(self.widths[:-1]), strict=True):  # up path
            h = ConditionedResidualBlock(width)(jnp.concatenate([skip, h], axis=-1), condition)
        out = dense(self.action_dim, name="head")(jnp.concatenate([skips[0], h], axis=-1))
        return out / self.sde.sigma(t)[..., None]


def sfbc_noise_fn(
    model: SfBCScoreNet, variables: dict, state: jnp.ndarray
) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    """The noise function ε̂(x, t) = −σ_t s_θ(x, t, state) for ``epsilon_loss`` and ``dpm_solver_sample``.

    ``state`` must broadcast to x.shape[:-1] + (state_dim,) — e.g. (B, state_dim) for x of shape
    (B, d), (B, 1, state_dim) or (B, M, state_dim) for M candidates x of shape (B, M, d); t is a
    scalar (samplers) or of x's leading shape (the loss).
    """

    def noise_fn(x: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
        condition = jnp.broadcast_to(state, x.shape[:-1] + state.shape[-1:])
        t = jnp.broadcast_to(jnp.asarray(t, x.dtype), x.shape[:-1])
        return score_to_noise(model.sde, model.apply(variables, x, t, condition), t)

    return noise_fn
