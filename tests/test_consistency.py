"""EDM preconditioning, the Karras grid, Heun steps and consistency distillation, on exact targets.

For 1-D data y ~ N(0, s²) noised to x = y + σ n everything is Gaussian and closed-form:

- the optimal denoiser is D*(x; σ) = E[y | x] = s²/(s² + σ²) · x, with posterior variance
  s²σ²/(s² + σ²), so with s = σ_d its EDM-weighted loss λ(σ) E(D* − y)² is exactly 1 at every σ;
- the probability-flow ODE dx/dσ = (x − D*)/σ = σ x/(s² + σ²) has the solution
  x(σ) = x(σ₀) √((s² + σ²)/(s² + σ₀²));
- hence the exact consistency function is f*(x, t) = x √((s² + t_min²)/(s² + t²)).

No network is trained here; the learned-model check lives in test_consistency_toy.py.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.diffusion.consistency import (
    consistency_distillation_loss,
    consistency_fn,
    consistency_preconditioning,
    consistency_sample,
    multistep_consistency_sample,
)
from jaxdiffrl.diffusion.edm import (
    EDMConfig,
    denoise,
    edm_loss,
    edm_loss_weight,
    edm_preconditioning,
    heun_sample,
    heun_step,
    karras_sigmas,
)
from jaxdiffrl.networks.mlp import MLP

SIGMA_DATA = 0.5
T_MIN = 0.002


def gaussian_denoiser(s):
    """D*(x; σ) for data N(0, s²) in every dimension; σ has shape x.shape[:-1]."""
    return lambda x, sigma: (s**2 / (s**2 + sigma**2))[..., None] * x


def gaussian_consistency(s, t_min=T_MIN):
    """The exact consistency function f*(x, t) of data N(0, s²)."""
    return lambda x, t: jnp.sqrt((s**2 + t_min**2) / (s**2 + t**2))[..., None] * x


def residual_net_for(denoiser, sigma_data=SIGMA_DATA):
    """The raw F whose preconditioned output is ``denoiser``: F = (D − c_skip x)/c_out.

    F sees only what a network sees, the scaled input c_in·x and c_noise, and recovers σ and x
    from them, so the test exercises the wiring of ``denoise``, not just its algebra.
    """

    def raw_net(scaled_x, c_noise):
        sigma = jnp.exp(4.0 * c_noise)
        c_skip, c_out, c_in, _ = edm_preconditioning(sigma, sigma_data)
        x = scaled_x / c_in[..., None]
        return (denoiser(x, sigma) - c_skip[..., None] * x) / c_out[..., None]

    return raw_net


@pytest.mark.parametrize("s", [0.3, 0.5, 1.7])
def test_preconditioned_residual_reproduces_optimal_denoiser(s):
    x = jax.random.normal(jax.random.PRNGKey(0), (64, 1)) * 3.0
    exact = gaussian_denoiser(s)
    raw_net = residual_net_for(exact)
    for sigma in [0.002, 0.05, 0.5, 2.0, 80.0]:
        np.testing.assert_allclose(
            denoise(raw_net, x, sigma, SIGMA_DATA), exact(x, jnp.full((64,), sigma)), rtol=2e-4, atol=1e-6
        )


def test_preconditioning_coefficients():
    sigma = jnp.array([0.002, 0.5, 80.0])
    c_skip, c_out, c_in, c_noise = edm_preconditioning(sigma, SIGMA_DATA)
    total = sigma**2 + SIGMA_DATA**2
    np.testing.assert_allclose(c_skip, SIGMA_DATA**2 / total, rtol=1e-6)
    np.testing.assert_allclose(c_out, sigma * SIGMA_DATA / jnp.sqrt(total), rtol=1e-6)
    np.testing.assert_allclose(c_in, 1 / jnp.sqrt(total), rtol=1e-6)
    np.testing.assert_allclose(c_noise, 0.25 * jnp.log(sigma), rtol=1e-6)
    # F's effective target (y − c_skip x)/c_out has unit variance for data of std σ_d:
    # Var(y (1 − c_skip) − c_skip σ n) = (1 − c_skip)² σ_d² + c_skip² σ² = c_out².
    np.testing.assert_allclose((1 - c_skip) ** 2 * SIGMA_DATA**2 + c_skip**2 * sigma**2, c_out**2, rtol=1e-5)


def test_loss_weight_times_denoiser_error_is_the_f_space_loss():
    key_y, key_n, key_f = jax.random.split(jax.random.PRNGKey(1), 3)
    sigma = jnp.geomspace(0.002, 80.0, 50)
    y = 0.5 * jax.random.normal(key_y, (50, 1))
    x = y + sigma[:, None] * jax.random.normal(key_n, (50, 1))
    raw = jax.random.normal(key_f, (50, 1))  # an arbitrary network output
    raw_net = lambda scaled_x, c_noise: raw
    c_skip, c_out, _, _ = edm_preconditioning(sigma, SIGMA_DATA)
    denoiser_error = jnp.sum((denoise(raw_net, x, sigma, SIGMA_DATA) - y) ** 2, -1)
    f_target = (y - c_skip[:, None] * x) / c_out[:, None]
    np.testing.assert_allclose(
        edm_loss_weight(sigma, SIGMA_DATA) * denoiser_error, jnp.sum((raw - f_target) ** 2, -1), rtol=1e-3
    )
    # The noise-space form: (σ² + σ_d²)/σ_d² on ‖(D − y)/σ‖² is the same number.
    np.testing.assert_allclose(
        (sigma**2 + SIGMA_DATA**2) / SIGMA_DATA**2 * denoiser_error / sigma**2,
        edm_loss_weight(sigma, SIGMA_DATA) * denoiser_error,
        rtol=1e-5,
    )


def test_edm_loss_of_the_optimal_denoiser_is_one_per_dimension():
    data_key, loss_key = jax.random.split(jax.random.PRNGKey(2))
    x0 = SIGMA_DATA * jax.random.normal(data_key, (40_000, 2))
    losses = jax.jit(lambda x, k: edm_loss(gaussian_denoiser(SIGMA_DATA), x, k))(x0, loss_key)
    assert losses.shape == (40_000,)
    assert abs(float(losses.mean()) - 2.0) < 0.06  # each dim: λ·posterior variance = 1, χ²-distributed
    # A worse denoiser scores worse.
    worse = edm_loss(lambda x, s: 0.9 * gaussian_denoiser(SIGMA_DATA)(x, s), x0, loss_key)
    assert float(worse.mean()) > float(losses.mean()) + 0.05


def test_consistency_parameterisation_is_identity_at_t_min():
    c_skip, c_out, _, _ = consistency_preconditioning(jnp.float32(T_MIN), SIGMA_DATA, T_MIN)
    assert float(c_skip) == 1.0 and float(c_out) == 0.0
    grid = karras_sigmas(1000, T_MIN, 80.0)
    c_skip, c_out, _, _ = consistency_preconditioning(grid[0], SIGMA_DATA, T_MIN)
    assert float(c_skip) == 1.0 and float(c_out) == 0.0

    net = MLP((32, 32, 3), activation=nn.swish)
    x = jax.random.normal(jax.random.PRNGKey(3), (16, 3))
    params = net.init(jax.random.PRNGKey(4), jnp.zeros((1, 4)))
    raw_net = lambda scaled_x, c_noise: (
        10.0 * net.apply(params, jnp.concatenate([scaled_x, c_noise[:, None]], -1))
    )
    np.testing.assert_array_equal(consistency_fn(raw_net, x, T_MIN, SIGMA_DATA, T_MIN), x)
    np.testing.assert_array_equal(consistency_fn(raw_net, x, grid[0], SIGMA_DATA, T_MIN), x)
    assert not np.allclose(consistency_fn(raw_net, x, 1.0, SIGMA_DATA, T_MIN), x)
    # Large t: the skip vanishes and c_out → σ_d.
    c_skip, c_out, _, _ = consistency_preconditioning(jnp.float32(80.0), SIGMA_DATA, T_MIN)
    assert float(c_skip) < 1e-4 and abs(float(c_out) - SIGMA_DATA) < 1e-3


def test_karras_grid():
    grid = np.asarray(karras_sigmas(1000, 0.002, 80.0, 7.0))
    assert grid.shape == (1000,)
    assert grid[0] == np.float32(0.002) and grid[-1] == np.float32(80.0)
    assert np.all(np.diff(grid) > 0)
    lo, hi = 0.002 ** (1 / 7), 80.0 ** (1 / 7)
    np.testing.assert_allclose(grid[500], (lo + 500 / 999 * (hi - lo)) ** 7, rtol=1e-5)
    np.testing.assert_allclose(karras_sigmas(5, 1.0, 3.0, 1.0), [1.0, 1.5, 2.0, 2.5, 3.0], rtol=1e-6)
    # Steps grow with σ (ρ > 1 concentrates points near σ_min).
    assert np.all(np.diff(np.diff(grid)) > 0)


def _heun_error(s, sigma_start, sigma_end, steps):
    x0 = jnp.array([[1.0], [-2.0]], jnp.float64)
    sigmas = jnp.linspace(sigma_start, sigma_end, steps + 1, dtype=jnp.float64)
    x = x0
    for i in range(steps):
        x = heun_step(gaussian_denoiser(s), x, sigmas[i], sigmas[i + 1])
    exact = x0 * jnp.sqrt((s**2 + sigma_end**2) / (s**2 + sigma_start**2))
    return float(jnp.max(jnp.abs(x - exact)))


def test_heun_is_second_order_on_the_gaussian_pf_ode():
    with jax.enable_x64(True):
        errors = [_heun_error(0.5, 2.0, 0.1, n) for n in (4, 8, 16, 32)]
        ratios = [a / b for a, b in zip(errors[:-1], errors[1:], strict=True)]
        print("Heun global errors", errors, "ratios", ratios)
        assert all(3.5 < r < 4.6 for r in ratios), ratios
        # Local (one-step) error is third order: ratio ≈ 8.
        local = [_heun_error(0.5, 1.0, 1.0 - h, 1) for h in (0.1, 0.05, 0.025)]
        local_ratios = [a / b for a, b in zip(local[:-1], local[1:], strict=True)]
        print("Heun local errors", local, "ratios", local_ratios)
        assert all(7.0 < r < 9.0 for r in local_ratios), local_ratios
        # To σ = 0 the step is Euler and lands on the denoiser output.
        x = jnp.array([[0.7]], jnp.float64)
        np.testing.assert_allclose(
            heun_step(gaussian_denoiser(0.5), x, 0.3, 0.0),
            gaussian_denoiser(0.5)(x, jnp.array([0.3])),
            rtol=1e-12,
        )


def test_heun_sampler_reproduces_gaussian_data():
    sigmas = karras_sigmas(80, 0.002, 80.0)[::-1]  # 18 steps leave a 5 % std error here
    samples = jax.jit(lambda k: heun_sample(gaussian_denoiser(0.5), k, (20_000, 1), sigmas))(
        jax.random.PRNGKey(5)
    )
    # Deterministic map of N(0, 80²) onto N(0, 0.5²): std ≈ 0.5 · 80/√(0.25 + 80²) ≈ 0.5.
    assert abs(float(samples.std()) - 0.5) < 0.01


@pytest.mark.parametrize("s", [0.2, 0.5, 1.5])
def test_distillation_loss_vanishes_for_the_exact_consistency_function(s):
    x0 = s * jax.random.normal(jax.random.PRNGKey(6), (4096, 1))
    exact = gaussian_consistency(s)
    loss_fn = jax.jit(
        lambda x, k: consistency_distillation_loss(exact, exact, gaussian_denoiser(s), x, k, EDMConfig())
    )
    losses = loss_fn(x0, jax.random.PRNGKey(7))
    assert losses.shape == (4096,)
    # One Heun step on the N = 1000 grid is accurate to a few 1e-6 relative error.
    assert float(losses.mean()) < 1e-9 * max(1.0, s**2), float(losses.mean())
    # A student that is not consistent (its time axis stretched by 5 %) is clearly detected.
    shifted = lambda x, t: exact(x, t * 1.05)
    wrong = consistency_distillation_loss(shifted, exact, gaussian_denoiser(s), x0, jax.random.PRNGKey(7))
    assert float(wrong.mean()) > 1e3 * float(losses.mean())


def test_distillation_index_convention():
    """The student sees the noisier grid point t_{n+1} (and the data noised to it), the target t_n."""
    n_scales, batch = 50, 20_000
    grid = np.asarray(karras_sigmas(n_scales, T_MIN, 80.0))
    x0 = jnp.zeros((batch, 1))
    teacher = gaussian_denoiser(0.5)
    time_of = lambda x, t: t[..., None]
    zero = lambda x, t: jnp.zeros_like(x)
    key = jax.random.PRNGKey(14)

    def loss(student, target, **kwargs):
        return np.asarray(
            consistency_distillation_loss(student, target, teacher, x0, key, num_scales=n_scales, **kwargs)
        )

    student_t = np.sqrt(loss(time_of, zero))
    target_t = np.sqrt(loss(zero, time_of))
    index_student = np.abs(student_t[:, None] - grid[None]).argmin(1)
    index_target = np.abs(target_t[:, None] - grid[None]).argmin(1)
    np.testing.assert_array_equal(index_student, index_target + 1)  # same key → same pairs
    np.testing.assert_allclose(student_t, grid[index_student], rtol=1e-5)
    assert index_target.min() == 1 and index_target.max() == n_scales - 2  # n ~ U{1..N−2}
    # The data are noised to the student's time: x_{t_{n+1}} / t_{n+1} = z ~ N(0, 1).
    z_squared = loss(lambda x, t: x / t[..., None], zero)
    assert abs(float(z_squared.mean()) - 1.0) < 0.05
    # The QDQ reference code's range (descending grid, {1..N−2}) skips the σ_max pair instead.
    ref_t = np.sqrt(loss(time_of, zero, min_index=0, max_index=n_scales - 3))
    ref_index = np.abs(ref_t[:, None] - grid[None]).argmin(1)
    assert ref_index.min() == 1 and ref_index.max() == n_scales - 2
    with pytest.raises(ValueError, match="min_index"):
        loss(time_of, zero, min_index=0, max_index=n_scales - 1)


def test_distillation_gradients_reach_only_the_student():
    x0 = 0.5 * jax.random.normal(jax.random.PRNGKey(8), (256, 1))

    def loss(student_scale, target_scale, teacher_scale):
        student = lambda x, t: student_scale * gaussian_consistency(0.5)(x, t)
        target = lambda x, t: target_scale * gaussian_consistency(0.5)(x, t)
        teacher = lambda x, sigma: teacher_scale * gaussian_denoiser(0.5)(x, sigma)
        return consistency_distillation_loss(student, target, teacher, x0, jax.random.PRNGKey(9)).mean()

    grads = jax.grad(loss, argnums=(0, 1, 2))(1.1, 1.0, 1.0)
    assert float(grads[0]) != 0.0 and float(grads[1]) == 0.0 and float(grads[2]) == 0.0


def test_vmapped_over_runs():
    x0 = 0.5 * jax.random.normal(jax.random.PRNGKey(10), (3, 128, 1))
    scales = jnp.array([0.9, 1.0, 1.1])
    keys = jax.random.split(jax.random.PRNGKey(11), 3)

    def per_run(scale, x, key):
        f = lambda x, t: scale * gaussian_consistency(0.5)(x, t)
        cd = consistency_distillation_loss(f, gaussian_consistency(0.5), gaussian_denoiser(0.5), x, key)
        dsm = edm_loss(lambda x, s: scale * gaussian_denoiser(0.5)(x, s), x, key)
        return cd.mean(), dsm.mean()

    cd, dsm = jax.jit(jax.vmap(per_run))(scales, x0, keys)
    assert cd.shape == dsm.shape == (3,)
    assert float(cd[1]) < float(cd[0]) and float(cd[1]) < float(cd[2])


def test_one_and_multistep_sampling_with_the_exact_consistency_function():
    s = 0.5
    exact = gaussian_consistency(s)
    one = consistency_sample(exact, jax.random.PRNGKey(12), (20_000, 1), 80.0)
    assert one.shape == (20_000, 1)
    assert abs(float(one.std()) - s) < 0.015
    multi = multistep_consistency_sample(
        exact, jax.random.PRNGKey(13), (20_000, 1), jnp.array([80.0, 2.0, 0.5])
    )
    assert abs(float(multi.std()) - np.sqrt(s**2 + T_MIN**2)) < 0.015
    single = multistep_consistency_sample(exact, jax.random.PRNGKey(13), (8, 1), jnp.array([80.0]))
    assert single.shape == (8, 1)
