"""EDM (Karras et al.) denoisers: preconditioning, the weighted denoising loss, the σ grid, Heun.

Data y is noised as x = y + σ n, n ~ N(0, I), with σ ∈ [σ_min, σ_max]. A raw network F is turned
into a denoiser D(x; σ) ≈ E[y | x] by the preconditioning

    D(x; σ) = c_skip(σ) x + c_out(σ) F(c_in(σ) x, c_noise(σ)),
    c_in = 1/√(σ² + σ_d²), c_noise = ¼ ln σ, c_skip = σ_d²/(σ² + σ_d²), c_out = σ σ_d/√(σ² + σ_d²),

which keeps F's input and its regression target at unit variance when the data have std σ_d.

Shapes: a sample batch ``x`` is (..., d) — any leading batch axes, one trailing feature axis — and
a noise level ``sigma`` is a scalar or an array broadcastable to ``x.shape[:-1]``. Every callable
below receives its noise level already broadcast to ``x.shape[:-1]``:

- ``RawNet`` F(c_in·x (..., d), c_noise (...)) → (..., d): the network, closed over its
  parameters and any conditioning (states, actions, …);
- ``Denoiser`` D(x (..., d), σ (...)) → (..., d), e.g. ``lambda x, s: denoise(F, x, s)``.

Everything is pure ``jax.numpy``: it jits, vmaps over runs and differentiates.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

RawNet = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]
Denoiser = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


class EDMConfig(NamedTuple):
    """Noise range, data scale and training-σ distribution of an EDM denoiser (hashable, static).

    ln σ ~ N(p_mean, p_std²) during training; ``rho`` is the exponent of the Karras σ grid.
    """

    sigma_min: float = 0.002
    sigma_max: float = 80.0
    sigma_data: float = 0.5
    p_mean: float = -1.2
    p_std: float = 1.2
    rho: float = 7.0


DEFAULT_EDM = EDMConfig()


def noise_levels(sigma, x: jnp.ndarray) -> jnp.ndarray:
    """``sigma`` (scalar or broadcastable) as an array of shape ``x.shape[:-1]`` in x's dtype."""
    return jnp.broadcast_to(jnp.asarray(sigma, x.dtype), x.shape[:-1])


def edm_preconditioning(sigma: jnp.ndarray, sigma_data: float = 0.5) -> tuple[jnp.ndarray, ...]:
    """(c_skip, c_out, c_in, c_noise) at noise levels ``sigma`` (any shape, elementwise)."""
    sigma = jnp.asarray(sigma)
    total = sigma**2 + sigma_data**2
    c_skip = sigma_data**2 / total
    c_out = sigma * sigma_data / jnp.sqrt(total)
    c_in = 1.0 / jnp.sqrt(total)
    c_noise = 0.25 * jnp.log(sigma)
    return c_skip, c_out, c_in, c_noise


def denoise(raw_net: RawNet, x: jnp.ndarray, sigma, sigma_data: float = 0.5) -> jnp.ndarray:
    """D(x; σ) = c_skip x + c_out F(c_in x, c_noise) for x (..., d); returns (..., d)."""
    sigma = noise_levels(sigma, x)
    c_skip, c_out, c_in, c_noise = edm_preconditioning(sigma, sigma_data)
    return c_skip[..., None] * x + c_out[..., None] * raw_net(c_in[..., None] * x, c_noise)


def sample_training_sigmas(rng: jax.Array, shape: tuple[int, ...], config: EDMConfig = DEFAULT_EDM):
    """Training noise levels with ln σ ~ N(p_mean, p_std²); shape ``shape`` (float32)."""
    return jnp.exp(config.p_mean + config.p_std * jax.random.normal(rng, shape))


def edm_loss_weight(sigma: jnp.ndarray, sigma_data: float = 0.5) -> jnp.ndarray:
    """λ(σ) = (σ² + σ_d²)/(σ σ_d)² = 1/c_out², the weight of the squared *denoiser* error.

    With it, λ(σ)‖D − y‖² = ‖F − (y − c_skip x)/c_out‖²: a unit-weight regression of F onto its
    effective target. The QDQ reference code writes the same loss in noise space — it weights
    ‖σ·score + n‖² = ‖D − y‖²/σ² by (σ² + σ_d²)/σ_d², whose product with 1/σ² is this λ(σ) — so
    "(σ² + σ_d²)/σ_d²" is the right factor only for that noise-space error; put on ‖D − y‖² it
    would re-weight λ(σ) by σ² (favouring σ > 1, starving σ < 1). Both forms are the same
    objective; this module implements λ(σ) on the denoiser output.
    """
    sigma = jnp.asarray(sigma)
    return (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2


def edm_loss(denoiser_fn: Denoiser, x0: jnp.ndarray, rng: jax.Array, config: EDMConfig = DEFAULT_EDM):
    """Per-sample λ(σ)‖D(y + σ n; σ) − y‖² (summed over the feature axis), σ log-normal.

    x0: clean data (..., d); ``denoiser_fn(x, sigma)`` with sigma of shape x0.shape[:-1]. Returns
    shape x0.shape[:-1]. For data whose std equals σ_d the optimal denoiser scores 1 per dimension
    in expectation at every σ (the point of EDM's weighting).
    """
    sigma_key, noise_key = jax.random.split(rng)
    sigma = sample_training_sigmas(sigma_key, x0.shape[:-1], config).astype(x0.dtype)
    noise = jax.random.normal(noise_key, x0.shape, x0.dtype)
    prediction = denoiser_fn(x0 + sigma[..., None] * noise, sigma)
    return edm_loss_weight(sigma, config.sigma_data) * jnp.sum(jnp.square(prediction - x0), axis=-1)


def karras_sigmas(n: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0):
    """The Karras grid, ASCENDING: t_i = (σ_min^{1/ρ} + i/(n−1) (σ_max^{1/ρ} − σ_min^{1/ρ}))^ρ.

    Returns (n,) float32 with t_0 = σ_min and t_{n−1} = σ_max exactly (the consistency-model
    convention: index 0 is the clean end). Samplers that integrate from σ_max down take
    ``karras_sigmas(...)[::-1]``.
    """
    if n < 2:
        raise ValueError(f"A Karras grid needs at least 2 points, got n={n}.")
    lo, hi = sigma_min ** (1.0 / rho), sigma_max ** (1.0 / rho)
    sigmas = (lo + jnp.arange(n) / (n - 1) * (hi - lo)) ** rho
    return sigmas.at[0].set(sigma_min).at[-1].set(sigma_max)


def heun_step(denoiser_fn: Denoiser, x: jnp.ndarray, sigma_from, sigma_to) -> jnp.ndarray:
    """One step of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ from σ_from to σ_to.

    Heun's (2nd-order) method: an Euler predictor, then the trapezoid of the slopes at both ends.
    Where σ_to = 0 the slope there is undefined, so the step is the Euler one, which lands on
    D(x; σ_from) exactly. x: (..., d); σ's broadcastable to x.shape[:-1]; returns (..., d).
    Two denoiser evaluations per step (the second is computed, and discarded, where σ_to = 0).
    """
    sigma_from, sigma_to = noise_levels(sigma_from, x), noise_levels(sigma_to, x)
    step = (sigma_to - sigma_from)[..., None]
    slope = (x - denoiser_fn(x, sigma_from)) / sigma_from[..., None]
    euler = x + step * slope
    final = sigma_to <= 0
    safe_to = jnp.where(final, 1.0, sigma_to)
    slope_to = (euler - denoiser_fn(euler, safe_to)) / safe_to[..., None]
    heun = x + step * 0.5 * (slope + slope_to)
    return jnp.where(final[..., None], euler, heun)


def heun_sample(
    denoiser_fn: Denoiser, rng: jax.Array, shape: tuple[int, ...], sigmas: jnp.ndarray
) -> jnp.ndarray:
    """Deterministic EDM sampling: x ~ N(0, σ_0² I), Heun steps along the DECREASING ``sigmas``,
    then a final Euler step to σ = 0 (Karras et al.'s Algorithm 1). Returns an array of ``shape``.

    E.g. ``heun_sample(D, rng, (B, 1), karras_sigmas(18, ...)[::-1])``: 18 steps, 2·18 denoiser
    calls (the last one discarded by the final Euler step).
    """
    sigmas = jnp.asarray(sigmas)
    x = sigmas[0] * jax.random.normal(rng, shape)
    targets = jnp.concatenate([sigmas[1:], jnp.zeros((1,), sigmas.dtype)])

    def step(x, pair):
        sigma_from, sigma_to = pair
        return heun_step(denoiser_fn, x, sigma_from, sigma_to), None

    x, _ = jax.lax.scan(step, x, (sigmas, targets))
    return x
