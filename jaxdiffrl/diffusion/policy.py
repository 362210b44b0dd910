"""DiffusionPolicy: an ε-network plus its schedule and sampler, the actor of every diffusion agent.

It is static (hashable) configuration; parameters live in the agent's TrainState. The condition
is the state, or the state with a label concatenated (ACD's advantage).
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections

from jaxdiffrl.diffusion.ddpm import EpsFn, ddim_sample, ddpm_sample, epsilon_loss
from jaxdiffrl.diffusion.schedules import Schedule, make_schedule
from jaxdiffrl.networks.score_nets import DiffusionActorNet


def default_diffusion_config(**overrides) -> ml_collections.ConfigDict:
    """Diffusion-QL's actor (T = 5 vp, MLP 3×256 mish, sinusoidal time); override per agent."""
    config = ml_collections.ConfigDict(
        {
            "trunk": "mlp",
            "hidden_dims": (256, 256, 256),
            "resnet_blocks": 3,
            "resnet_width": 256,
            "dropout_rate": 0.0,
            "layer_norm": True,  # resnet trunk only
            "activation": "mish",
            "time_embedding": "sinusoidal",
            "time_dim": 16,
            "schedule": "vp",
            "num_steps": 5,
            "sampler": "ddpm",
            "ddim_steps": 0,  # 0: every step of the schedule
            "clip_denoised": True,  # DDPM / DDIM: clip x̂₀ to ±1 when forming each step's mean
            "clip_iterate": False,  # DDPM: clip each x_{t−1} to ±1 after its noise (IDQL's sampler)
            "variance": "posterior",
        }
    )
    config.update(overrides)
    return config


class DiffusionPolicy(flax.struct.PyTreeNode):
    net: DiffusionActorNet = flax.struct.field(pytree_node=False)
    schedule_kind: str = flax.struct.field(pytree_node=False, default="vp")
    num_steps: int = flax.struct.field(pytree_node=False, default=5)
    sampler: str = flax.struct.field(pytree_node=False, default="ddpm")
    ddim_steps: int = flax.struct.field(pytree_node=False, default=0)
    clip_denoised: bool = flax.struct.field(pytree_node=False, default=True)
    clip_iterate: bool = flax.struct.field(pytree_node=False, default=False)
    variance: str = flax.struct.field(pytree_node=False, default="posterior")

    @classmethod
    def from_config(cls, config: ml_collections.ConfigDict, action_dim: int) -> "DiffusionPolicy":
        if config.sampler not in ("ddpm", "ddim"):
            raise ValueError(f"Unknown sampler {config.sampler!r}; choose 'ddpm' or 'ddim'.")
        net = DiffusionActorNet(
            action_dim=action_dim,
            trunk=config.trunk,
            hidden_dims=tuple(config.hidden_dims),
            resnet_blocks=config.resnet_blocks,
            resnet_width=config.resnet_width,
            dropout_rate=config.dropout_rate,
            layer_norm=config.layer_norm,
            activation=config.activation,
            time_embedding=config.time_embedding,
            time_dim=config.time_dim,
        )
        return cls(
            net,
            config.schedule,
            config.num_steps,
            config.sampler,
            config.ddim_steps,
            config.clip_denoised,
            config.get("clip_iterate", False),
            config.variance,
        )

    @property
    def schedule(self) -> Schedule:
        return make_schedule(self.schedule_kind, self.num_steps)

    @property
    def action_dim(self) -> int:
        return self.net.action_dim

    def init(self, rng: jax.Array, condition_example: jnp.ndarray):
        x = jnp.zeros((condition_example.shape[0], self.action_dim))
        t = jnp.zeros((condition_example.shape[0],), jnp.int32)
        return self.net.init(rng, x, t, condition_example)

    def eps_fn(self, params, condition: jnp.ndarray, *, dropout_rng: jax.Array | None = None) -> EpsFn:
        """ε_θ(·, · | condition); dropout is active iff ``dropout_rng`` is given."""
        training = dropout_rng is not None
        rngs = {"dropout": dropout_rng} if training else {}
        return lambda x, t: self.net.apply(params, x, t, condition, training, rngs=rngs)

    def loss(self, params, condition: jnp.ndarray, actions: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Per-sample ε-loss ‖ε − ε_θ‖² (B,), with dropout on."""
        loss_rng, dropout_rng = jax.random.split(rng)
        return epsilon_loss(
            self.eps_fn(params, condition, dropout_rng=dropout_rng), self.schedule, actions, loss_rng
        )

    def sample_with(self, eps_fn: EpsFn, batch: int, rng: jax.Array) -> jnp.ndarray:
        """Runs the configured sampler with any ε-function (e.g. a guided one); (batch, action_dim)."""
        shape = (batch, self.action_dim)
        if self.sampler == "ddim":
            return ddim_sample(
                eps_fn,
                self.schedule,
                rng,
                shape,
                num_steps=self.ddim_steps or None,
                clip_denoised=self.clip_denoised,
            )
        return ddpm_sample(
            eps_fn,
            self.schedule,
            rng,
            shape,
            clip_denoised=self.clip_denoised,
            clip_iterate=self.clip_iterate,
            variance=self.variance,
        )

    def sample(self, params, condition: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """One action per condition row: (B, action_dim). Differentiable w.r.t. params."""
        return self.sample_with(self.eps_fn(params, condition), condition.shape[0], rng)

    def sample_candidates(self, params, condition: jnp.ndarray, rng: jax.Array, num: int) -> jnp.ndarray:
        """``num`` actions per condition row: (B, num, action_dim)."""
        repeated = jnp.repeat(condition, num, axis=0)
        return self.sample(params, repeated, rng).reshape(condition.shape[0], num, self.action_dim)
