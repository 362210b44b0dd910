"""Behaviour cloning: a Gaussian policy by maximum likelihood, or a DDPM behaviour model.

``policy='gaussian'`` maximises log π(a|s) (acting with the mean, or a sample if
``stochastic_actions``); ``policy='diffusion'`` minimises the ε-loss and acts with the sampler.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config
from jaxdiffrl.networks import GaussianPolicy
from jaxdiffrl.train.phases import single_phase


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "policy": "gaussian",  # gaussian | diffusion
            "hidden_dims": (256, 256),  # Gaussian policy
            "dropout": 0.0,
            "stochastic_actions": False,
            "diffusion": default_diffusion_config(),
            "lr": 3e-4,
            "cosine_decay": True,
            "hparams": {},
        }
    )


class BCAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    policy: TrainState
    hparams: dict
    diffusion: DiffusionPolicy | None = None
    stochastic_actions: bool = flax.struct.field(pytree_node=False, default=False)

    @staticmethod
    def phases(config: ml_collections.ConfigDict):
        return single_phase(config.max_steps)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "BCAgent":
        agent_config = config.agent
        rng, init_key = jax.random.split(rng)
        tx = make_optimizer(
            agent_config.lr, decay_steps=config.max_steps if agent_config.cosine_decay else None
        )
        if agent_config.policy == "diffusion":
            diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
            policy = new_train_state(diffusion.net, diffusion.init(init_key, observations), tx)
            return cls(rng, policy, hparams, diffusion)
        if agent_config.policy != "gaussian":
            raise ValueError(
                f"Unknown agent.policy {agent_config.policy!r}; choose 'gaussian' or 'diffusion'."
            )
        net = GaussianPolicy(
            tuple(agent_config.hidden_dims), actions.shape[-1], dropout_rate=agent_config.dropout
        )
        policy = new_train_state(net, net.init(init_key, observations), tx)
        return cls(rng, policy, hparams, None, agent_config.stochastic_actions)

    def update(self, batch: dict) -> tuple["BCAgent", dict]:
        rng, key = jax.random.split(self.rng)

        def loss_fn(params):
            if self.diffusion is not None:
                loss = self.diffusion.loss(params, batch["observations"], batch["actions"], key).mean()
            else:
                dist = self.policy.apply_fn(
                    params, batch["observations"], training=True, rngs={"dropout": key}
                )
                loss = -dist.log_prob(batch["actions"]).mean()
            return loss, {"bc_loss": loss}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.policy.params)
        return self.replace(rng=rng, policy=self.policy.apply_gradients(grads=grads)), info

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        if self.diffusion is not None:
            return self.diffusion.sample(self.policy.params, observations, rng)
        dist = self.policy.apply_fn(self.policy.params, observations)
        actions = dist.sample(rng) if self.stochastic_actions else dist.mode()
        return jnp.clip(actions, -1.0, 1.0)
