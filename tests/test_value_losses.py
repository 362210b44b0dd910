"""IDQL's generalised value losses reach their closed-form statistics; the implicit-actor weights.

For samples q of a skewed 1-D distribution (the IDQL bandit's reward mixture, plus a tail),
argmin_V mean f(q − V) is computed by brute force over dense grids of V (vectorised
evaluations of the library's loss) and compared with an independent computation of the statistic:
the τ-expectile by bisection on its first-order condition τ E(q − V)₊ = (1 − τ) E(V − q)₊, the
τ-quantile with np.quantile, and the soft value (1/α) log mean exp(α q).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents.value_losses import (
    EXPONENT_CLIP,
    expectile_loss,
    exponential_loss,
    implicit_actor_weights,
    quantile_loss,
    value_loss,
)

STEP = 1e-4  # resolution of the brute-force minimiser


@pytest.fixture(scope="module")
def q_samples():
    rng = np.random.default_rng(0)
    modes = rng.integers(0, 3, 3000)
    q = np.array([0.0, 0.5, 1.0])[modes] + 0.3 * rng.standard_normal(3000)
    q[:150] += rng.exponential(0.7, 150)  # a right tail, so mean, median and expectiles all differ
    return q


@functools.partial(jax.jit, static_argnames="kind")
def _mean_losses(q, grid, hparams, kind):
    """mean_i f(q_i − V) for every V on the grid: (len(grid),)."""
    return jnp.mean(value_loss(kind, q[None, :] - grid[:, None], hparams), axis=1)


def _grid_minimiser(q, kind, **hparams):
    """argmin over V of the mean loss: a 0.01 grid over [−1.5, 2.5], then a 1e-4 grid around its best."""
    levels = {"tau": 0.5, "alpha": 1.0, **hparams}  # τ of the expectile / quantile, α of the exponential
    levels = {"expectile": levels["tau"], "quantile": levels["tau"], "alpha_exp": levels["alpha"]}
    hparams = {k: jnp.float32(v) for k, v in levels.items()}
    q = jnp.asarray(q, jnp.float32)
    centre = 0.5
    for half_width, step in ((2.0, 0.01), (0.02, STEP)):
        grid = centre + np.arange(-half_width, half_width + step / 2, step)
        losses = np.asarray(_mean_losses(q, jnp.asarray(grid, jnp.float32), hparams, kind))
        best = int(np.argmin(losses))
        assert 0 < best < len(grid) - 1, f"{kind} {hparams}: the minimiser lies on the grid's edge"
        centre = grid[best]
    return centre


def _expectile_by_bisection(q, tau):
    low, high = q.min(), q.max()
    for _ in range(100):
        v = 0.5 * (low + high)
        # d/dV of the expectile risk is −2[τ E(q − V)₊ − (1 − τ) E(V − q)₊], increasing in V.
        if tau * np.mean(np.maximum(q - v, 0)) > (1 - tau) * np.mean(np.maximum(v - q, 0)):
            low = v
        else:
            high = v
    return 0.5 * (low + high)


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.7, 0.9])
def test_expectile_loss_minimiser_is_the_expectile(q_samples, tau):
    expected = _expectile_by_bisection(q_samples, tau)
    if tau == 0.5:
        assert expected == pytest.approx(q_samples.mean(), abs=1e-9), "the 0.5-expectile is the mean"
    got = _grid_minimiser(q_samples, "expectile", tau=tau)
    assert abs(got - expected) <= 2 * STEP, f"τ={tau}: argmin {got:.4f}, expectile {expected:.4f}"
    # The loss's gradient vanishes at the expectile.
    grad = jax.grad(lambda v: jnp.mean(expectile_loss(jnp.asarray(q_samples, jnp.float32) - v, tau)))(
        jnp.float32(expected)
    )
    assert abs(float(grad)) < 1e-4, f"τ={tau}: gradient {float(grad)} at the expectile"


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.8])
def test_quantile_loss_minimiser_is_the_quantile(q_samples, tau):
    expected = np.quantile(q_samples, tau)
    got = _grid_minimiser(q_samples, "quantile", tau=tau)
    # The empirical risk is flat between neighbouring order statistics; np.quantile lies in that flat.
    assert abs(got - expected) <= 0.01, f"τ={tau}: argmin {got:.4f}, quantile {expected:.4f}"
    risk = lambda v: float(np.mean(quantile_loss(jnp.asarray(q_samples - v, jnp.float32), tau)))  # noqa: E731
    assert risk(expected) <= risk(got) + 1e-6, "np.quantile must itself minimise the quantile risk"


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_exponential_loss_minimiser_is_the_soft_value(q_samples, alpha):
    expected = np.log(np.mean(np.exp(alpha * q_samples))) / alpha
    assert np.max(np.abs(alpha * (q_samples - expected))) < EXPONENT_CLIP, "the clip must not bind here"
    got = _grid_minimiser(q_samples, "exponential", alpha=alpha)
    # The risk is flat to float32 precision within ~5e-4 of its minimum, hence the looser match ...
    assert abs(got - expected) <= 1e-3, f"α={alpha}: argmin {got:.4f}, soft value {expected:.4f}"
    # ... and the sharper test: the risk's gradient changes sign across the soft value.
    q = jnp.asarray(q_samples, jnp.float32)
    # the plain linex (no weight cap): its minimiser is the soft value
    grad = jax.grad(lambda v: jnp.mean(exponential_loss(q - v, alpha, cap=np.inf)))
    below, above = float(grad(jnp.float32(expected - 1e-4))), float(grad(jnp.float32(expected + 1e-4)))
    assert below < 0 < above, f"α={alpha}: risk gradients {below}, {above} around the soft value"
    assert expected > q_samples.mean(), "the soft value exceeds the mean (Jensen)"


def test_statistics_are_ordered_by_tau_and_alpha(q_samples):
    expectiles = [_grid_minimiser(q_samples, "expectile", tau=t) for t in (0.3, 0.7, 0.9)]
    quantiles = [_grid_minimiser(q_samples, "quantile", tau=t) for t in (0.3, 0.6, 0.8)]
    soft = [_grid_minimiser(q_samples, "exponential", alpha=a) for a in (0.5, 1.0, 3.0)]
    for name, values in (("expectile", expectiles), ("quantile", quantiles), ("exponential", soft)):
        assert values == sorted(values) and len(set(values)) == 3, f"{name} values {values} not increasing"


def test_loss_values_on_hand_values():
    u = jnp.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(
        expectile_loss(u, 0.7), [0.3 * 4, 0.3 * 0.25, 0, 0.7 * 0.25, 0.7 * 4], rtol=1e-6
    )
    np.testing.assert_allclose(quantile_loss(u, 0.7), [0.3 * 2, 0.3 * 0.5, 0, 0.7 * 0.5, 0.7 * 2], rtol=1e-6)
    expected = np.exp(2.0 * np.asarray(u)) - 2.0 * np.asarray(u)
    np.testing.assert_allclose(exponential_loss(u, 2.0), expected, rtol=1e-5)
    # Past the clip the loss stays finite (no overflow of exp(α u)).
    assert np.all(np.isfinite(exponential_loss(jnp.array([1e4, -1e4]), 1.0)))
    hparams = {"expectile": 0.7, "quantile": 0.7, "alpha_exp": 2.0}
    np.testing.assert_allclose(value_loss("expectile", u, hparams), expectile_loss(u, 0.7))
    np.testing.assert_allclose(value_loss("quantile", u, hparams), quantile_loss(u, 0.7))
    np.testing.assert_allclose(value_loss("exponential", u, hparams), exponential_loss(u, 2.0))
    with pytest.raises(ValueError, match="expectile"):
        value_loss("huber", u, hparams)


def test_implicit_actor_weights_on_hand_values():
    q = jnp.array([1.0, 2.0, 0.5])
    v = jnp.array([1.5, 1.5, 1.5])  # u = Q − V = −0.5, 0.5, −1
    hparams = {"expectile": 0.7, "quantile": 0.7, "alpha_exp": 2.0}
    np.testing.assert_allclose(implicit_actor_weights("expectile", q, v, hparams), [0.3, 0.7, 0.3], rtol=1e-6)
    np.testing.assert_allclose(
        implicit_actor_weights("quantile", q, v, hparams), [0.3 / 0.5, 0.7 / 0.5, 0.3 / 1.0], rtol=1e-6
    )
    # α |exp(α u) − 1| / |u|
    expected = [2 * (1 - np.exp(-1.0)) / 0.5, 2 * (np.exp(1.0) - 1) / 0.5, 2 * (1 - np.exp(-2.0)) / 1.0]
    np.testing.assert_allclose(implicit_actor_weights("exponential", q, v, hparams), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="expectile"):
        implicit_actor_weights("huber", q, v, hparams)


def test_exponential_weight_is_continuous_at_zero_advantage():
    # α |exp(α u) − 1| / |u| → α² as u → 0; the weight must not collapse for tiny advantages.
    alpha = 2.0
    u = jnp.array([0.0, 1e-9, -1e-7, 1e-4])
    weights = implicit_actor_weights("exponential", u, jnp.zeros_like(u), {"alpha_exp": alpha})
    np.testing.assert_allclose(weights, alpha**2, rtol=1e-3, err_msg="exponential weights near Q = V")
