"""ACD, ACD-F and ACG (Advantage-Conditioned Diffusion): policies conditioned on IQL advantages,
deployed at A = 0.

Training (Algorithm 1): each step an IQL critic update, then the batch labelled with the updated
critic's advantage A = min_j Q̄_j(s, a) − V(s), then a maximum-likelihood step of a policy
conditioned on (s, rep(A)). ``schedule="sequential"`` trains the critic first and labels with the
frozen critic instead (the paper's "precompute the labels" reading); both schedules are IDQL's.

- ACD (``ACDAgent``): an ε-network (IDQL's LN-ResNet) on [s, y], y = [1_notnull, 1_notnull·rep(A)],
  the label dropped to the null token y = 0 with probability ``null_probability`` (0.1). Sampling
  uses classifier-free guidance at A = ``target_advantage`` (0), from the actor's slow EMA copy
  (``act_with="target"``, rate ``actor_tau`` 0.001, IDQL's evaluation model):
  ε^ω = (1 + ω) ε(x, t, s, y_A) − ω ε(x, t, s, ∅), ω = ``guidance`` (3).
- ACD-F: ``num_candidates`` = N > 0 guided samples per state, execute the argmax of min Q̄.
- ACG (``ACGAgent``): a Gaussian MLP policy on [s, rep(A)] acting with its mean at A = target;
  Adam, or AdamW with ``gaussian.weight_decay`` > 0.

rep(A) (``advantage_repr``, one ``AdvantageEncoder`` for both policies): ``raw`` scalar (default),
``bins`` (one-hot over ``advantage_bins`` equal bins of ``advantage_range``, the ends open),
``sinusoidal`` (the transformer encoding of ``sinusoidal_scale``·A), or ``mlp`` (a learned
embedding trained with the policy).

The paper's per-domain settings are in ``jaxdiffrl.app.paper_configs``.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §5.
"""

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import candidates, infos
from jaxdiffrl.agents.critic_then_actor import CriticThenActor, check_act_with
from jaxdiffrl.agents.idql import idql_diffusion_config
from jaxdiffrl.agents.iql_critic import IQLCritic, default_critic_config
from jaxdiffrl.agents.optimization import make_optimizer
from jaxdiffrl.diffusion.ddpm import EpsFn
from jaxdiffrl.diffusion.guidance import classifier_free_guidance
from jaxdiffrl.diffusion.policy import DiffusionPolicy
from jaxdiffrl.networks import MLP, GaussianPolicy, SinusoidalEmbedding, activation_by_name

ADVANTAGE_REPRS = ("raw", "bins", "sinusoidal", "mlp")
VARIANTS = ("acd", "acd-f", "acg")


def default_config(variant: str = "acd") -> ml_collections.ConfigDict:
    """ACD (or ACD-F / ACG) with the paper's ω = 3, p = 0.1 and IDQL's diffusion model."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown ACD variant {variant!r}; choose one of {VARIANTS}.")
    hparams = {"expectile": 0.7, "quantile": 0.6, "alpha_exp": 1.0, "target_advantage": 0.0}
    if variant != "acg":
        hparams["guidance"] = 3.0
    return ml_collections.ConfigDict(
        {
            "actor_type": "gaussian" if variant == "acg" else "diffusion",
            "critic": default_critic_config(),
            "diffusion": idql_diffusion_config(),
            "gaussian": {"hidden_dims": (256, 256), "weight_decay": 0.0},
            "actor_lr": 3e-4,
            "lr_decay": True,  # the actor's cosine decay over its steps
            "actor_batch_size": 256 if variant == "acg" else 1024,  # the critic uses batch_size
            "schedule": "interleaved",  # interleaved (Algorithm 1) | sequential
            "critic_fraction": 1 / 3,  # sequential only
            "null_probability": 0.1,
            "actor_tau": 0.001,  # EMA rate of the actor's slow copy (IDQL's reference code)
            # which copy acts: ACD samples from the slow copy, as IDQL does; ACG acts with its online mean
            "act_with": "online" if variant == "acg" else "target",
            "num_candidates": 32 if variant == "acd-f" else 0,  # ACD-F's N; 0 = plain ACD
            "advantage_repr": "raw",  # raw | bins | sinusoidal | mlp
            "advantage_bins": 21,  # odd, so that A = 0 is the centre of a bin
            "advantage_range": (-2.0, 2.0),
            "advantage_dim": 16,  # sinusoidal / mlp embedding width
            "sinusoidal_scale": 100.0,
            # Sweepable: the critic's value-loss levels, guidance ω, target_advantage (the A sampled at).
            "hparams": hparams,
        }
    )


class AdvantageEncoder(nn.Module):
    """rep(A): advantages (B,) → (B, k); see the module docstring."""

    kind: str = "raw"
    num_bins: int = 21
    low: float = -2.0
    high: float = 2.0
    dim: int = 16
    scale: float = 100.0

    @nn.compact
    def __call__(self, advantage: jnp.ndarray) -> jnp.ndarray:
        if self.kind == "raw":
            return advantage[:, None]
        if self.kind == "bins":
            position = (advantage - self.low) / (self.high - self.low) * self.num_bins
            index = jnp.clip(jnp.floor(position).astype(jnp.int32), 0, self.num_bins - 1)
            return jax.nn.one_hot(index, self.num_bins)
        if self.kind == "sinusoidal":
            return SinusoidalEmbedding(self.dim)(self.scale * advantage)
        if self.kind == "mlp":
            return MLP((self.dim, self.dim), activation_by_name("mish"))(advantage[:, None])
        raise ValueError(f"Unknown advantage_repr {self.kind!r}; choose one of {ADVANTAGE_REPRS}.")


def advantage_encoder(config: ml_collections.ConfigDict) -> AdvantageEncoder:
    low, high = config.advantage_range
    return AdvantageEncoder(
        config.advantage_repr, config.advantage_bins, low, high, config.advantage_dim, config.sinusoidal_scale
    )


class AdvantageConditioned(CriticThenActor):
    """What ACD and ACG share (a mixin): the critic, its advantage labels and their encoding.

    The actor's parameters are ``{"net": …, "encoder": …}`` (the encoder has none unless ``mlp``).
    """

    def labels(self, batch: dict) -> jnp.ndarray:
        """A = min_j Q̄_j(s, a) − V(s) of the batch, from the current critic."""
        return self.critic.advantage(batch["observations"], batch["actions"])

    def target_labels(self, observations: jnp.ndarray) -> jnp.ndarray:
        return jnp.full(observations.shape[:1], self.hparams["target_advantage"])


def _actor_state(
    agent_cls, params: dict, config: ml_collections.ConfigDict, weight_decay: float = 0.0
) -> TrainState:
    """The policy's (and label embedding's) optimiser: Adam, or AdamW for ``weight_decay`` > 0, at
    ``actor_lr``, cosine-decayed over the actor's steps."""
    agent = config.agent
    decay = agent_cls.actor_steps(config) if agent.lr_decay else None
    tx = make_optimizer(agent.actor_lr, decay_steps=decay, weight_decay=weight_decay or None)
    return TrainState.create(apply_fn=None, params=params, tx=tx)


def _check_actor_type(config: ml_collections.ConfigDict, actor_type: str, name: str) -> None:
    if config.actor_type != actor_type:
        raise ValueError(
            f"{name} needs agent.actor_type={actor_type!r}, got {config.actor_type!r}: ACD / ACD-F train "
            "with launch/train_acd.py, ACG (variant=acg) with launch/train_acg.py."
        )


class ACDAgent(AdvantageConditioned, flax.struct.PyTreeNode):
    rng: jax.Array
    critic: IQLCritic
    actor: TrainState
    target_actor_params: dict
    hparams: dict
    diffusion: DiffusionPolicy
    encoder: AdvantageEncoder = flax.struct.field(pytree_node=False)
    null_probability: float = flax.struct.field(pytree_node=False, default=0.1)
    num_candidates: int = flax.struct.field(pytree_node=False, default=0)
    critic_batch_size: int = flax.struct.field(pytree_node=False, default=256)
    actor_tau: float = flax.struct.field(pytree_node=False, default=0.001)
    act_with: str = flax.struct.field(pytree_node=False, default="target")

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "ACDAgent":
        agent_config = config.agent
        _check_actor_type(agent_config, "diffusion", "ACD")
        check_act_with(agent_config.act_with)
        rng, critic_key, policy_key, encoder_key = jax.random.split(rng, 4)
        encoder = advantage_encoder(agent_config)
        encoder_params = encoder.init(encoder_key, jnp.zeros(observations.shape[:1]))
        diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
        zeros = jnp.zeros(observations.shape[:1])
        condition = _condition(encoder, encoder_params, observations, zeros, zeros)
        params = {"net": diffusion.init(policy_key, condition), "encoder": encoder_params}
        return cls(
            rng=rng,
            critic=IQLCritic.create(critic_key, observations, actions, agent_config.critic),
            actor=_actor_state(cls, params, config),
            target_actor_params=jax.tree.map(jnp.copy, params),
            hparams=hparams,
            diffusion=diffusion,
            encoder=encoder,
            null_probability=agent_config.null_probability,
            num_candidates=agent_config.num_candidates,
            critic_batch_size=config.batch_size,
            actor_tau=agent_config.actor_tau,
            act_with=agent_config.act_with,
        )

    def condition(self, params: dict, observations: jnp.ndarray, advantage: jnp.ndarray, keep: jnp.ndarray):
        return _condition(self.encoder, params["encoder"], observations, advantage, keep)

    def update_actor(self, batch: dict) -> tuple["ACDAgent", dict]:
        rng, keep_key, loss_key = jax.random.split(self.rng, 3)
        advantage = self.labels(batch)
        keep = jax.random.bernoulli(keep_key, 1.0 - self.null_probability, advantage.shape)
        keep = keep.astype(jnp.float32)

        def loss_fn(params):
            condition = self.condition(params, batch["observations"], advantage, keep)
            loss = self.diffusion.loss(params["net"], condition, batch["actions"], loss_key).mean()
            return loss, {"loss": loss, "label_advantage": advantage.mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        return self.with_actor(self.actor.apply_gradients(grads=grads), rng=rng), infos.group("actor", info)

    def guided_eps_fn(self, observations: jnp.ndarray) -> EpsFn:
        """ε^ω(x, t | s, A = target): the guided ε-function of eq. (4), of the acting copy."""
        params = self.acting_params
        target = self.target_labels(observations)
        conditional = self.condition(params, observations, target, jnp.ones_like(target))
        null = self.condition(params, observations, target, jnp.zeros_like(target))
        eps_conditional = self.diffusion.eps_fn(params["net"], conditional)
        eps_null = self.diffusion.eps_fn(params["net"], null)
        guidance = self.hparams["guidance"]
        return lambda x, t: classifier_free_guidance(eps_conditional(x, t), eps_null(x, t), guidance)

    def sample_guided(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """One guided sample per state (plain ACD's action): (B, d)."""
        return self.diffusion.sample_with(self.guided_eps_fn(observations), observations.shape[0], rng)

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        if self.num_candidates == 0:
            return self.sample_guided(observations, rng)
        batch, num = observations.shape[0], self.num_candidates
        repeated = jnp.repeat(observations, num, axis=0)
        actions = self.sample_guided(repeated, rng).reshape(batch, num, -1)
        q = candidates.candidate_values(self.critic.target_q, observations, actions)
        return candidates.select(actions, q, rng, "argmax")


def _condition(encoder: AdvantageEncoder, encoder_params, observations, advantage, keep) -> jnp.ndarray:
    """[s, 1_notnull, 1_notnull·rep(A)]; ``keep`` (B,) is 1_notnull."""
    keep = keep[:, None]
    return jnp.concatenate([observations, keep, keep * encoder.apply(encoder_params, advantage)], axis=-1)


class ACGAgent(AdvantageConditioned, flax.struct.PyTreeNode):
    critic: IQLCritic
    actor: TrainState
    target_actor_params: dict
    hparams: dict
    actor_net: GaussianPolicy = flax.struct.field(pytree_node=False)
    encoder: AdvantageEncoder = flax.struct.field(pytree_node=False)
    critic_batch_size: int = flax.struct.field(pytree_node=False, default=256)
    actor_tau: float = flax.struct.field(pytree_node=False, default=0.001)
    act_with: str = flax.struct.field(pytree_node=False, default="online")

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "ACGAgent":
        agent_config = config.agent
        _check_actor_type(agent_config, "gaussian", "ACG")
        check_act_with(agent_config.act_with)
        critic_key, policy_key, encoder_key = jax.random.split(rng, 3)
        encoder = advantage_encoder(agent_config)
        encoder_params = encoder.init(encoder_key, jnp.zeros(observations.shape[:1]))
        actor_net = GaussianPolicy(tuple(agent_config.gaussian.hidden_dims), actions.shape[-1])
        labels = encoder.apply(encoder_params, jnp.zeros(observations.shape[:1]))
        inputs = jnp.concatenate([observations, labels], axis=-1)
        params = {"net": actor_net.init(policy_key, inputs), "encoder": encoder_params}
        return cls(
            critic=IQLCritic.create(critic_key, observations, actions, agent_config.critic),
            actor=_actor_state(cls, params, config, agent_config.gaussian.weight_decay),
            target_actor_params=jax.tree.map(jnp.copy, params),
            hparams=hparams,
            actor_net=actor_net,
            encoder=encoder,
            critic_batch_size=config.batch_size,
            actor_tau=agent_config.actor_tau,
            act_with=agent_config.act_with,
        )

    def distribution(self, params: dict, observations: jnp.ndarray, advantage: jnp.ndarray):
        """π(·|s, A)."""
        inputs = jnp.concatenate([observations, self.encoder.apply(params["encoder"], advantage)], axis=-1)
        return self.actor_net.apply(params["net"], inputs)

    def update_actor(self, batch: dict) -> tuple["ACGAgent", dict]:
        advantage = self.labels(batch)

        def loss_fn(params):
            log_prob = self.distribution(params, batch["observations"], advantage).log_prob(batch["actions"])
            loss = -log_prob.mean()
            return loss, {"loss": loss, "label_advantage": advantage.mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        return self.with_actor(self.actor.apply_gradients(grads=grads)), infos.group("actor", info)

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        dist = self.distribution(self.acting_params, observations, self.target_labels(observations))
        return jnp.clip(dist.mode(), -1.0, 1.0)
