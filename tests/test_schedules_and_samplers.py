"""Noise schedules, forward noising, the ε-loss, DDPM / DDIM samplers and classifier-free guidance.

The samplers are checked with the *exact* ε of known targets, so no network is trained. For data
x₀ ~ N(m, s²) (per dimension), x_t = √ᾱ x₀ + √(1 − ᾱ) ε is jointly Gaussian with ε, and

    E[ε | x_t] = Cov(ε, x_t) / Var(x_t) · (x_t − E x_t) = √(1 − ᾱ) (x_t − √ᾱ m) / (ᾱ s² + 1 − ᾱ),

the minimiser of the ε-loss. With an ε affine in x_t, every sampler step is affine in x_t plus
Gaussian noise, so the output is Gaussian with moments we propagate exactly in float64 below
(``_ddpm_chain`` / ``_ddim_chain``). Coarse chains do not reproduce the data's spread — with the
posterior variance, s = 0.2 comes out as 0.07 at T = 5 and 0.17 at T = 50 — so the chains, not s,
are the reference for the std; the mean m and (for T = 1000) the std s are reproduced directly.
For an isotropic Gaussian mixture Σ_k π_k N(μ_k, s² I), E[ε | x_t] is the responsibility-weighted
sum of the per-component expressions above.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.diffusion import (
    classifier_free_guidance,
    ddim_sample,
    ddpm_sample,
    epsilon_loss,
    make_schedule,
    q_sample,
)

NUM_SAMPLES = 20_000
WIDE = 10.0  # a final-clip bound that never binds, so the samplers' Gaussian algebra is exact


def gaussian_eps(schedule, mean, std):
    """The exact ε-predictor E[ε | x_t] for data N(mean, std²) in every dimension."""

    def eps_fn(x, index):
        alpha_bar = schedule.alpha_bars[index][:, None]
        var = alpha_bar * std**2 + 1.0 - alpha_bar
        return jnp.sqrt(1.0 - alpha_bar) * (x - jnp.sqrt(alpha_bar) * mean) / var

    return eps_fn


def mixture_eps(schedule, centres, std):
    """The exact ε-predictor for an equal mixture of N(centre_k, std² I)."""

    def eps_fn(x, index):
        alpha_bar = schedule.alpha_bars[index][:, None, None]
        var = alpha_bar * std**2 + 1.0 - alpha_bar  # (B, 1, 1)
        diff = x[:, None, :] - jnp.sqrt(alpha_bar) * centres[None]  # (B, K, d)
        responsibilities = jax.nn.softmax(-0.5 * jnp.sum(diff**2, -1) / var[..., 0], axis=-1)
        return jnp.sum(responsibilities[..., None] * jnp.sqrt(1.0 - alpha_bar) * diff / var, axis=1)

    return eps_fn


def _float64(schedule):
    return tuple(np.asarray(v, np.float64) for v in (schedule.betas, schedule.alphas, schedule.alpha_bars))


def _ddpm_chain(schedule, mean, std, variance="posterior"):
    """Exact (mean, std, d mean / d m) of the DDPM output (no clipping) with the exact Gaussian ε."""
    betas, alphas, alpha_bars = _float64(schedule)
    alpha_bars_prev = np.concatenate([[1.0], alpha_bars[:-1]])
    mu, var, dmu_dm = 0.0, 1.0, 0.0  # x_T ~ N(0, 1)
    for i in range(len(betas) - 1, -1, -1):
        # x_{t−1} = (x − β/√(1 − ᾱ) ε̂)/√α + σ z with ε̂ = √(1 − ᾱ)(x − √ᾱ m)/D, D = ᾱ s² + 1 − ᾱ.
        c = betas[i] / (alpha_bars[i] * std**2 + 1.0 - alpha_bars[i])
        slope = (1.0 - c) / np.sqrt(alphas[i])
        offset_per_m = c * np.sqrt(alpha_bars[i]) / np.sqrt(alphas[i])
        if i == 0:
            noise_var = 0.0
        elif variance == "posterior":
            noise_var = betas[i] * (1.0 - alpha_bars_prev[i]) / (1.0 - alpha_bars[i])
        else:
            noise_var = betas[i]
        mu = slope * mu + offset_per_m * mean
        dmu_dm = slope * dmu_dm + offset_per_m
        var = slope**2 * var + noise_var
    return mu, np.sqrt(var), dmu_dm


def _ddim_chain(schedule, mean, std, num_steps):
    """Exact (mean, std) of deterministic DDIM (eta 0, no clipping) with the exact Gaussian ε."""
    _, _, alpha_bars = _float64(schedule)
    indices = np.round(np.linspace(len(alpha_bars) - 1, 0, num_steps)).astype(int)
    prev = np.concatenate([alpha_bars[indices[1:]], [1.0]])
    mu, var = 0.0, 1.0
    for index, alpha_bar_prev in zip(indices, prev, strict=True):
        ab = alpha_bars[index]
        k = np.sqrt(1.0 - ab) / (ab * std**2 + 1.0 - ab)
        e1, e0 = k, -k * np.sqrt(ab) * mean  # ε̂ = e1 x + e0
        x0_1, x0_0 = (1.0 - np.sqrt(1.0 - ab) * e1) / np.sqrt(ab), -np.sqrt(1.0 - ab) * e0 / np.sqrt(ab)
        slope = np.sqrt(alpha_bar_prev) * x0_1 + np.sqrt(1.0 - alpha_bar_prev) * e1
        offset = np.sqrt(alpha_bar_prev) * x0_0 + np.sqrt(1.0 - alpha_bar_prev) * e0
        mu, var = slope * mu + offset, slope**2 * var
    return mu, np.sqrt(var)


def _assert_moments(samples, mean, std, what):
    samples = np.asarray(samples, np.float64)
    mean_tol = 5 * std / np.sqrt(samples.size) + 1e-4
    got_mean, got_std = samples.mean(), samples.std()
    assert abs(got_mean - mean) < mean_tol, f"{what}: sample mean {got_mean:.5f}, expected {mean:.5f}"
    assert abs(got_std / std - 1) < 0.03, f"{what}: sample std {got_std:.5f}, expected {std:.5f}"


# ---------------------------------------------------------------- schedules


@pytest.mark.parametrize("num_steps", [1, 5, 50, 1000])
def test_vp_schedule_matches_the_formula(num_steps):
    schedule = make_schedule("vp", num_steps)
    T = num_steps
    t = np.arange(1, T + 1)
    betas = 1 - np.exp(-0.1 / T - 0.5 * (10.0 - 0.1) * (2 * t - 1) / T**2)
    np.testing.assert_allclose(schedule.betas, betas, rtol=1e-5, err_msg="β_t differs from ALGORITHMS.md")
    np.testing.assert_allclose(schedule.alphas, 1 - betas, rtol=1e-5)
    np.testing.assert_allclose(schedule.alpha_bars, np.cumprod(1 - betas), rtol=1e-4)
    np.testing.assert_allclose(schedule.alpha_bars_prev, np.concatenate([[1.0], schedule.alpha_bars[:-1]]))
    # Σ_t (2t − 1) = T², so ᾱ_T = exp(−β_min − (β_max − β_min)/2) whatever T is.
    assert schedule.alpha_bars[-1] == pytest.approx(np.exp(-0.1 - 4.95), rel=1e-4)
    assert schedule.num_steps == T
    if T > 1:
        assert np.all(np.diff(np.asarray(schedule.alpha_bars)) < 0), "ᾱ_t must strictly decrease"
        assert np.all(np.diff(np.asarray(schedule.betas)) > 0), "vp β_t must increase"


def test_linear_and_cosine_schedules_are_sane():
    linear = make_schedule("linear", 1000)
    np.testing.assert_allclose(np.asarray(linear.betas)[[0, -1]], [1e-4, 2e-2], rtol=1e-5)
    assert np.all(np.diff(np.asarray(linear.betas)) > 0)
    assert float(linear.alpha_bars[-1]) < 1e-3, "1000 linear steps should destroy the data"

    for T in (5, 50, 1000):
        cosine = make_schedule("cosine", T)
        betas = np.asarray(cosine.betas)
        assert np.all((betas > 0) & (betas <= 0.999)), f"cosine β out of (0, 0.999] for T={T}"
        assert np.all(np.diff(np.asarray(cosine.alpha_bars)) < 0)
        f = (
            np.cos((np.arange(1, T + 1) / T + 0.008) / 1.008 * np.pi / 2) ** 2
            / np.cos(0.008 / 1.008 * np.pi / 2) ** 2
        )
        # ᾱ_t follows cos² until the β clip binds at the very end.
        np.testing.assert_allclose(cosine.alpha_bars[: T - 1], f[: T - 1], rtol=1e-4, atol=1e-7)
        assert float(cosine.alpha_bars[-1]) < 1e-3

    with pytest.raises(ValueError, match="vp"):
        make_schedule("sigmoid", 10)
    with pytest.raises(ValueError, match="at least one step"):
        make_schedule("vp", 0)


# ---------------------------------------------------------------- forward noising and loss


def test_q_sample_is_the_forward_marginal():
    schedule = make_schedule("vp", 50)
    noised = jax.jit(q_sample)
    rng = np.random.default_rng(0)
    x0 = jnp.asarray(rng.standard_normal((7, 3)), jnp.float32)
    index = jnp.array([0, 3, 10, 20, 30, 40, 49])
    alpha_bar = np.asarray(schedule.alpha_bars)[np.asarray(index)][:, None]
    np.testing.assert_allclose(noised(schedule, x0, index, jnp.zeros_like(x0)), np.sqrt(alpha_bar) * x0, 1e-6)
    np.testing.assert_allclose(
        noised(schedule, jnp.zeros_like(x0), index, x0), np.sqrt(1 - alpha_bar) * x0, 1e-6
    )

    # x₀ ~ N(m, s²): x_t ~ N(√ᾱ m, ᾱ s² + 1 − ᾱ).
    m, s, t = 0.4, 0.3, 20
    x0 = jnp.asarray(m + s * rng.standard_normal((NUM_SAMPLES, 2)), jnp.float32)
    noise = jnp.asarray(rng.standard_normal((NUM_SAMPLES, 2)), jnp.float32)
    xt = noised(schedule, x0, jnp.full((NUM_SAMPLES,), t), noise)
    ab = float(schedule.alpha_bars[t])
    _assert_moments(xt, np.sqrt(ab) * m, np.sqrt(ab * s**2 + 1 - ab), "q_sample marginal")


def test_epsilon_loss_of_the_exact_eps_is_the_posterior_variance():
    m, s = 0.2, 0.3
    schedule = make_schedule("vp", 20)
    x0 = m + s * jax.random.normal(jax.random.PRNGKey(1), (50_000, 2))
    loss = jax.jit(
        lambda mean: epsilon_loss(gaussian_eps(schedule, mean, s), schedule, x0, jax.random.PRNGKey(2))
    )
    losses = loss(m)
    assert losses.shape == (50_000,)
    ab = np.asarray(schedule.alpha_bars, np.float64)
    # E‖ε − E[ε|x_t]‖² = d·Var(ε | x_t) = d·(1 − (1 − ᾱ)/(ᾱ s² + 1 − ᾱ)), t uniform over the steps.
    expected = 2 * np.mean(1 - (1 - ab) / (ab * s**2 + 1 - ab))
    assert float(losses.mean()) == pytest.approx(expected, rel=0.03)
    worse = loss(m + 0.3)
    assert float(worse.mean()) > float(losses.mean()), "the exact ε must beat a wrong one"


# ---------------------------------------------------------------- DDPM
# Compiling a sampler dominates these tests' time, so each jitted helper below takes the schedule
# and target as traced arguments and is compiled once per step count.


@functools.partial(jax.jit, static_argnames="shape")
def _ddpm_gaussian(schedule, key, mean, std, shape=(NUM_SAMPLES, 1)):
    """DDPM samples (no x̂₀ clipping) of N(mean, std²) with the exact ε, for both variances."""
    eps_fn = gaussian_eps(schedule, mean, std)
    return {
        variance: ddpm_sample(
            eps_fn, schedule, key, shape, clip_denoised=False, bound=WIDE, variance=variance
        )
        for variance in ("posterior", "beta")
    }


@pytest.mark.parametrize("kind, num_steps", [("vp", 5), ("vp", 50), ("linear", 50), ("cosine", 50)])
def test_ddpm_with_exact_eps_gives_the_exact_chain_moments(kind, num_steps):
    m, s = 0.3, 0.2
    schedule = make_schedule(kind, num_steps)
    samples = _ddpm_gaussian(schedule, jax.random.PRNGKey(0), m, s)
    for variance, values in samples.items():
        chain_mean, chain_std, _ = _ddpm_chain(schedule, m, s, variance)
        _assert_moments(values, chain_mean, chain_std, f"DDPM {kind} T={num_steps} {variance}")
        if kind != "linear":  # ᾱ_T ≈ 0: the reverse chain starts at the right marginal
            got = float(values.mean())
            assert abs(got - m) < 0.005, f"DDPM {kind} T={num_steps} {variance}: mean {got}, data {m}"


def test_ddpm_reproduces_a_gaussian_with_many_steps():
    m, s = -0.25, 0.15
    samples = _ddpm_gaussian(make_schedule("vp", 1000), jax.random.PRNGKey(3), m, s)
    for variance, values in samples.items():
        _assert_moments(values, m, s, f"DDPM vp T=1000 ({variance}) vs the data N({m}, {s}²)")


def test_ddpm_reproduces_a_2d_gaussian_mixture():
    centres = jnp.array([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.5]])
    s = 0.05
    schedule = make_schedule("vp", 50)
    samples = np.asarray(
        jax.jit(ddpm_sample, static_argnums=(0, 3), static_argnames=("clip_denoised", "variance"))(
            mixture_eps(schedule, centres, s),
            schedule,
            jax.random.PRNGKey(4),
            (9_000, 2),
            clip_denoised=False,
            variance="posterior",
        )
    )
    distances = np.linalg.norm(samples[:, None] - np.asarray(centres)[None], axis=-1)
    nearest, near = distances.argmin(1), distances.min(1) < 0.2
    assert near.mean() > 0.99, f"{1 - near.mean():.3%} of samples lie between the modes"
    for k, centre in enumerate(np.asarray(centres)):
        members = samples[near & (nearest == k)]
        assert abs(len(members) / len(samples) - 1 / 3) < 0.03, f"mode {k} holds {len(members)} samples"
        np.testing.assert_allclose(members.mean(0), centre, atol=0.01, err_msg=f"mode {k} mean")
        spread = members.std(0)
        assert np.all((spread > 0.3 * s) & (spread < 1.2 * s)), f"mode {k} std {spread}, data std {s}"


# ---------------------------------------------------------------- DDIM


@jax.jit
def _ddim_gaussian(schedule, key, mean, std):
    """Deterministic DDIM (no clipping) of N(mean, std²) with the exact ε: all steps and 10 steps."""
    eps_fn = gaussian_eps(schedule, mean, std)
    shape = (NUM_SAMPLES, 1)
    return {
        steps: ddim_sample(
            eps_fn, schedule, key, shape, num_steps=steps, eta=0.0, clip_denoised=False, bound=WIDE
        )
        for steps in (schedule.num_steps, 10)
    }


def test_ddim_eta0_is_deterministic_and_gives_the_exact_chain():
    m, s = 0.3, 0.2
    schedule = make_schedule("vp", 50)
    first = _ddim_gaussian(schedule, jax.random.PRNGKey(5), m, s)
    again = _ddim_gaussian(schedule, jax.random.PRNGKey(5), m, s)
    other = _ddim_gaussian(schedule, jax.random.PRNGKey(6), m, s)
    for steps, values in first.items():
        np.testing.assert_array_equal(values, again[steps], err_msg="DDIM is not a function of its key")
        assert not np.allclose(values, other[steps]), "different keys gave the same DDIM samples"
        chain_mean, chain_std = _ddim_chain(schedule, m, s, steps)
        _assert_moments(values, chain_mean, chain_std, f"DDIM eta 0, {steps} steps")
        # x_T ~ N(0, 1) rather than N(√ᾱ_T m, ·) shifts the deterministic map's output by ~0.005.
        assert abs(float(values.mean()) - m) < 0.01, f"DDIM ({steps} steps) misses the data mean"


def test_ddim_rejects_bad_step_counts():
    schedule = make_schedule("vp", 5)
    with pytest.raises(ValueError, match="num_steps"):
        ddim_sample(gaussian_eps(schedule, 0.0, 1.0), schedule, jax.random.PRNGKey(0), (2, 1), num_steps=6)


# ---------------------------------------------------------------- vmap, gradients, clipping


def test_samplers_vmap_over_runs_like_a_loop():
    schedule = make_schedule("vp", 5)

    def both(key, m):
        eps_fn = gaussian_eps(schedule, m, 0.2)
        return ddpm_sample(eps_fn, schedule, key, (16, 2)), ddim_sample(
            eps_fn, schedule, key, (16, 2), eta=0.5
        )

    keys = jax.random.split(jax.random.PRNGKey(7), 3)
    means = jnp.array([-0.5, 0.0, 0.4])
    # One program holds both: a vmap over runs and a sequential loop (lax.map) over the same runs.
    batched, looped = jax.jit(lambda k, m: (jax.vmap(both)(k, m), jax.lax.map(lambda a: both(*a), (k, m))))(
        keys, means
    )
    for i, name in enumerate(("ddpm", "ddim")):
        assert batched[i].shape == (3, 16, 2)
        np.testing.assert_allclose(
            batched[i],
            looped[i],
            atol=1e-5,
            err_msg=f"vmapped {name} differs from a loop",
        )


def test_gradient_flows_through_the_ddpm_chain():
    s, m = 0.2, 0.3
    schedule = make_schedule("vp", 5)

    def mean_sample(mean):
        eps_fn = gaussian_eps(schedule, mean, s)
        samples = ddpm_sample(
            eps_fn, schedule, jax.random.PRNGKey(8), (256, 1), clip_denoised=False, bound=WIDE
        )
        return samples.mean()

    grad = float(jax.jit(jax.grad(mean_sample))(m))
    # Each sample is affine in m with the same slope, so the gradient is the chain's d mean / d m.
    _, _, dmu_dm = _ddpm_chain(schedule, m, s)
    assert grad == pytest.approx(dmu_dm, rel=1e-4), f"d sample / d m = {grad}, expected {dmu_dm}"


def test_ddpm_clipping_of_x0_and_of_the_output():
    schedule = make_schedule("vp", 5)

    @jax.jit
    def sample(mean, std, bound):
        eps_fn = gaussian_eps(schedule, mean, std)
        key, shape = jax.random.PRNGKey(11), (512, 2)
        return [
            ddpm_sample(eps_fn, schedule, key, shape, clip_denoised=c, bound=bound) for c in (True, False)
        ]

    # Data well inside the box: x̂₀ never reaches the bound, and the x̂₀-form of the posterior mean
    # (clip_denoised=True, the agents' default) equals the ε-form (clip_denoised=False).
    clipped_x0, unclipped_x0 = sample(0.3, 0.2, 1.0)
    np.testing.assert_allclose(clipped_x0, unclipped_x0, atol=1e-5, err_msg="the two posterior-mean forms")

    # Data mostly outside: every output lies in the box, and x̂₀ clipped at the last step puts
    # (almost) every sample on the bound.
    for bound in (1.0, 0.5):
        clipped_x0, unclipped_x0 = sample(2.0, 0.5, bound)
        assert float(jnp.max(jnp.abs(clipped_x0))) <= bound and float(jnp.max(jnp.abs(unclipped_x0))) <= bound
        assert float(jnp.mean(clipped_x0)) > 0.95 * bound, (
            f"bound {bound}: mean {float(jnp.mean(clipped_x0))}"
        )


# ---------------------------------------------------------------- guidance


def test_classifier_free_guidance_identities():
    rng = np.random.default_rng(1)
    conditional, unconditional = (jnp.asarray(rng.standard_normal((4, 2)), jnp.float32) for _ in range(2))
    np.testing.assert_allclose(classifier_free_guidance(conditional, unconditional, 0.0), conditional)
    np.testing.assert_allclose(classifier_free_guidance(conditional, unconditional, -1.0), unconditional)
    np.testing.assert_allclose(
        classifier_free_guidance(conditional, unconditional, 3.0),
        4 * conditional - 3 * unconditional,
        rtol=1e-5,
    )
    traced = jax.jit(classifier_free_guidance)(conditional, unconditional, jnp.float32(2.0))
    np.testing.assert_allclose(traced, 3 * conditional - 2 * unconditional, rtol=1e-5, atol=1e-6)
