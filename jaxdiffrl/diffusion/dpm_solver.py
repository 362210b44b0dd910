"""Singlestep DPM-Solver (orders 1, 2, 3) for the probability-flow ODE of a ``VPSDE``.

In the half log-SNR λ_t = log α_t − log σ_t the probability-flow ODE of an ε-prediction model has
the exact solution

    x_t = (α_t / α_s) x_s − α_t ∫_{λ_s}^{λ_t} e^{−λ} ε̂(x_λ, λ) dλ,

so the linear part is integrated exactly and only ε̂ is expanded in λ. With h = λ_t − λ_s,
φ(z) = e^z − 1 and ε_s = ε̂(x_s, s), a step s → t is (``first_order_update`` … ``third_order_update``):

- order 1: x_t = (α_t/α_s) x − σ_t φ(h) ε_s, which is DDIM (η = 0) on the same times;
- order 2, with an intermediate time s₁ and r₁ = (λ_{s₁} − λ_s)/h:
  u = (α_{s₁}/α_s) x − σ_{s₁} φ(r₁h) ε_s,
  x_t = (α_t/α_s) x − σ_t φ(h) ε_s − σ_t φ(h)/(2r₁) · (ε̂(u, s₁) − ε_s);
- order 3, with s₁, s₂ and r₁, r₂ likewise:
  u₁ as u above, ε₁ = ε̂(u₁, s₁),
  u₂ = (α_{s₂}/α_s) x − σ_{s₂} φ(r₂h) ε_s − (r₂/r₁) σ_{s₂} (φ(r₂h)/(r₂h) − 1)(ε₁ − ε_s),
  x_t = (α_t/α_s) x − σ_t φ(h) ε_s − (σ_t/r₂)(φ(h)/h − 1)(ε̂(u₂, s₂) − ε_s).

``dpm_solver_sample`` spends a budget of ``steps`` model calls on a time grid of ``steps``
intervals (``time_grid``): a solver step of order k takes k consecutive intervals and evaluates
the model at the grid points it skips, so every grid point is visited once and the number of
model calls equals ``steps``. The budget is split into step orders as singlestep DPM-Solver does
(``step_orders``); SfBC's sampler is steps = 15, order = 3 on the time-uniform grid from t = 1 to
t = 1e-3, i.e. orders (3, 3, 3, 3, 2, 1) over the grid index spans 0→3→6→9→12→14→15.

Everything is pure JAX: jit it with ``noise_fn``, ``sde``, ``steps``, ``order`` and ``skip_type``
closed over (or static), vmap it over candidates and runs, and differentiate through it.
"""

import functools
import itertools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.diffusion.sde import VPSDE

NoiseFn = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]
"""ε̂(x, t): x of shape (..., d) and a scalar time t → an ε-prediction of x's shape."""

SKIP_TYPES = ("time_uniform", "logSNR", "time_quadratic")


def _phi_1(z: jnp.ndarray) -> jnp.ndarray:
    """φ₁(z) = e^z − 1."""
    return jnp.expm1(z)


def _phi_2(z: jnp.ndarray) -> jnp.ndarray:
    """φ₂(z) = (e^z − 1)/z − 1, with its Taylor series near 0 (no 0/0 when a step has zero length).

    The series z/2 + z²/6 + z³/24 + z⁴/120 is used where its truncation error (≈ z⁵/720) is below
    the rounding error of the direct form, a crossover that depends on the dtype.
    """
    z = jnp.asarray(z)
    cutoff = float((720.0 * jnp.finfo(z.dtype).eps) ** 0.2)
    small = jnp.abs(z) < cutoff
    safe_z = jnp.where(small, 1.0, z)
    direct = jnp.expm1(safe_z) / safe_z - 1.0
    series = z * (0.5 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z / 120.0)))
    return jnp.where(small, series, direct)


def _coefficients(sde: VPSDE, *times: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """log α, σ and λ at the step's times [s, (s₁, s₂,) t], each of shape (len(times),).

    Evaluated once on the stacked times, which keeps the traced program (and its compile time) small.
    """
    times = jnp.stack([jnp.asarray(t) for t in times])
    log_alpha = sde.log_alpha(times)
    log_sigma = sde.log_sigma(times)
    return log_alpha, jnp.exp(log_sigma), log_alpha - log_sigma


def first_order_update(
    noise_fn: NoiseFn,
    sde: VPSDE,
    x: jnp.ndarray,
    s: jnp.ndarray,
    t: jnp.ndarray,
    eps_s: jnp.ndarray | None = None,
) -> jnp.ndarray:
    """DPM-Solver-1 (DDIM) from scalar time s to t < s: one model call (none if ``eps_s`` is given)."""
    log_alpha, sigma, lam = _coefficients(sde, s, t)
    eps_s = noise_fn(x, s) if eps_s is None else eps_s
    h = lam[1] - lam[0]
    return jnp.exp(log_alpha[1] - log_alpha[0]) * x - sigma[1] * _phi_1(h) * eps_s


def second_order_update(
    noise_fn: NoiseFn,
    sde: VPSDE,
    x: jnp.ndarray,
    s: jnp.ndarray,
    s1: jnp.ndarray,
    t: jnp.ndarray,
    eps_s: jnp.ndarray | None = None,
) -> jnp.ndarray:
    """DPM-Solver-2 from s to t through the intermediate time s > s1 > t: two model calls."""
    log_alpha, sigma, lam = _coefficients(sde, s, s1, t)
    ratio = jnp.exp(log_alpha - log_alpha[0])  # α_·/α_s
    h = lam[2] - lam[0]
    r1 = (lam[1] - lam[0]) / h
    eps_s = noise_fn(x, s) if eps_s is None else eps_s
    u = ratio[1] * x - sigma[1] * _phi_1(r1 * h) * eps_s
    eps_1 = noise_fn(u, s1)
    sigma_phi = sigma[2] * _phi_1(h)
    return ratio[2] * x - sigma_phi * eps_s - (0.5 / r1) * sigma_phi * (eps_1 - eps_s)


def third_order_update(
    noise_fn: NoiseFn,
    sde: VPSDE,
    x: jnp.ndarray,
    s: jnp.ndarray,
    s1: jnp.ndarray,
    s2: jnp.ndarray,
    t: jnp.ndarray,
    eps_s: jnp.ndarray | None = None,
) -> jnp.ndarray:
    """DPM-Solver-3 from s to t through the intermediate times s > s1 > s2 > t: three model calls."""
    log_alpha, sigma, lam = _coefficients(sde, s, s1, s2, t)
    ratio = jnp.exp(log_alpha - log_alpha[0])  # α_·/α_s
    h = lam[3] - lam[0]
    r1 = (lam[1] - lam[0]) / h
    r2 = (lam[2] - lam[0]) / h
    eps_s = noise_fn(x, s) if eps_s is None else eps_s
    u1 = ratio[1] * x - sigma[1] * _phi_1(r1 * h) * eps_s
    eps_1 = noise_fn(u1, s1)
    u2 = (
        ratio[2] * x
        - sigma[2] * _phi_1(r2 * h) * eps_s
        - (r2 / r1) * sigma[2] * _phi_2(r2 * h) * (eps_1 - eps_s)
    )
    eps_2 = noise_fn(u2, s2)
    return ratio[3] * x - sigma[3] * _phi_1(h) * eps_s - (sigma[3] / r2) * _phi_2(h) * (eps_2 - eps_s)


_UPDATES = {1: first_order_update, 2: second_order_update, 3: third_order_update}


def _check_budget(steps: int, order: int) -> None:
    if not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"DPM-Solver needs a positive integer number of steps, got steps={steps!r}.")
    if order not in _UPDATES:
        raise ValueError(f"DPM-Solver order must be 1, 2 or 3, got order={order!r}.")


def step_orders(steps: int, order: int) -> tuple[int, ...]:
    """The orders of the solver steps that spend ``steps`` model calls (they sum to ``steps``).

    Order 3 takes K = steps//3 + 1 steps: [3]*(K−2) + [2, 1] if steps % 3 == 0,
    [3]*(K−1) + [1] if steps % 3 == 1 and [3]*(K−1) + [2] if steps % 3 == 2; order 2 takes
    [2]*(steps//2), plus a final 1 if steps is odd; order 1 takes [1]*steps.
    E.g. step_orders(15, 3) = (3, 3, 3, 3, 2, 1).
    """
    _check_budget(steps, order)
    if order == 3:
        k = steps // 3 + 1
        if steps % 3 == 0:
            return tuple([3] * (k - 2) + [2, 1])
        return tuple([3] * (k - 1) + [steps % 3])
    if order == 2:
        return tuple([2] * (steps // 2) + [1] * (steps % 2))
    return tuple([1] * steps)


def step_spans(steps: int, order: int) -> tuple[tuple[int, int], ...]:
    """(start, end) grid indices of each solver step.

    For (15, 3): (0, 3), (3, 6), (6, 9), (9, 12), (12, 14), (14, 15).
    """
    bounds = [0, *itertools.accumulate(step_orders(steps, order))]
    return tuple(zip(bounds[:-1], bounds[1:], strict=True))


def time_grid(
    sde: VPSDE,
    steps: int,
    skip_type: str = "time_uniform",
    t_start: float = 1.0,
    t_end: float = 1e-3,
) -> jnp.ndarray:
    """The ``steps + 1`` decreasing times t_start = t_0 > … > t_steps = t_end; shape (steps + 1,).

    ``time_uniform``: equal steps in t (SfBC's choice); ``logSNR``: equal steps in λ_t
    (DPM-Solver's recommendation, much finer near t_end where the data's detail is resolved);
    ``time_quadratic``: equal steps in √t. The end points are exact for every type.
    """
    if not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"A time grid needs a positive integer number of steps, got steps={steps!r}.")
    if isinstance(t_start, int | float) and isinstance(t_end, int | float) and not 0 < t_end < t_start:
        raise ValueError(f"Need 0 < t_end < t_start, got t_start={t_start}, t_end={t_end}.")
    t_start, t_end = jnp.asarray(t_start, float), jnp.asarray(t_end, float)
    if skip_type == "time_uniform":
        return jnp.linspace(t_start, t_end, steps + 1)
    if skip_type == "logSNR":
        lam = jnp.linspace(sde.log_snr(t_start), sde.log_snr(t_end), steps + 1)
        grid = sde.t_of_log_snr(lam)
    elif skip_type == "time_quadratic":
        grid = jnp.square(jnp.linspace(jnp.sqrt(t_start), jnp.sqrt(t_end), steps + 1))
    else:
        raise ValueError(f"Unknown skip_type {skip_type!r}; choose one of {list(SKIP_TYPES)}.")
    return grid.at[0].set(t_start).at[-1].set(t_end)


def _runs(orders: tuple[int, ...]) -> list[tuple[int, np.ndarray]]:
    """Groups consecutive solver steps of equal order: [(k, grid indices of shape (n, k + 1)), …]."""
    runs, start = [], 0
    for k, group in itertools.groupby(orders):
        n = len(list(group))
        indices = start + k * np.arange(n)[:, None] + np.arange(k + 1)[None, :]
        runs.append((k, indices))
        start += n * k
    return runs


def singlestep_integrate(
    noise_fn: NoiseFn, x: jnp.ndarray, sde: VPSDE, grid: jnp.ndarray, orders: tuple[int, ...]
) -> jnp.ndarray:
    """Runs solver steps of the given ``orders`` along a decreasing time ``grid`` of shape (sum(orders) + 1,).

    The step of order k starting at grid index i goes from grid[i] to grid[i + k] with its
    intermediate times at grid[i + 1 … i + k − 1]. ``orders`` is a static tuple of 1s, 2s and 3s
    (``step_orders`` gives DPM-Solver's split; any other, e.g. all 3s, is allowed). Returns x at
    grid[-1], shape of x.

    The steps run as one ``lax.scan`` per maximal run of equal order; the Python loop over those
    runs is unrolled at trace time. For the splits of ``step_orders`` there are at most three runs
    (a run of order-k steps, then at most a 2 and a 1), so the traced program holds at most three
    scan bodies of at most three model calls each, whatever the step count.
    """
    orders = tuple(int(k) for k in orders)
    if any(k not in _UPDATES for k in orders):
        raise ValueError(f"Solver step orders must be 1, 2 or 3, got {orders}.")
    if grid.shape != (sum(orders) + 1,):
        raise ValueError(f"Orders {orders} need a grid of {sum(orders) + 1} times, got shape {grid.shape}.")
    for k, indices in _runs(orders):
        update = functools.partial(_UPDATES[k], noise_fn, sde)
        if len(indices) == 1:
            x = update(x, *grid[indices[0]])
            continue

        def body(x, times, update=update):
            return update(x, *times).astype(x.dtype), None

        x, _ = jax.lax.scan(body, x, grid[indices])
    return x


def dpm_solver_sample(
    noise_fn: NoiseFn,
    x_T: jnp.ndarray,
    sde: VPSDE,
    steps: int = 15,
    order: int = 3,
    skip_type: str = "time_uniform",
    t_start: float = 1.0,
    t_end: float = 1e-3,
) -> jnp.ndarray:
    """Integrates the probability-flow ODE from x_T at t_start down to t_end with ``steps`` model calls.

    x_T has shape (..., d) (noise ~ N(0, I) to sample; any leading batch of candidates), and
    ``noise_fn(x, t)`` is called with x of that shape and a scalar t. Returns x at t_end, same
    shape, unclipped. ``steps``, ``order`` and ``skip_type`` fix the program's structure and must
    be Python values; t_start / t_end may be traced. The steps' orders are ``step_orders(steps,
    order)`` on ``time_grid(sde, steps, skip_type, t_start, t_end)`` (see ``singlestep_integrate``).
    """
    orders = step_orders(steps, order)
    dtype = jnp.promote_types(x_T.dtype, jnp.float32)
    grid = time_grid(sde, steps, skip_type, t_start, t_end).astype(dtype)
    return singlestep_integrate(noise_fn, x_T, sde, grid, orders)
