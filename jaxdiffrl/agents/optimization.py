"""Optimiser and target-network helpers shared by the agents."""

import jax
import jax.numpy as jnp
import optax
from flax.training.train_state import TrainState

OPTIMIZERS = ("adam", "radam")


def make_optimizer(
    learning_rate: float,
    *,
    decay_steps: int | None = None,
    grad_clip: float | None = None,
    weight_decay: float | None = None,
    name: str = "adam",
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> optax.GradientTransformation:
    """Adam (AdamW with ``weight_decay``; RAdam with ``name="radam"``), optionally cosine-decayed to
    0 over ``decay_steps`` and preceded by global-norm gradient clipping. ``b1``, ``b2``, ``eps``:
    Adam's moment rates and denominator floor (CPED's flow uses b2 = 0.01, eps = 1e-4)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {OPTIMIZERS}.")
    if name == "radam" and weight_decay:
        raise ValueError("weight_decay is implemented for adam only.")
    schedule = optax.cosine_decay_schedule(learning_rate, decay_steps) if decay_steps else learning_rate
    moments = dict(b1=b1, b2=b2, eps=eps)
    if name == "radam":
        optimizer = optax.radam(schedule, **moments)
    elif weight_decay:
        optimizer = optax.adamw(schedule, weight_decay=weight_decay, **moments)
    else:
        optimizer = optax.adam(schedule, **moments)
    return optax.chain(optax.clip_by_global_norm(grad_clip), optimizer) if grad_clip else optimizer


def new_train_state(module, params, tx: optax.GradientTransformation) -> TrainState:
    return TrainState.create(apply_fn=module.apply, params=params, tx=tx)


def ema(params, target_params, rate: float):
    """Polyak averaging: target ← rate·params + (1 − rate)·target."""
    return jax.tree.map(lambda p, t: rate * p + (1.0 - rate) * t, params, target_params)


def dual_ascent(
    multiplier: jax.Array,
    violation: jax.Array,
    lr: float,
    low: float = 0.0,
    high: float = float("inf"),
    violation_clip: float | None = None,
) -> jax.Array:
    """One projected gradient-ascent step on a Lagrange multiplier: λ ← clip(λ + lr·g, low, high).

    For min_θ f(θ) s.t. g(θ) ≤ 0 the Lagrangian is f(θ) + λ g(θ), and ∂/∂λ = g(θ): the multiplier
    grows while the constraint is violated (g > 0) and shrinks while it is slack, never below
    ``low`` (0 for an inequality constraint). At a fixed point either g = 0 or λ sits at a bound.
    ``violation_clip`` bounds |g| first (DAC's ±1), so one bad batch cannot move λ far.
    """
    if violation_clip is not None:
        violation = jnp.clip(violation, -violation_clip, violation_clip)
    return jnp.clip(multiplier + lr * violation, low, high)
