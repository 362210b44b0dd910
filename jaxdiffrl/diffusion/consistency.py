"""Consistency models (Song et al., 2023): parameterisation, distillation from an EDM teacher, sampling.

A consistency function f(x_t, t) maps any point of a probability-flow ODE trajectory back to the
trajectory's clean end at t_min (= σ_min). It is built from a raw network F as

    f(x, t) = c_skip(t) x + c_out(t) F(c_in(t) x, c_noise(t)),
    c_skip = σ_d²/((t − t_min)² + σ_d²), c_out = (t − t_min) σ_d/√(t² + σ_d²),
    c_in = 1/√(t² + σ_d²), c_noise = ¼ ln t,

so f(x, t_min) = x exactly (c_skip = 1 and c_out = 0 in floating point as well), the boundary
condition that makes distillation well posed.

Shapes and callables follow ``jaxdiffrl.diffusion.edm``: samples are (..., d), a time is a scalar
or broadcastable to x.shape[:-1], and every callable — a ``RawNet`` F(c_in x, c_noise), a
``ConsistencyFn`` f(x, t) or an EDM ``Denoiser`` D(x, σ) — receives its time already broadcast to
x.shape[:-1]. Callables close over their parameters and conditioning, so any network and any
conditioning (e.g. state–action pairs) plug in. Everything jits and vmaps.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jaxdiffrl.diffusion.edm import (
    DEFAULT_EDM,
    Denoiser,
    EDMConfig,
    RawNet,
    heun_step,
    karras_sigmas,
    noise_levels,
)

ConsistencyFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


def consistency_preconditioning(
    t: jnp.ndarray, sigma_data: float = 0.5, t_min: float = 0.002
) -> tuple[jnp.ndarray, ...]:
    """(c_skip, c_out, c_in, c_noise) of the consistency parameterisation at times ``t`` (elementwise)."""
    t = jnp.asarray(t)
    offset = t - t_min
    c_skip = sigma_data**2 / (offset**2 + sigma_data**2)
    c_out = offset * sigma_data / jnp.sqrt(t**2 + sigma_data**2)
    c_in = 1.0 / jnp.sqrt(t**2 + sigma_data**2)
    c_noise = 0.25 * jnp.log(t)
    return c_skip, c_out, c_in, c_noise


def consistency_fn(
    raw_net: RawNet, x: jnp.ndarray, t, sigma_data: float = 0.5, t_min: float = 0.002
) -> jnp.ndarray:
    """f(x, t) = c_skip(t) x + c_out(t) F(c_in(t) x, c_noise(t)) for x (..., d); returns (..., d)."""
    t = noise_levels(t, x)
    c_skip, c_out, c_in, c_noise = consistency_preconditioning(t, sigma_data, t_min)
    return c_skip[..., None] * x + c_out[..., None] * raw_net(c_in[..., None] * x, c_noise)


def consistency_distillation_loss(
    student_fn: ConsistencyFn,
    target_fn: ConsistencyFn,
    teacher_fn: Denoiser,
    x0: jnp.ndarray,
    rng: jax.Array,
    config: EDMConfig = DEFAULT_EDM,
    *,
    num_scales: int = 1000,
    min_index: int = 1,
    max_index: int | None = None,
    distance: str = "l2",
) -> jnp.ndarray:
    """Per-sample consistency-distillation loss ‖f_θ(x_{t_{n+1}}, t_{n+1}) − sg f⁻(x̂_{t_n}, t_n)‖².

    Index convention: the Karras grid is ASCENDING, t_0 = σ_min < … < t_{N−1} = σ_max (N =
    ``num_scales``, exponent ``config.rho``). A pair index n ~ U{min_index..max_index} (default
    {1..N−2}) is drawn per sample; the data are noised to the NOISIER point of the pair,
    x_{t_{n+1}} = x0 + t_{n+1} z; one Heun step of the teacher denoiser integrates the PF-ODE down
    to x̂_{t_n}; the student ``student_fn`` sees the noisier point and the target ``target_fn``
    (the EMA network) the cleaner one. Both the Heun point and the target are stop-gradiented, so
    gradients reach only the student's parameters.

    Range of n: {1..N−2} (the default) leaves out only the pair (t_0, t_1) at the clean end, where
    the parameterisation already pins f to the identity; min_index=0 uses all N−1 pairs (Song et
    al.'s U{1..N−1} in their 1-based indexing). The QDQ reference code draws {1..N−2} on a
    DESCENDING grid, i.e. it leaves out the pair at σ_max instead; that is min_index=0,
    max_index=N−3 here.

    x0: clean data (..., d). ``distance`` ``"l2"`` sums squared differences over the feature axis,
    ``"l1"`` absolute ones. Returns shape x0.shape[:-1].
    """
    max_index = num_scales - 2 if max_index is None else max_index
    if not 0 <= min_index <= max_index <= num_scales - 2:
        raise ValueError(
            f"Pair indices must satisfy 0 <= min_index <= max_index <= num_scales - 2 = {num_scales - 2}, "
            f"got min_index={min_index}, max_index={max_index}."
        )
    index_key, noise_key = jax.random.split(rng)
    batch_shape = x0.shape[:-1]
    grid = karras_sigmas(num_scales, config.sigma_min, config.sigma_max, config.rho).astype(x0.dtype)
    index = jax.random.randint(index_key, batch_shape, min_index, max_index + 1)
    t_clean, t_noisy = grid[index], grid[index + 1]
    x_noisy = x0 + t_noisy[..., None] * jax.random.normal(noise_key, x0.shape, x0.dtype)
    x_clean = jax.lax.stop_gradient(heun_step(teacher_fn, x_noisy, t_noisy, t_clean))
    target = jax.lax.stop_gradient(target_fn(x_clean, t_clean))
    diff = student_fn(x_noisy, t_noisy) - target
    if distance == "l2":
        return jnp.sum(jnp.square(diff), axis=-1)
    if distance == "l1":
        return jnp.sum(jnp.abs(diff), axis=-1)
    raise ValueError(f"Unknown consistency distance {distance!r}; choose 'l2' or 'l1'.")


def consistency_sample(
    f: ConsistencyFn, rng: jax.Array, shape: tuple[int, ...], sigma_max: float = 80.0
) -> jnp.ndarray:
    """One-step sampling f(σ_max z, σ_max), z ~ N(0, I) of ``shape`` (..., d); returns ``shape``."""
    x = sigma_max * jax.random.normal(rng, shape)
    return f(x, noise_levels(sigma_max, x))


def multistep_consistency_sample(
    f: ConsistencyFn, rng: jax.Array, shape: tuple[int, ...], times, t_min: float = 0.002
) -> jnp.ndarray:
    """Multistep consistency sampling over DECREASING ``times`` (τ_0 = σ_max typically, all > t_min).

    x ← f(τ_0 z, τ_0); then for each later τ: re-noise x ← x + √(τ² − t_min²) z (the sample sits at
    t_min, so this brings its noise level to τ) and denoise x ← f(x, τ). One time = one-step sampling.
    """
    times = jnp.asarray(times)
    init_key, loop_key = jax.random.split(rng)
    x = times[0] * jax.random.normal(init_key, shape)
    x = f(x, noise_levels(times[0], x))
    keys = jax.random.split(loop_key, times.shape[0] - 1)

    def step(x, inputs):
        t, key = inputs
        noisy = x + jnp.sqrt(jnp.maximum(t**2 - t_min**2, 0.0)) * jax.random.normal(key, shape, x.dtype)
        return f(noisy, noise_levels(t, noisy)), None

    x, _ = jax.lax.scan(step, x, (times[1:], keys))
    return x
