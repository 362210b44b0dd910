"""IQL (Kostrikov et al.) with IDQL's generalised value loss and an AWR Gaussian actor.

Actor: maximise E[min(exp(β(Q̄ − V)), 100) log π(a|s)], a tanh-mean Gaussian with one learned
log-std, Adam with cosine decay over the run. Acting takes the Gaussian's mean.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §3.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos
from jaxdiffrl.agents.iql_critic import IQLCritic, default_critic_config
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.networks import GaussianPolicy

ADVANTAGE_WEIGHT_CAP = 100.0


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "critic": default_critic_config(),
            "actor_hidden_dims": (256, 256),
            "actor_lr": 3e-4,
            "lr_decay": True,  # the actor's cosine decay over the run
            "actor_dropout": 0.0,
            # Float hyperparameters that can be swept in one vmapped job (--sweep=NAME=V1,V2).
            # expectile / quantile / alpha_exp: the value loss's level (only critic.value_loss's is
            # used); temperature: AWR β.
            "hparams": {"expectile": 0.7, "quantile": 0.6, "alpha_exp": 1.0, "temperature": 3.0},
        }
    )


class IQLAgent(SinglePhase, flax.struct.PyTreeNode):
    rng: jax.Array
    critic: IQLCritic
    actor: TrainState
    hparams: dict

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "IQLAgent":
        agent_config = config.agent
        rng, critic_key, actor_key = jax.random.split(rng, 3)
        actor_net = GaussianPolicy(
            tuple(agent_config.actor_hidden_dims), actions.shape[-1], dropout_rate=agent_config.actor_dropout
        )
        tx = make_optimizer(
            agent_config.actor_lr, decay_steps=config.max_steps if agent_config.lr_decay else None
        )
        return cls(
            rng=rng,
            critic=IQLCritic.create(critic_key, observations, actions, agent_config.critic),
            actor=new_train_state(actor_net, actor_net.init(actor_key, observations), tx),
            hparams=hparams,
        )

    def update(self, batch: dict) -> tuple["IQLAgent", dict]:
        rng, dropout_key = jax.random.split(self.rng)
        critic, critic_info = self.critic.update(batch, self.hparams)
        advantage = critic.advantage(batch["observations"], batch["actions"])
        weights = jnp.minimum(jnp.exp(self.hparams["temperature"] * advantage), ADVANTAGE_WEIGHT_CAP)

        def actor_loss_fn(params):
            dist = self.actor.apply_fn(
                params, batch["observations"], training=True, rngs={"dropout": dropout_key}
            )
            log_prob = dist.log_prob(batch["actions"])
            loss = -(weights * log_prob).mean()
            return loss, {"loss": loss, "log_prob": log_prob.mean(), "awr_weight": weights.mean()}

        grads, actor_info = jax.grad(actor_loss_fn, has_aux=True)(self.actor.params)
        agent = self.replace(rng=rng, critic=critic, actor=self.actor.apply_gradients(grads=grads))
        return agent, infos.merge(critic_info, infos.group("actor", actor_info))

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        return jnp.clip(self.actor.apply_fn(self.actor.params, observations).mode(), -1.0, 1.0)
