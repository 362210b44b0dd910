"""Optimiser and target-network helpers shared by the agents."""

import jax
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
) -> optax.GradientTransformation:
    """Adam (AdamW with ``weight_decay``; RAdam with ``name="radam"``), optionally cosine-decayed to
    0 over ``decay_steps`` and preceded by global-norm gradient clipping."""
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {OPTIMIZERS}.")
    if name == "radam" and weight_decay:
        raise ValueError("weight_decay is implemented for adam only.")
    schedule = optax.cosine_decay_schedule(learning_rate, decay_steps) if decay_steps else learning_rate
    if name == "radam":
        optimizer = optax.radam(schedule)
    else:
        optimizer = optax.adamw(schedule, weight_decay=weight_decay) if weight_decay else optax.adam(schedule)
    return optax.chain(optax.clip_by_global_norm(grad_clip), optimizer) if grad_clip else optimizer


def new_train_state(module, params, tx: optax.GradientTransformation) -> TrainState:
    return TrainState.create(apply_fn=module.apply, params=params, tx=tx)


def ema(params, target_params, rate: float):
    """Polyak averaging: target ← rate·params + (1 − rate)·target."""
    return jax.tree.map(lambda p, t: rate * p + (1.0 - rate) * t, params, target_params)
