"""Pieces shared by the diffusion actor-critic agents (Diffusion-QL, DAC).

Their actor and Q-ensemble train states and the delayed EMA schedule of their target policies
(the reference codes average the actor into its target every few steps once a warm-up is over).
Both act the same way (``CandidateActing``): N samples from the online policy, scored by the
target critics, one picked by ``config.selection`` (``jaxdiffrl.agents.candidates``).
"""

import jax
import jax.numpy as jnp

from jaxdiffrl.agents import candidates
from jaxdiffrl.agents.optimization import ema, make_optimizer, new_train_state
from jaxdiffrl.diffusion.policy import DiffusionPolicy
from jaxdiffrl.networks import q_ensemble


def create_actor_critic(
    actor_key: jax.Array,
    critic_key: jax.Array,
    observations: jnp.ndarray,
    actions: jnp.ndarray,
    agent_config,
    num_qs: int,
    max_steps: int,
) -> dict:
    """The fields both agents share: diffusion actor and Q-ensemble (``num_qs`` heads) TrainStates
    (Adam, optional cosine decay over ``max_steps`` and grad-norm clipping), their EMA targets
    (copies), and the ``diffusion`` policy."""
    decay_steps = max_steps if agent_config.lr_decay else None
    grad_clip = agent_config.grad_clip or None
    diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
    actor_params = diffusion.init(actor_key, observations)
    critic_net = q_ensemble(num_qs, agent_config.critic_hidden_dims, agent_config.critic_activation)
    critic_params = critic_net.init(critic_key, observations, actions)
    return {
        "actor": new_train_state(
            diffusion.net,
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
        "diffusion": diffusion,
    }


def delayed_ema(params, target_params, rate: float, step: jax.Array, every: int, start: int):
    """Polyak-averages ``params`` into the target when ``step`` is a multiple of ``every`` and at least
    ``start``; otherwise returns the target unchanged."""
    due = (step % every == 0) & (step >= start)
    averaged = ema(params, target_params, rate)
    return jax.tree.map(lambda new, old: jnp.where(due, new, old), averaged, target_params)


class CandidateActing:
    """Mixin: ``sample_policy`` (the policy's own samples) and ``sample_actions`` (one of
    ``config.num_candidates`` samples, scored by ``candidate_score`` of the target critics' values
    (H, B, N) and picked by ``config.selection``). Agents define ``target_q`` and ``candidate_score``."""

    def sample_policy(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Samples of the diffusion policy itself, before the acting rule chooses among candidates."""
        return self.diffusion.sample(self.actor.params, observations, rng)

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        sample_key, select_key = jax.random.split(rng)
        actions = self.diffusion.sample_candidates(
            self.actor.params, observations, sample_key, self.config.num_candidates
        )
        scores = self.candidate_score(candidates.candidate_values(self.target_q, observations, actions))
        return candidates.select(actions, scores, select_key, self.config.selection)
