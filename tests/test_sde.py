"""The continuous-time VP-SDE: α_t, σ_t, λ_t against their closed forms, the closed-form inverse of
λ_t, the marginal x_t = α_t x₀ + σ_t ε, the continuous-time ε-loss and the score ↔ noise helpers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.diffusion.sde import VPSDE, epsilon_loss, noise_fn_from_score, noise_to_score, score_to_noise

TIMES = np.array([1e-5, 1e-3, 0.01, 0.1, 0.25, 0.5, 0.75, 1.0])


def closed_forms(t, beta_min=0.1, beta_max=20.0):
    """log α_t, α_t, σ_t, λ_t in float64 NumPy, written independently of the module."""
    log_alpha = -(beta_max - beta_min) * t**2 / 4 - beta_min * t / 2
    alpha = np.exp(log_alpha)
    sigma = np.sqrt(-np.expm1(2 * log_alpha))
    return log_alpha, alpha, sigma, log_alpha - np.log(sigma)


@pytest.mark.parametrize("beta_min,beta_max", [(0.1, 20.0), (0.5, 5.0), (1.0, 1.0)])
def test_alpha_sigma_log_snr_match_closed_forms(beta_min, beta_max):
    sde = VPSDE(beta_min, beta_max)
    t = jnp.asarray(TIMES, jnp.float32)
    log_alpha, alpha, sigma, lam = closed_forms(TIMES, beta_min, beta_max)
    np.testing.assert_allclose(sde.beta(t), beta_min + (beta_max - beta_min) * TIMES, rtol=1e-6)
    np.testing.assert_allclose(sde.log_alpha(t), log_alpha, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(sde.alpha(t), alpha, rtol=1e-6)
    np.testing.assert_allclose(sde.sigma(t), sigma, rtol=1e-5)  # relative, also at t = 1e-5
    np.testing.assert_allclose(sde.log_sigma(t), np.log(sigma), rtol=1e-5)
    np.testing.assert_allclose(sde.log_snr(t), lam, rtol=1e-5)
    np.testing.assert_allclose(sde.alpha(t) ** 2 + sde.sigma(t) ** 2, 1.0, rtol=1e-6)


def test_sfbc_defaults_and_hashable():
    sde = VPSDE()
    assert (sde.beta_min, sde.beta_max) == (0.1, 20.0)
    assert hash(sde) == hash(VPSDE(0.1, 20.0)) and sde == VPSDE(0.1, 20.0)
    double_alpha = jax.jit(lambda s, t: 2 * s.alpha(t), static_argnums=0)
    np.testing.assert_allclose(double_alpha(sde, 0.5), 2 * closed_forms(0.5)[1], rtol=1e-6)


@pytest.mark.parametrize("beta_min,beta_max", [(0.1, 20.0), (0.5, 5.0), (1.0, 1.0)])
def test_t_of_log_snr_inverts_log_snr(beta_min, beta_max):
    sde = VPSDE(beta_min, beta_max)
    t = jnp.linspace(1e-3, 1.0, 2001, dtype=jnp.float32)
    roundtrip = sde.t_of_log_snr(sde.log_snr(t))
    assert float(jnp.max(jnp.abs(roundtrip - t))) < 1e-6
    lam = jnp.linspace(-8.0, 8.0, 101)  # and the other way round, in λ
    np.testing.assert_allclose(sde.log_snr(sde.t_of_log_snr(lam)), lam, rtol=1e-5, atol=1e-5)


def test_t_of_log_snr_equals_the_sfbc_formula():
    """t(λ) = A / [(√(0.01 + A) + 0.1) · 19.9], A = 39.8 log(1 + e^{−2λ}) for β ∈ [0.1, 20]."""
    lam = np.linspace(-6.0, 6.0, 49)
    a = 39.8 * np.log1p(np.exp(-2 * lam))
    expected = a / ((np.sqrt(0.01 + a) + 0.1) * 19.9)
    np.testing.assert_allclose(VPSDE().t_of_log_snr(jnp.asarray(lam, jnp.float32)), expected, rtol=1e-5)
    # Stable at the extremes: tiny t for large λ, no overflow for very negative λ.
    assert 0 < float(VPSDE().t_of_log_snr(30.0)) < 1e-20
    assert np.isfinite(float(VPSDE().t_of_log_snr(-200.0)))


def test_marginal_per_sample_and_scalar_times():
    sde = VPSDE()
    x0 = jnp.arange(6.0).reshape(3, 2)
    noise = jnp.ones((3, 2))
    t = jnp.array([0.1, 0.5, 0.9])
    _, alpha, sigma, _ = closed_forms(np.asarray(t, np.float64))
    np.testing.assert_allclose(
        sde.marginal(x0, t, noise), alpha[:, None] * x0 + sigma[:, None] * noise, rtol=1e-5
    )
    _, alpha, sigma, _ = closed_forms(0.3)
    np.testing.assert_allclose(sde.marginal(x0, 0.3, noise), alpha * x0 + sigma * noise, rtol=1e-5)


def test_epsilon_loss_shape_times_and_pairing():
    sde = VPSDE()
    x0 = jnp.zeros((512, 3))
    seen = {}

    def recover(x, t):  # x₀ = 0, so x_t / σ_t is exactly the drawn noise: the loss must vanish
        seen["t"] = t
        assert x.shape == (512, 3) and t.shape == (512,)
        return x / sde.sigma(t)[:, None]

    loss = epsilon_loss(recover, sde, x0, jax.random.PRNGKey(0), t_eps=0.2)
    assert loss.shape == (512,)
    assert float(jnp.max(loss)) < 1e-8
    assert 0.2 <= float(jnp.min(seen["t"])) and float(jnp.max(seen["t"])) <= 1.0
    # A zero predictor pays ‖ε‖², whose mean is the action dimension.
    zero_loss = epsilon_loss(lambda x, t: jnp.zeros_like(x), sde, x0, jax.random.PRNGKey(1))
    assert abs(float(jnp.mean(zero_loss)) - 3.0) < 0.3


def test_epsilon_loss_is_minimised_by_the_exact_noise_and_differentiable():
    """For data N(μ, v₀) the exact ε* = σ_t (x − μα_t)/(v₀α_t² + σ_t²) beats a mis-scaled one."""
    sde = VPSDE()
    mu, v0 = 0.3, 0.04
    x0 = mu + jnp.sqrt(v0) * jax.random.normal(jax.random.PRNGKey(2), (4096, 1))

    def scaled_exact(scale):
        def noise_fn(x, t):
            a, s = sde.alpha(t)[:, None], sde.sigma(t)[:, None]
            return scale * s * (x - mu * a) / (v0 * a**2 + s**2)

        return noise_fn

    def mean_loss(scale):
        return jnp.mean(epsilon_loss(scaled_exact(scale), sde, x0, jax.random.PRNGKey(3)))

    grad = jax.grad(mean_loss)(1.0)
    assert abs(float(grad)) < 0.05  # stationary at the exact predictor
    assert float(mean_loss(1.0)) < float(mean_loss(0.8)) and float(mean_loss(1.0)) < float(mean_loss(1.2))
    assert float(jax.grad(mean_loss)(0.5)) < 0 < float(jax.grad(mean_loss)(1.5))


def test_score_noise_conversions():
    sde = VPSDE()
    score = jax.random.normal(jax.random.PRNGKey(0), (4, 2))
    t = jnp.array([1e-3, 0.2, 0.6, 1.0])
    noise = score_to_noise(sde, score, t)
    np.testing.assert_allclose(noise, -sde.sigma(t)[:, None] * score, rtol=1e-6)
    np.testing.assert_allclose(noise_to_score(sde, noise, t), score, rtol=1e-5)
    noise_fn = noise_fn_from_score(lambda x, t: 2.0 * x, sde)
    np.testing.assert_allclose(noise_fn(score, 0.5), -2.0 * sde.sigma(0.5) * score, rtol=1e-6)
