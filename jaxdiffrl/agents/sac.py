"""Soft Actor-Critic (Haarnoja et al. 2018): twin Q with EMA targets, a tanh-Gaussian actor and an
automatically tuned temperature α (target entropy −|A| by default).

Losses on a batch (s, a, r, s′, m):
- critic: (Q_i(s, a) − y)², y = r + γ m (min_i Q̄_i(s′, a′) − α log π(a′|s′)), a′ ~ π(·|s′);
- actor: E[α log π(ã|s) − min_i Q_i(s, ã)], ã ~ π(·|s) reparameterised;
- temperature: α · (H − target_entropy) with H = −E log π(ã|s) held fixed, so α grows while the
  policy's entropy is below the target and shrinks above it.

It makes the behaviour policies of the locomotion datasets (jaxdiffrl.generators.locomotion)
and is trained from scratch by ``jaxdiffrl.train.online_training``. Infos: ``critic/…``,
``actor/…``, ``temperature/…``.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §8.
"""

from __future__ import annotations

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos
from jaxdiffrl.agents.optimization import ema, make_optimizer, new_train_state
from jaxdiffrl.networks import GaussianPolicy, q_ensemble


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "hidden_dims": (256, 256),
            "actor_lr": 3e-4,
            "critic_lr": 3e-4,
            "temperature_lr": 3e-4,
            "init_temperature": 1.0,
            "target_entropy": None,  # None: −action_dim
            "discount": 0.99,
            "tau": 0.005,
            "num_qs": 2,
        }
    )


class Temperature(nn.Module):
    """α = exp(log α), one learned scalar."""

    init_value: float = 1.0

    @nn.compact
    def __call__(self) -> jnp.ndarray:
        log_alpha = self.param("log_alpha", lambda _: jnp.log(jnp.asarray(self.init_value, jnp.float32)))
        return jnp.exp(log_alpha)


class SACAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    actor: TrainState
    critic: TrainState
    target_critic_params: dict
    temperature: TrainState
    discount: float = flax.struct.field(pytree_node=False)
    tau: float = flax.struct.field(pytree_node=False)
    target_entropy: float = flax.struct.field(pytree_node=False)

    @classmethod
    def create(
        cls,
        rng: jax.Array,
        observations: jnp.ndarray,
        actions: jnp.ndarray,
        config: ml_collections.ConfigDict,
    ) -> SACAgent:
        """``observations`` (1, obs_dim) and ``actions`` (1, action_dim) are shape examples."""
        rng, actor_key, critic_key, temperature_key = jax.random.split(rng, 4)
        hidden = tuple(config.hidden_dims)
        actor_net = GaussianPolicy(hidden, actions.shape[-1], state_dependent_std=True, tanh_squash=True)
        critic_net = q_ensemble(config.num_qs, hidden)
        temperature_net = Temperature(config.init_temperature)
        critic_params = critic_net.init(critic_key, observations, actions)
        target_entropy = config.target_entropy
        return cls(
            rng=rng,
            actor=new_train_state(
                actor_net, actor_net.init(actor_key, observations), make_optimizer(config.actor_lr)
            ),
            critic=new_train_state(critic_net, critic_params, make_optimizer(config.critic_lr)),
            target_critic_params=critic_params,
            temperature=new_train_state(
                temperature_net, temperature_net.init(temperature_key), make_optimizer(config.temperature_lr)
            ),
            discount=float(config.discount),
            tau=float(config.tau),
            target_entropy=float(-actions.shape[-1] if target_entropy is None else target_entropy),
        )

    def update_critic(self, batch: dict, rng: jax.Array) -> tuple[SACAgent, dict]:
        dist = self.actor.apply_fn(self.actor.params, batch["next_observations"])
        next_actions, next_log_probs = dist.sample_and_log_prob(rng)
        next_q = self.critic.apply_fn(self.target_critic_params, batch["next_observations"], next_actions)
        alpha = self.temperature.apply_fn(self.temperature.params)
        soft_value = next_q.min(0) - alpha * next_log_probs
        target = batch["rewards"] + self.discount * batch["masks"] * soft_value

        def loss_fn(params):
            q = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss = ((q - target) ** 2).mean()
            return loss, {"loss": loss, "q": q.mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.critic.params)
        critic = self.critic.apply_gradients(grads=grads)
        target_params = ema(critic.params, self.target_critic_params, self.tau)
        return self.replace(critic=critic, target_critic_params=target_params), info

    def update_actor(self, batch: dict, rng: jax.Array) -> tuple[SACAgent, dict]:
        alpha = self.temperature.apply_fn(self.temperature.params)

        def loss_fn(params):
            dist = self.actor.apply_fn(params, batch["observations"])
            actions, log_probs = dist.sample_and_log_prob(rng)
            q = self.critic.apply_fn(self.critic.params, batch["observations"], actions).min(0)
            loss = (alpha * log_probs - q).mean()
            return loss, {"loss": loss, "entropy": -log_probs.mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        return self.replace(actor=self.actor.apply_gradients(grads=grads)), info

    def update_temperature(self, entropy: jnp.ndarray) -> tuple[SACAgent, dict]:
        def loss_fn(params):
            alpha = self.temperature.apply_fn(params)
            loss = alpha * (entropy - self.target_entropy)
            return loss, {"value": alpha, "loss": loss}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.temperature.params)
        return self.replace(temperature=self.temperature.apply_gradients(grads=grads)), info

    def update(self, batch: dict) -> tuple[SACAgent, dict]:
        rng, critic_key, actor_key = jax.random.split(self.rng, 3)
        agent, critic_info = self.replace(rng=rng).update_critic(batch, critic_key)
        agent, actor_info = agent.update_actor(batch, actor_key)
        agent, temperature_info = agent.update_temperature(jax.lax.stop_gradient(actor_info["entropy"]))
        return agent, infos.merge(
            infos.group("critic", critic_info),
            infos.group("actor", actor_info),
            infos.group("temperature", temperature_info),
        )

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Stochastic actions a ~ π(·|s): the behaviour policy of the datasets."""
        return self.actor.apply_fn(self.actor.params, observations).sample(rng)

    def mean_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """tanh(μ(s)), the usual deterministic evaluation policy."""
        return self.actor.apply_fn(self.actor.params, observations).mode()
