"""Behaviour cloning: a Gaussian policy by maximum likelihood, or a DDPM behaviour model.

``actor_type='gaussian'`` maximises log π(a|s) (acting with the mean, or a sample if
``stochastic_actions``); ``actor_type='diffusion'`` minimises the ε-loss and acts with the sampler.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §2.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config
from jaxdiffrl.networks import GaussianPolicy


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "actor_type": "gaussian",  # gaussian | diffusion
            "actor_hidden_dims": (256, 256),  # Gaussian policy
            "actor_dropout": 0.0,
            "stochastic_actions": False,
            "diffusion": default_diffusion_config(),
            "actor_lr": 3e-4,
            "lr_decay": True,  # cosine to 0 over the run
            "hparams": {},
        }
    )


class BCAgent(SinglePhase, flax.struct.PyTreeNode):
    rng: jax.Array
    actor: TrainState
    hparams: dict
    diffusion: DiffusionPolicy | None = None
    stochastic_actions: bool = flax.struct.field(pytree_node=False, default=False)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "BCAgent":
        agent_config = config.agent
        rng, init_key = jax.random.split(rng)
        tx = make_optimizer(
            agent_config.actor_lr, decay_steps=config.max_steps if agent_config.lr_decay else None
        )
        if agent_config.actor_type == "diffusion":
            diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
            actor = new_train_state(diffusion.net, diffusion.init(init_key, observations), tx)
            return cls(rng, actor, hparams, diffusion)
        if agent_config.actor_type != "gaussian":
            raise ValueError(
                f"Unknown agent.actor_type {agent_config.actor_type!r}; choose 'gaussian' or 'diffusion'."
            )
        net = GaussianPolicy(
            tuple(agent_config.actor_hidden_dims), actions.shape[-1], dropout_rate=agent_config.actor_dropout
        )
        actor = new_train_state(net, net.init(init_key, observations), tx)
        return cls(rng, actor, hparams, None, agent_config.stochastic_actions)

    def update(self, batch: dict) -> tuple["BCAgent", dict]:
        rng, key = jax.random.split(self.rng)

        def loss_fn(params):
            if self.diffusion is not None:
                loss = self.diffusion.loss(params, batch["observations"], batch["actions"], key).mean()
            else:
                dist = self.actor.apply_fn(
                    params, batch["observations"], training=True, rngs={"dropout": key}
                )
                loss = -dist.log_prob(batch["actions"]).mean()
            return loss, {"loss": loss}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        return self.replace(rng=rng, actor=self.actor.apply_gradients(grads=grads)), infos.group(
            "actor", info
        )

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        if self.diffusion is not None:
            return self.diffusion.sample(self.actor.params, observations, rng)
        dist = self.actor.apply_fn(self.actor.params, observations)
        actions = dist.sample(rng) if self.stochastic_actions else dist.mode()
        return jnp.clip(actions, -1.0, 1.0)
