"""Forward noising, the ε-prediction loss, and the DDPM / DDIM reverse samplers.

An ``EpsFn`` maps a batch of noisy actions ``x_t`` (B, d) and zero-based step indices (B,) to
ε-predictions (B, d); agents build one by closing over parameters and (repeated) states. Samplers
are ``lax.scan`` loops over steps, so they jit, vmap over runs and candidates, and — because
nothing is stop-gradiented — differentiate through the whole chain (Diffusion-QL's actor loss).
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxdiffrl.diffusion.schedules import Schedule

EpsFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


def _per_sample(values: jnp.ndarray, index: jnp.ndarray) -> jnp.ndarray:
    """Gathers schedule values at step indices and shapes them to broadcast over (B, d)."""
    return values[index][:, None]


def q_sample(schedule: Schedule, x0: jnp.ndarray, index: jnp.ndarray, noise: jnp.ndarray) -> jnp.ndarray:
    """x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε for x₀, ε of shape (B, d) and step indices (B,)."""
    alpha_bar = _per_sample(schedule.alpha_bars, index)
    return jnp.sqrt(alpha_bar) * x0 + jnp.sqrt(1.0 - alpha_bar) * noise


def epsilon_loss(eps_fn: EpsFn, schedule: Schedule, x0: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
    """Per-sample ‖ε − ε_θ(x_t, t)‖² (summed over action dims), t ~ U{1..T}; shape (B,)."""
    index_key, noise_key = jax.random.split(rng)
    index = jax.random.randint(index_key, (x0.shape[0],), 0, schedule.num_steps)
    noise = jax.random.normal(noise_key, x0.shape, x0.dtype)
    prediction = eps_fn(q_sample(schedule, x0, index, noise), index)
    return jnp.sum(jnp.square(prediction - noise), axis=-1)


def predict_x0(schedule: Schedule, x_t: jnp.ndarray, eps: jnp.ndarray, index: jnp.ndarray) -> jnp.ndarray:
    """x̂₀ = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t, at a scalar step index."""
    alpha_bar = schedule.alpha_bars[index]
    return (x_t - jnp.sqrt(1.0 - alpha_bar) * eps) / jnp.sqrt(alpha_bar)


def ddpm_step(
    schedule: Schedule,
    x_t: jnp.ndarray,
    eps: jnp.ndarray,
    index: jnp.ndarray,
    noise: jnp.ndarray,
    *,
    clip_denoised: bool = True,
    clip_iterate: bool = False,
    bound: float = 1.0,
    variance: str = "posterior",
) -> jnp.ndarray:
    """One ancestral step x_t → x_{t−1} at a scalar step index; no noise is added at t = 1.

    With ``clip_denoised`` the posterior mean is formed from x̂₀ clipped to ±bound (Diffusion-QL's
    and DAC's reference codes); without it, the mean is (x_t − β_t/√(1 − ᾱ_t) ε)/√α_t.
    ``clip_iterate`` clips x_{t−1} itself to ±bound after the noise is added (IDQL's reference
    sampler, which uses the unclipped mean). ``variance`` is the posterior
    β̃_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t) (Diffusion-QL) or β_t (IDQL's sampler).
    """
    beta, alpha = schedule.betas[index], schedule.alphas[index]
    alpha_bar, alpha_bar_prev = schedule.alpha_bars[index], schedule.alpha_bars_prev[index]
    if clip_denoised:
        x0 = jnp.clip(predict_x0(schedule, x_t, eps, index), -bound, bound)
        mean = (beta * jnp.sqrt(alpha_bar_prev) * x0 + (1.0 - alpha_bar_prev) * jnp.sqrt(alpha) * x_t) / (
            1.0 - alpha_bar
        )
    else:
        mean = (x_t - beta / jnp.sqrt(1.0 - alpha_bar) * eps) / jnp.sqrt(alpha)
    if variance == "posterior":
        var = beta * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    elif variance == "beta":
        var = beta
    else:
        raise ValueError(f"Unknown DDPM variance {variance!r}; choose 'posterior' or 'beta'.")
    x = mean + jnp.where(index > 0, jnp.sqrt(var), 0.0) * noise
    return jnp.clip(x, -bound, bound) if clip_iterate else x


def ddpm_sample(
    eps_fn: EpsFn,
    schedule: Schedule,
    rng: jax.Array,
    shape: tuple[int, int],
    *,
    clip_denoised: bool = True,
    clip_iterate: bool = False,
    bound: float = 1.0,
    variance: str = "posterior",
    temperature: float = 1.0,
) -> jnp.ndarray:
    """Ancestral sampling x_T ~ N(0, I) → x₀ of shape (B, d), clipped to ±bound at the end.

    ``temperature`` scales every injected noise (1 = the model's distribution).
    """
    init_key, loop_key = jax.random.split(rng)
    x_T = jax.random.normal(init_key, shape)
    indices = jnp.arange(schedule.num_steps - 1, -1, -1)
    keys = jax.random.split(loop_key, schedule.num_steps)

    def step(x, inputs):
        index, key = inputs
        eps = eps_fn(x, jnp.full((shape[0],), index))
        noise = temperature * jax.random.normal(key, shape)
        x = ddpm_step(
            schedule,
            x,
            eps,
            index,
            noise,
            clip_denoised=clip_denoised,
            clip_iterate=clip_iterate,
            bound=bound,
            variance=variance,
        )
        return x, None

    x0, _ = jax.lax.scan(step, x_T, (indices, keys))
    return jnp.clip(x0, -bound, bound)


def ddim_sample(
    eps_fn: EpsFn,
    schedule: Schedule,
    rng: jax.Array,
    shape: tuple[int, int],
    *,
    num_steps: int | None = None,
    eta: float = 0.0,
    clip_denoised: bool = True,
    bound: float = 1.0,
) -> jnp.ndarray:
    """DDIM (Song et al.) over ``num_steps`` evenly spaced steps of the schedule (all by default).

    eta = 0 is deterministic given x_T; eta = 1 matches DDPM's posterior noise level.
    """
    num_steps = schedule.num_steps if num_steps is None else num_steps
    if not 1 <= num_steps <= schedule.num_steps:
        raise ValueError(f"DDIM num_steps must lie in [1, {schedule.num_steps}], got {num_steps}.")
    indices = jnp.round(jnp.linspace(schedule.num_steps - 1, 0, num_steps)).astype(jnp.int32)
    prev_alpha_bars = jnp.concatenate([schedule.alpha_bars[indices[1:]], jnp.ones((1,))])
    init_key, loop_key = jax.random.split(rng)
    x_T = jax.random.normal(init_key, shape)
    keys = jax.random.split(loop_key, num_steps)

    def step(x, inputs):
        index, alpha_bar_prev, key = inputs
        alpha_bar = schedule.alpha_bars[index]
        eps = eps_fn(x, jnp.full((shape[0],), index))
        x0 = predict_x0(schedule, x, eps, index)
        if clip_denoised:
            x0 = jnp.clip(x0, -bound, bound)
            eps = (x - jnp.sqrt(alpha_bar) * x0) / jnp.sqrt(1.0 - alpha_bar)
        sigma = eta * jnp.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev))
        direction = jnp.sqrt(jnp.maximum(1.0 - alpha_bar_prev - sigma**2, 0.0)) * eps
        x = jnp.sqrt(alpha_bar_prev) * x0 + direction + sigma * jax.random.normal(key, shape)
        return x, None

    x0, _ = jax.lax.scan(step, x_T, (indices, prev_alpha_bars, keys))
    return jnp.clip(x0, -bound, bound)
