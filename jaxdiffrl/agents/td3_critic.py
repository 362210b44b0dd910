"""The TD3 critic and its delayed policy schedule, as small functions shared by TD3+BC, QDQ and CPED.

Shapes: B is the batch, d the action dimension, H the number of Q heads (2 for TD3's twin critic).

- ``smoothed_target_action``: target policy smoothing, ã′ = clip(π̄(s′) + clip(ε, ±c), ±1) with
  ε ~ N(0, σ²) per component; CPED's reference code adds the clipped noise but does not clip the
  sum, which ``clip_action=False`` reproduces.
- ``td_target``: the clipped double-Q target y = r + γ m min_i Q̄_i(s′, ã′).
- ``smoothed_td_target``: both at once, from the target actor and the target critic (TD3+BC, CPED).
- ``critic_loss``: Σ_i MSE(Q_i, y), each head regressed on the same target.
- ``policy_update_due`` / ``delayed_actor_update``: the actor step and the EMA of the actor and
  critic targets happen on every ``policy_freq``-th update only (TD3's delayed policy update).

The delayed update is written with ``jnp.where`` (a tree-wide select), not ``lax.cond``. The engine
always runs an agent's update under ``vmap`` over runs, and each run carries its own step counter,
so the predicate is a batched value; ``vmap`` of ``lax.cond`` with a batched predicate is lowered to
a select that evaluates both branches anyway. Writing the select directly says what the program
does (the actor gradient is computed on every update and applied on every ``policy_freq``-th), has
the same cost and the same numbers whether one run or many are vmapped together, and keeps each
run's schedule its own: runs resumed at different steps would still each update on their own
``policy_freq``-th steps.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §13.
"""

import jax
import jax.numpy as jnp
from flax.training.train_state import TrainState

from jaxdiffrl.agents.optimization import ema


def smoothed_target_action(
    actions: jnp.ndarray,
    rng: jax.Array,
    noise_std: float,
    noise_clip: float,
    clip_action: bool = True,
) -> jnp.ndarray:
    """Target policy smoothing: π̄(s′) (B, d) → ã′ (B, d).

    ã′ = π̄(s′) + clip(ε, −c, c), ε ~ N(0, σ²) i.i.d. per component (σ = ``noise_std``, c =
    ``noise_clip``), then clipped to the action box [−1, 1] unless ``clip_action`` is False.
    """
    noise = jnp.clip(
        noise_std * jax.random.normal(rng, actions.shape, actions.dtype), -noise_clip, noise_clip
    )
    smoothed = actions + noise
    return jnp.clip(smoothed, -1.0, 1.0) if clip_action else smoothed


def td_target(rewards: jnp.ndarray, masks: jnp.ndarray, next_qs: jnp.ndarray, discount: float) -> jnp.ndarray:
    """y = r + γ m min_i Q̄_i(s′, ã′) → (B,), from rewards (B,), masks (B,) (1 − terminal) and the
    target heads' values next_qs (H, B); no gradient flows through it."""
    return jax.lax.stop_gradient(rewards + discount * masks * next_qs.min(axis=0))


def smoothed_td_target(
    actor_fn, critic_fn, batch: dict, rng: jax.Array, config, clip_action: bool = True
) -> jnp.ndarray:
    """y (B,) = r + γ m min_i Q̄_i(s′, ã′) with ã′ the smoothed action of the target actor.

    ``actor_fn(s′)`` → π̄(s′) (B, d) and ``critic_fn(s′, a′)`` → (H, B) are the target networks;
    ``config`` holds ``policy_noise``, ``noise_clip`` and ``discount``."""
    next_obs = batch["next_observations"]
    next_actions = smoothed_target_action(
        actor_fn(next_obs), rng, config.policy_noise, config.noise_clip, clip_action
    )
    return td_target(batch["rewards"], batch["masks"], critic_fn(next_obs, next_actions), config.discount)


def critic_loss(qs: jnp.ndarray, target: jnp.ndarray) -> jnp.ndarray:
    """Σ_i mean_b (Q_i(s_b, a_b) − y_b)² → scalar, from qs (H, B) and target (B,)."""
    return jnp.square(qs - target).mean(axis=-1).sum()


def policy_update_due(step: jax.Array, policy_freq: int) -> jax.Array:
    """Whether the update that follows ``step`` earlier updates (an int scalar, per run) is a
    policy update: the ``policy_freq``-th, 2·``policy_freq``-th, … update of the run → bool ()."""
    return (step + 1) % policy_freq == 0


def select(due: jax.Array, new, old):
    """``new`` where ``due`` (a bool scalar) else ``old``, leaf by leaf (same tree structure)."""
    return jax.tree.map(lambda n, o: jnp.where(due, n, o), new, old)


def delayed_actor_update(
    step: jax.Array,
    policy_freq: int,
    tau: float,
    actor: TrainState,
    actor_grads,
    target_actor_params,
    critic_params,
    target_critic_params,
) -> tuple[TrainState, dict, dict]:
    """TD3's delayed policy update → (actor, target_actor_params, target_critic_params).

    On a due update (``policy_update_due(step, policy_freq)``) the actor takes its optimiser step
    with ``actor_grads`` and both targets move by EMA at rate ``tau``: target ← τ·online + (1 − τ)·
    target, with ``critic_params`` the critic's params after this update's critic step. Otherwise
    all three are returned unchanged, the actor's optimiser state and step counter included.
    """
    due = policy_update_due(step, policy_freq)
    new_actor = actor.apply_gradients(grads=actor_grads)
    return (
        select(due, new_actor, actor),
        select(due, ema(new_actor.params, target_actor_params, tau), target_actor_params),
        select(due, ema(critic_params, target_critic_params, tau), target_critic_params),
    )
