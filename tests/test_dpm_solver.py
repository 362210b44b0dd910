"""Singlestep DPM-Solver against known answers.

For 1-D data N(μ, v₀) under the VP-SDE, x_t = α_t x₀ + σ_t ε is Gaussian with variance
v_t = v₀α_t² + σ_t², the exact ε-predictor is ε*(x, t) = σ_t (x − μα_t)/v_t, and the
probability-flow ODE maps x_s to x_t = μα_t + √(v_t/v_s)(x_s − μα_s). The solver, fed ε*, must
converge to that map at its order: on the logSNR grid, halving the step doubles … octuples the
accuracy for orders 1, 2, 3 (measured in float64, with every step of the one order).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.diffusion.dpm_solver import (
    SKIP_TYPES,
    _phi_2,
    dpm_solver_sample,
    first_order_update,
    second_order_update,
    singlestep_integrate,
    step_orders,
    step_spans,
    third_order_update,
    time_grid,
)
from jaxdiffrl.diffusion.sde import VPSDE

SDE = VPSDE()
MU, V0 = 0.5, 0.01  # a narrow action distribution, like a behaviour policy's


def gaussian_eps(x, t):
    alpha, sigma = SDE.alpha(t), SDE.sigma(t)
    return sigma * (x - MU * alpha) / (V0 * alpha**2 + sigma**2)


def exact_flow(x, s, t, mu=MU):
    var_s = V0 * SDE.alpha(s) ** 2 + SDE.sigma(s) ** 2
    var_t = V0 * SDE.alpha(t) ** 2 + SDE.sigma(t) ** 2
    return mu * SDE.alpha(t) + jnp.sqrt(var_t / var_s) * (x - mu * SDE.alpha(s))


def mixture_eps(x, t):
    """Exact ε for an equal mixture of N(±0.6, 0.05²): a nonlinear model for the equivalence tests."""
    alpha, sigma = SDE.alpha(t), SDE.sigma(t)
    centres = jnp.array([-0.6, 0.6])
    var = 0.05**2 * alpha**2 + sigma**2
    diff = x[..., None] - alpha * centres
    weights = jax.nn.softmax(-0.5 * diff**2 / var, axis=-1)
    return jnp.sum(weights * sigma * diff / var, axis=-1)


@functools.partial(jax.jit, static_argnums=(0, 2))
def integrate(noise_fn, x, orders, grid):
    """``singlestep_integrate`` with the grid traced, so grids of one length share a compilation."""
    return singlestep_integrate(noise_fn, x, SDE, grid, orders)


def test_sfbc_schedule_orders_and_spans():
    assert step_orders(15, 3) == (3, 3, 3, 3, 2, 1)
    assert step_spans(15, 3) == ((0, 3), (3, 6), (6, 9), (9, 12), (12, 14), (14, 15))


@pytest.mark.parametrize("steps", range(1, 20))
def test_step_orders_general_rule(steps):
    for order in (1, 2, 3):
        assert sum(step_orders(steps, order)) == steps
    k = steps // 3 + 1
    expected_3 = {0: [3] * (k - 2) + [2, 1], 1: [3] * (k - 1) + [1], 2: [3] * (k - 1) + [2]}[steps % 3]
    assert step_orders(steps, 3) == tuple(expected_3)
    assert step_orders(steps, 2) == (2,) * (steps // 2) + (1,) * (steps % 2)
    assert step_orders(steps, 1) == (1,) * steps


def test_model_is_called_once_at_every_grid_point_but_the_last():
    """15 model calls, in order, at the grid points (intermediate times of each step included)."""
    calls = []

    def recording_eps(x, t):
        jax.debug.callback(lambda t: calls.append(float(t)), t, ordered=True)
        return mixture_eps(x, t)

    sample = jax.jit(lambda x: dpm_solver_sample(recording_eps, x, SDE, 15, 3, "time_uniform"))
    jax.block_until_ready(sample(jnp.zeros((4,))))
    jax.effects_barrier()
    np.testing.assert_allclose(calls, 1.0 - np.arange(15) * 0.999 / 15, rtol=1e-6)


def test_sample_is_the_composition_of_the_per_order_updates():
    x = jax.random.normal(jax.random.PRNGKey(0), (64,))
    grid = time_grid(SDE, 15, "time_uniform")
    np.testing.assert_allclose(grid, 1.0 - np.arange(16) * 0.999 / 15, rtol=1e-6)

    @jax.jit
    def composed(x):
        for start in (0, 3, 6, 9):
            x = third_order_update(mixture_eps, SDE, x, *grid[start : start + 4])
        x = second_order_update(mixture_eps, SDE, x, *grid[12:15])
        return first_order_update(mixture_eps, SDE, x, *grid[14:16])

    got = jax.jit(lambda x: dpm_solver_sample(mixture_eps, x, SDE))(x)
    np.testing.assert_allclose(got, composed(x), rtol=1e-5, atol=1e-5)


@jax.jit
def ddim(x, grid):
    """DDIM (η = 0) along the grid, written directly: x_t = α_t (x − σ_s ε̂)/α_s + σ_t ε̂."""

    def step(x, times):
        s, t = times
        eps = mixture_eps(x, s)
        return SDE.alpha(t) * (x - SDE.sigma(s) * eps) / SDE.alpha(s) + SDE.sigma(t) * eps, None

    return jax.lax.scan(step, x, jnp.stack([grid[:-1], grid[1:]], axis=1))[0]


@pytest.mark.parametrize("skip_type", SKIP_TYPES)
def test_first_order_is_ddim(skip_type):
    steps = 10
    grid = time_grid(SDE, steps, skip_type)
    x = jax.random.normal(jax.random.PRNGKey(1), (128,))
    np.testing.assert_allclose(
        integrate(mixture_eps, x, step_orders(steps, 1), grid), ddim(x, grid), rtol=1e-5, atol=1e-5
    )
    if skip_type == "time_uniform":  # and through the public entry point
        got = jax.jit(lambda x: dpm_solver_sample(mixture_eps, x, SDE, steps, 1, skip_type))(x)
        np.testing.assert_allclose(got, ddim(x, grid), rtol=1e-5, atol=1e-5)


# Error ratio when the step count doubles, with every step of the given order; measured ratios
# (μ = 0.5, v₀ = 0.01): order 1 1.98, order 2 4.10, order 3 8.92.
CONVERGENCE = {1: ((64, 128), (1.7, 2.3)), 2: ((32, 64), (3.2, 4.8)), 3: ((32, 64), (6.0, 10.0))}


@pytest.mark.parametrize("order", [1, 2, 3])
def test_converges_to_the_exact_flow_at_its_order(order):
    (n_coarse, n_fine), (low, high) = CONVERGENCE[order]
    with jax.enable_x64(True):
        x_T = jnp.linspace(-3.0, 3.0, 13, dtype=jnp.float64)
        exact = exact_flow(x_T, 1.0, 1e-3)

        @functools.partial(jax.jit, static_argnums=1)
        def error(x, n):
            grid = time_grid(SDE, order * n, "logSNR", 1.0, 1e-3)
            assert grid.dtype == jnp.float64
            return jnp.max(jnp.abs(singlestep_integrate(gaussian_eps, x, SDE, grid, (order,) * n) - exact))

        coarse, fine = float(error(x_T, n_coarse)), float(error(x_T, n_fine))
    ratio = coarse / fine
    assert low < ratio < high, (order, coarse, fine, ratio)


def test_public_sampler_accuracy_and_grid_choice():
    """15 order-3 steps: the logSNR grid is far closer to the exact map than the time-uniform one."""
    x_T = jnp.linspace(-3.0, 3.0, 13)
    exact = exact_flow(x_T, 1.0, 1e-3)
    errors = {}
    for skip_type in ("time_uniform", "logSNR"):
        out = integrate(gaussian_eps, x_T, step_orders(15, 3), time_grid(SDE, 15, skip_type))
        errors[skip_type] = float(jnp.max(jnp.abs(out - exact)))
    assert errors["logSNR"] < 0.03 and errors["logSNR"] < errors["time_uniform"] / 4, errors


def test_jit_vmap_over_runs_and_candidates():
    """A batch of runs, each with its own model parameters (here the data mean) and (candidates, d) noise."""
    runs, candidates, dim = 3, 5, 2
    means = jnp.array([-0.5, 0.0, 0.5])

    def sample_one(mean, x_T):
        def noise_fn(x, t):
            assert x.shape == (candidates, dim) and t.shape == ()
            alpha, sigma = SDE.alpha(t), SDE.sigma(t)
            return sigma * (x - mean * alpha) / (V0 * alpha**2 + sigma**2)

        return dpm_solver_sample(noise_fn, x_T, SDE, steps=15, order=3, skip_type="logSNR")

    x_T = jax.random.normal(jax.random.PRNGKey(2), (runs, candidates, dim))
    out = jax.jit(jax.vmap(sample_one))(means, x_T)
    assert out.shape == (runs, candidates, dim) and out.dtype == jnp.float32
    # Each run follows its own model: close to its exact flow map (15 logSNR steps err by < 0.02).
    exact = exact_flow(x_T, 1.0, 1e-3, mu=means[:, None, None])
    np.testing.assert_allclose(out, exact, atol=0.03)


def test_differentiable_through_the_solver():
    def final_mean(mean):
        def noise_fn(x, t):
            alpha, sigma = SDE.alpha(t), SDE.sigma(t)
            return sigma * (x - mean * alpha) / (0.04 * alpha**2 + sigma**2)

        return jnp.mean(dpm_solver_sample(noise_fn, jnp.zeros((4,)), SDE, steps=4, skip_type="logSNR"))

    grad = jax.jit(jax.grad(final_mean))(0.3)
    assert np.isfinite(float(grad)) and 0.8 < float(grad) < 1.2  # x₀ from x_T = 0 is ≈ μ


@pytest.mark.parametrize("skip_type", SKIP_TYPES)
def test_time_grids_are_monotone_between_the_end_points(skip_type):
    grid = np.asarray(time_grid(SDE, 15, skip_type, 0.9, 2e-3))
    assert grid.shape == (16,)
    assert np.all(np.diff(grid) < 0)
    np.testing.assert_allclose([grid[0], grid[-1]], [0.9, 2e-3], rtol=1e-6)
    spacing = {
        "time_uniform": np.diff(grid),
        "logSNR": np.diff(np.asarray(SDE.log_snr(grid))),
        "time_quadratic": np.diff(np.sqrt(grid)),
    }[skip_type]
    np.testing.assert_allclose(spacing, spacing[0], rtol=1e-3)


def test_invalid_arguments_are_reported():
    with pytest.raises(ValueError, match="order"):
        dpm_solver_sample(gaussian_eps, jnp.zeros((2,)), SDE, order=4)
    with pytest.raises(ValueError, match="skip_type"):
        time_grid(SDE, 5, "karras")
    with pytest.raises(ValueError, match="steps"):
        step_orders(0, 3)
    with pytest.raises(ValueError, match="t_end"):
        time_grid(SDE, 5, "logSNR", 1e-3, 1.0)


def test_phi_2_is_smooth_through_zero():
    z = jnp.array([-1.0, -1e-2, -1e-4, 0.0, 1e-4, 1e-2, 1.0])
    expected = np.expm1(np.float64(z)) / np.where(z == 0, 1.0, np.float64(z)) - 1.0
    expected[3] = 0.0
    np.testing.assert_allclose(jax.jit(_phi_2)(z), expected, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(jax.jit(jax.grad(_phi_2))(0.0), 0.5, rtol=1e-6)
