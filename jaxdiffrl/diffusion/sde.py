"""The continuous-time variance-preserving SDE (SfBC's behaviour model) and its ε-loss.

The forward process dx = −½ β(t) x dt + √β(t) dw on t ∈ (0, 1] with the linear rate
β(t) = β_min + (β_max − β_min) t has Gaussian marginals q(x_t | x₀) = N(α_t x₀, σ_t² I) with

    log α_t = −¼ (β_max − β_min) t² − ½ β_min t,    σ_t = √(1 − α_t²),

and the half log signal-to-noise ratio λ_t = log α_t − log σ_t falls strictly with t, so it can be
inverted in closed form (``VPSDE.t_of_log_snr``); the DPM-Solver sampler steps in λ.

Networks see the continuous time t itself. A noise function ``noise_fn(x, t)`` returns the
ε-prediction ε̂(x_t, t) of the same shape as x; a score network s_θ relates to it by
ε̂ = −σ_t s_θ (``score_to_noise``), so SfBC's loss ‖σ_t s_θ(x_t, t) + ε‖² is the ε-loss below.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

NoiseFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


def _expand_to(values: jnp.ndarray, x: jnp.ndarray) -> jnp.ndarray:
    """Appends trailing unit axes to per-sample ``values`` (scalar or x.shape[:k]) to broadcast over x."""
    values = jnp.asarray(values)
    return values.reshape(values.shape + (1,) * (x.ndim - values.ndim))


@dataclasses.dataclass(frozen=True)
class VPSDE:
    """VP-SDE with the linear rate β(t) = β_min + (β_max − β_min) t (hashable, so usable as a static arg).

    Every method is elementwise in ``t`` (any shape) and works under jit / vmap / grad. The defaults
    β_min = 0.1, β_max = 20 are the SfBC paper's (and the score-SDE defaults they follow).
    """

    beta_min: float = 0.1
    beta_max: float = 20.0

    @property
    def _delta(self) -> float:
        return self.beta_max - self.beta_min

    def beta(self, t: jnp.ndarray) -> jnp.ndarray:
        """β(t) = β_min + (β_max − β_min) t."""
        return self.beta_min + self._delta * jnp.asarray(t)

    def log_alpha(self, t: jnp.ndarray) -> jnp.ndarray:
        """log α_t = −½ ∫₀ᵗ β = −¼ (β_max − β_min) t² − ½ β_min t."""
        t = jnp.asarray(t)
        return -0.25 * self._delta * t**2 - 0.5 * self.beta_min * t

    def alpha(self, t: jnp.ndarray) -> jnp.ndarray:
        """α_t = exp(log α_t), the scale of x₀ in x_t."""
        return jnp.exp(self.log_alpha(t))

    def log_sigma(self, t: jnp.ndarray) -> jnp.ndarray:
        """log σ_t = ½ log(1 − α_t²), accurate at both ends.

        log(1 − e^z) with z = 2 log α_t ≤ 0 is taken as log(−expm1(z)) for z > −log 2 (small t,
        α_t ≈ 1) and as log1p(−e^z) below (large t, α_t² ≪ 1), where either form is exact.
        """
        z = 2.0 * self.log_alpha(t)
        near_one = z > -jnp.log(2.0)
        return 0.5 * jnp.where(
            near_one,
            jnp.log(-jnp.expm1(jnp.where(near_one, z, -1.0))),
            jnp.log1p(-jnp.exp(jnp.where(near_one, -1.0, z))),
        )

    def sigma(self, t: jnp.ndarray) -> jnp.ndarray:
        """σ_t = √(1 − α_t²), the noise level of x_t (accurate for small t, where α_t ≈ 1)."""
        return jnp.sqrt(-jnp.expm1(2.0 * self.log_alpha(t)))

    def log_snr(self, t: jnp.ndarray) -> jnp.ndarray:
        """λ_t = log α_t − log σ_t (half the log signal-to-noise ratio), decreasing in t."""
        return self.log_alpha(t) - self.log_sigma(t)

    def t_of_log_snr(self, lam: jnp.ndarray) -> jnp.ndarray:
        """The inverse of ``log_snr``: the t at which λ_t = lam.

        From e^{−2λ} = σ²/α² = α⁻² − 1 follows L := −2 log α_t = log(1 + e^{−2λ}), and
        ½ Δ t² + β_min t = L with Δ = β_max − β_min. Its positive root is written as
        t = 2L / (β_min + √(β_min² + 2ΔL)), which has no cancellation (the textbook form
        (−β_min + √(…))/Δ loses all digits for small L and divides by zero when Δ = 0), and L
        is a softplus, exact for large λ (where L ≈ e^{−2λ}) and for very negative λ.
        """
        big_l = jnp.logaddexp(0.0, -2.0 * jnp.asarray(lam))
        return 2.0 * big_l / (self.beta_min + jnp.sqrt(self.beta_min**2 + 2.0 * self._delta * big_l))

    def marginal(self, x0: jnp.ndarray, t: jnp.ndarray, noise: jnp.ndarray) -> jnp.ndarray:
        """x_t = α_t x₀ + σ_t ε for x₀, ε of shape (B, d) and t scalar or (B,)."""
        return _expand_to(self.alpha(t), x0) * x0 + _expand_to(self.sigma(t), x0) * noise


def score_to_noise(sde: VPSDE, score: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """ε̂ = −σ_t · score for a score of shape (B, d) (or (..., d)) and t scalar or per-sample."""
    return -_expand_to(sde.sigma(t), score) * score


def noise_to_score(sde: VPSDE, noise: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
    """score = −ε̂ / σ_t, the inverse of ``score_to_noise``."""
    return -noise / _expand_to(sde.sigma(t), noise)


def noise_fn_from_score(score_fn: NoiseFn, sde: VPSDE) -> NoiseFn:
    """Wraps a score function s(x, t) into the noise function ε̂(x, t) = −σ_t s(x, t) samplers take."""

    def noise_fn(x: jnp.ndarray, t: jnp.ndarray) -> jnp.ndarray:
        return score_to_noise(sde, score_fn(x, t), t)

    return noise_fn


def epsilon_loss(
    noise_fn: NoiseFn, sde: VPSDE, x0: jnp.ndarray, rng: jax.Array, t_eps: float = 1e-5
) -> jnp.ndarray:
    """Per-sample continuous-time ε-loss ‖ε̂(x_t, t) − ε‖² summed over action dims; shape (B,).

    x₀ is (B, d); t ~ U(t_eps, 1) and ε ~ N(0, I) are drawn per sample, x_t = α_t x₀ + σ_t ε, and
    ``noise_fn`` gets x_t (B, d) and t (B,). With ε̂ = −σ_t s_θ this is SfBC's
    ‖σ_t s_θ(x_t, t) + ε‖²; t_eps keeps σ_t (and the score's 1/σ_t) away from 0. Average it over
    the batch for the training objective.
    """
    time_key, noise_key = jax.random.split(rng)
    t = jax.random.uniform(time_key, (x0.shape[0],), x0.dtype, minval=t_eps, maxval=1.0)
    noise = jax.random.normal(noise_key, x0.shape, x0.dtype)
    prediction = noise_fn(sde.marginal(x0, t, noise), t)
    return jnp.sum(jnp.square(prediction - noise), axis=-1)
