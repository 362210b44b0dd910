"""Pieces shared by the diffusion actor-critic agents (Diffusion-QL, DAC).

Their actor and Q-ensemble train states, Q-values of candidate actions, the delayed EMA schedule
of their target policies (the reference codes average the actor into its target every few steps
once a warm-up is over), and the choice of one action among sampled candidates by their Q-values.
"""

import jax
import jax.numpy as jnp

from jaxdiffrl.agents.optimization import ema, make_optimizer, new_train_state
from jaxdiffrl.diffusion.policy import DiffusionPolicy
from jaxdiffrl.networks import q_ensemble

SELECTIONS = ("argmax", "softmax")


def create_actor_critic(
    actor_key: jax.Array,
    critic_key: jax.Array,
    observations: jnp.ndarray,
    actions: jnp.ndarray,
    agent_config,
    num_critics: int,
    max_steps: int,
) -> dict:
    """The fields both agents share: diffusion actor and Q-ensemble TrainStates (Adam, optional cosine
    decay over ``max_steps`` and grad-norm clipping), their EMA targets (copies), and the policy."""
    decay_steps = max_steps if agent_config.lr_decay else None
    grad_clip = agent_config.grad_clip or None
    policy = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
    actor_params = policy.init(actor_key, observations)
    critic_net = q_ensemble(num_critics, agent_config.critic_hidden_dims, agent_config.critic_activation)
    critic_params = critic_net.init(critic_key, observations, actions)
    return {
        "actor": new_train_state(
            policy.net,
            actor_params,
            make_optimizer(agent_config.actor_lr, decay_steps=decay_steps, grad_clip=grad_clip),
        ),
        "target_actor_params": jax.tree.map(jnp.copy, actor_params),
        "critic": new_train_state(
            critic_net,
            critic_params,
            make_optimizer(agent_config.critic_lr, decay_steps=decay_steps, grad_clip=grad_clip),
        ),
        "target_critic_params": jax.tree.map(jnp.copy, critic_params),
        "policy": policy,
    }


def candidate_q_values(apply_fn, params, observations: jnp.ndarray, candidates: jnp.ndarray) -> jnp.ndarray:
    """Q-values of N candidate actions per state: observations (B, o), candidates (B, N, d) → (H, B, N)."""
    repeated = jnp.broadcast_to(observations[:, None, :], (*candidates.shape[:2], observations.shape[-1]))
    return apply_fn(params, repeated, candidates)


def delayed_ema(params, target_params, rate: float, step: jax.Array, every: int, start: int):
    """Polyak-averages ``params`` into the target when ``step`` is a multiple of ``every`` and at least
    ``start``; otherwise returns the target unchanged."""
    due = (step % every == 0) & (step >= start)
    averaged = ema(params, target_params, rate)
    return jax.tree.map(lambda new, old: jnp.where(due, new, old), averaged, target_params)


def select_by_value(
    candidates: jnp.ndarray, values: jnp.ndarray, rng: jax.Array, selection: str
) -> jnp.ndarray:
    """One action per state from candidates (B, N, d) scored by values (B, N): the highest-valued one
    (``argmax``), or one drawn with probabilities softmax(values) (``softmax``)."""
    if selection == "argmax":
        index = jnp.argmax(values, axis=-1)
    elif selection == "softmax":
        index = jax.random.categorical(rng, values, axis=-1)
    else:
        raise ValueError(f"Unknown action selection {selection!r}; choose one of {SELECTIONS}.")
    return jnp.take_along_axis(candidates, index[:, None, None], axis=1)[:, 0]
