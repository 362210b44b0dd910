"""Diffusion-QL (Wang et al., 2023): a diffusion policy regularised by its own ε-loss and pushed
up a twin-Q critic through the whole reverse chain.

- Actor: ``diffusion``, a ``DiffusionPolicy`` (ε-MLP 3×256 mish, sinusoidal time, T = 5, vp schedule).
  L = L_d − α E[Q(s, a⁰)], a⁰ sampled by the reparameterised chain, so the Q-gradient reaches the
  parameters through every one of the T steps; α = η / E|Q| with the normaliser stop-gradiented.
  ``q_head='random'`` (reference code) takes Q from one head drawn per update and normalises by
  the other head's E|Q|; ``'min'`` uses min_i Q_i for both. L_d is the mean over action dimensions
  (the reference code's mse), i.e. the core's summed ``epsilon_loss`` divided by action_dim.
  η = 0 is BC-Diffusion.
- Critic: twin Q 3×256 mish, y = r + γ m min_i Q̄_i(s′, a′), a′ from the EMA target policy through
  its chain. Max-Q backup (CQL's form, as the reference code does it): 10 a′ per s′, and
  ``max_q_order='min_of_max'`` (default) takes each head's max over the samples, then the min over
  heads, min_i max_j Q̄_i(s′, a′_j); ``'max_of_min'`` (max_j min_i, strictly more pessimistic) is
  an option.
- Targets: the critic is averaged every step (rate τ); the policy every ``actor_target_every``
  steps from step ``actor_target_start`` on (the reference code's 5 and 1000).
- Acting: ``num_candidates`` actions from the online policy, one picked (``selection``) by softmax
  over the target critic's min_i Q̄_i (reference code) or by argmax.
Both optimisers are Adam with global-norm clipping and, off by default, cosine decay to 0 over the
run (``lr_decay``): the paper keeps a fixed rate, and the reference code's ``--lr_decay`` steps
its scheduler once per 50 000 iterations with T_max = epochs, ending at ≈ 0.999 of the start.
See docs/algorithms.md.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import candidates, infos
from jaxdiffrl.agents.diffusion_actor_critic import CandidateActing, create_actor_critic, delayed_ema
from jaxdiffrl.agents.optimization import ema
from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config

EPS = 1e-6  # keeps α finite when E|Q| is 0 (e.g. η = 0 with an untrained critic)
MAX_Q_ORDERS = ("max_of_min", "min_of_max")
Q_HEADS = ("random", "min")


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "diffusion": default_diffusion_config(),
            "critic_hidden_dims": (256, 256, 256),
            "critic_activation": "mish",
            "actor_lr": 3e-4,
            "critic_lr": 3e-4,
            "lr_decay": False,  # cosine to 0 over max_steps; the paper (and in effect its code): fixed
            "grad_clip": 1.0,  # global gradient norm of both networks; 0 disables
            "discount": 0.99,
            "tau": 0.005,
            "actor_target_every": 5,
            "actor_target_start": 1000,
            "q_head": "random",  # random | min
            "max_q_backup": False,
            "max_q_samples": 10,
            "max_q_order": "min_of_max",  # min_of_max (CQL, reference code) | max_of_min
            "num_candidates": 50,
            "selection": "softmax",  # softmax | argmax
            "hparams": {"eta": 1.0},
        }
    )


def backup_value(qs: jnp.ndarray, order: str) -> jnp.ndarray:
    """The next-state value of target Q-values (heads H, B, samples N) → (B,): ``min_of_max`` =
    min_i max_j Q̄_i(s′, a′_j) (CQL's max-Q backup; with N = 1 the usual min of the twin heads),
    ``max_of_min`` = max_j min_i Q̄_i(s′, a′_j)."""
    if order == "min_of_max":
        return qs.max(axis=-1).min(axis=0)
    if order == "max_of_min":
        return qs.min(axis=0).max(axis=-1)
    raise ValueError(f"Unknown agent.max_q_order {order!r}; choose one of {MAX_Q_ORDERS}.")


class DiffusionQLAgent(CandidateActing, SinglePhase, flax.struct.PyTreeNode):
    rng: jax.Array
    actor: TrainState
    target_actor_params: dict
    critic: TrainState
    target_critic_params: dict
    step: jax.Array
    hparams: dict
    diffusion: DiffusionPolicy
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "DiffusionQLAgent":
        agent_config = config.agent
        if agent_config.q_head not in Q_HEADS:
            raise ValueError(f"Unknown agent.q_head {agent_config.q_head!r}; choose one of {Q_HEADS}.")
        if agent_config.max_q_order not in MAX_Q_ORDERS:
            raise ValueError(
                f"Unknown agent.max_q_order {agent_config.max_q_order!r}; choose one of {MAX_Q_ORDERS}."
            )
        candidates.check_rule(agent_config.selection, "agent.selection")
        rng, actor_key, critic_key = jax.random.split(rng, 3)
        return cls(
            rng=rng,
            **create_actor_critic(
                actor_key, critic_key, observations, actions, agent_config, 2, config.max_steps
            ),
            step=jnp.zeros((), jnp.int32),
            hparams=hparams,
            config=ml_collections.FrozenConfigDict(agent_config),
        )

    def critic_target(self, batch: dict, rng: jax.Array) -> jnp.ndarray:
        """y = r + γ m Q̄(s′, a′) with a′ from the target policy (max-Q backup over samples if set)."""
        samples = self.config.max_q_samples if self.config.max_q_backup else 1
        next_obs = batch["next_observations"]
        next_actions = self.diffusion.sample_candidates(self.target_actor_params, next_obs, rng, samples)
        qs = candidates.candidate_values(self.target_q, next_obs, next_actions)
        next_q = backup_value(qs, self.config.max_q_order)
        return batch["rewards"] + self.config.discount * batch["masks"] * next_q

    def target_q(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        """Q̄_i(s, a) of both target heads → (2, …)."""
        return self.critic.apply_fn(self.target_critic_params, observations, actions)

    def q_term(self, actor_params, observations: jnp.ndarray, rng: jax.Array) -> tuple[jnp.ndarray, dict]:
        """L_q = −α E[Q(s, a⁰)], a⁰ from the reparameterised chain; differentiable w.r.t. ``actor_params``."""
        sample_key, head_key = jax.random.split(rng)
        actions = self.diffusion.sample(actor_params, observations, sample_key)
        qs = self.critic.apply_fn(self.critic.params, observations, actions)
        if self.config.q_head == "random":
            head = jax.random.bernoulli(head_key).astype(jnp.int32)
            q, normaliser = qs[head], qs[1 - head]
        else:
            q = normaliser = qs.min(axis=0)
        alpha = self.hparams["eta"] / (jax.lax.stop_gradient(jnp.abs(normaliser).mean()) + EPS)
        loss = -alpha * q.mean()
        return loss, {"q_term": loss, "alpha": alpha, "policy_q": q.mean()}

    def actor_loss(self, actor_params, batch: dict, rng: jax.Array) -> tuple[jnp.ndarray, dict]:
        """L_d + L_q; L_d averaged over action dimensions as the reference code's mse."""
        bc_key, q_key = jax.random.split(rng)
        bc_loss = self.diffusion.loss(actor_params, batch["observations"], batch["actions"], bc_key).mean()
        bc_loss = bc_loss / self.diffusion.action_dim
        q_term, info = self.q_term(actor_params, batch["observations"], q_key)
        return bc_loss + q_term, {**info, "bc_loss": bc_loss, "loss": bc_loss + q_term}

    def update(self, batch: dict) -> tuple["DiffusionQLAgent", dict]:
        rng, target_key, actor_key = jax.random.split(self.rng, 3)
        target = self.critic_target(batch, target_key)

        def critic_loss_fn(params):
            qs = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss = jnp.square(qs - target).mean(axis=1).sum()
            return loss, {"loss": loss, "q": qs.mean(), "target_q": target.mean()}

        critic_grads, critic_info = jax.grad(critic_loss_fn, has_aux=True)(self.critic.params)
        agent = self.replace(critic=self.critic.apply_gradients(grads=critic_grads))
        actor_grads, actor_info = jax.grad(agent.actor_loss, has_aux=True)(
            self.actor.params, batch, actor_key
        )
        actor = self.actor.apply_gradients(grads=actor_grads)
        config = self.config
        agent = agent.replace(
            rng=rng,
            actor=actor,
            target_actor_params=delayed_ema(
                actor.params,
                self.target_actor_params,
                config.tau,
                self.step,
                config.actor_target_every,
                config.actor_target_start,
            ),
            target_critic_params=ema(agent.critic.params, self.target_critic_params, config.tau),
            step=self.step + 1,
        )
        return agent, infos.merge(infos.group("critic", critic_info), infos.group("actor", actor_info))

    @staticmethod
    def candidate_score(values: jnp.ndarray) -> jnp.ndarray:
        """Acting scores candidates by the min of the target heads: (H, B, N) → (B, N)."""
        return values.min(axis=0)
