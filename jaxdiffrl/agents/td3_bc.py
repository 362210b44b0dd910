"""TD3+BC (Fujimoto & Gu, 2021): TD3 with a behaviour-cloning term in the actor's loss.

- Critic: twin Q 2×256 ReLU (``num_qs`` heads), y = r + γ m min_i Q̄_i(s′, ã′) with the smoothed
  target action ã′ = clip(π̄(s′) + clip(N(0, σ²), ±c), ±1), σ = ``policy_noise`` 0.2, c =
  ``noise_clip`` 0.5; loss Σ_i MSE(Q_i, y); Adam 3e-4; every update.
- Actor: deterministic π(s) = tanh(MLP 2×256 ReLU); every ``policy_freq``-th update (2) it
  minimises −λ E Q₁(s, π(s)) + E‖π(s) − a‖² with λ = α / E|Q₁(s, π(s))| (the normaliser
  stop-gradiented, α = ``hparams.alpha`` 2.5), against the critic after this update's step; Adam
  3e-4. Then the actor and critic targets move by EMA at rate ``tau`` (0.005), on those updates only.
- The BC term: ``bc_reduction='sum'`` (default) is the squared norm over action dimensions, as the
  paper writes the loss; ``'mean'`` divides by the action dimension, as its reference code's mean
  squared error over all elements does (λ's scale relative to the BC term differs by that factor).
- Data (configs): raw rewards and observations standardised by the dataset's mean and std + 1e-3,
  the same statistics applied to the evaluation env (``data.normalize_observations``).
- Acting: π(s) clipped to [−1, 1], no noise.

The actor's loss and gradient are computed on every update (and its ``actor/…`` infos logged as
the mean over all updates of a chunk); they are applied only on the due ones (see
``jaxdiffrl.agents.td3_critic``). ``actor/updated`` is 1 on those, so its chunk mean is
1/``policy_freq``.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §13.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos, td3_critic
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.networks import q_ensemble
from jaxdiffrl.networks.deterministic import DeterministicPolicy
from jaxdiffrl.networks.mlp import activation_by_name

EPS = 1e-6  # keeps λ finite if E|Q₁| is 0
BC_REDUCTIONS = ("sum", "mean")


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "actor_hidden_dims": (256, 256),
            "critic_hidden_dims": (256, 256),
            "activation": "relu",  # both networks
            "num_qs": 2,
            "actor_lr": 3e-4,
            "critic_lr": 3e-4,
            "lr_decay": False,  # cosine to 0 over max_steps for both networks; the paper: fixed
            "discount": 0.99,
            "tau": 0.005,
            "policy_noise": 0.2,  # σ of the target policy smoothing noise
            "noise_clip": 0.5,  # c: the noise is clipped to ±c
            "clip_target_action": True,  # clip π̄(s′) + noise to [−1, 1]
            "policy_freq": 2,  # actor step and target EMA on every policy_freq-th update
            "bc_reduction": "sum",  # sum: ‖π(s) − a‖² (paper) | mean: over action dims (reference code)
            # alpha: α of λ = α / E|Q₁(s, π(s))| (sweepable).
            "hparams": {"alpha": 2.5},
        }
    )


def actor_loss(
    policy_actions: jnp.ndarray,
    policy_q: jnp.ndarray,
    actions: jnp.ndarray,
    alpha: jnp.ndarray,
    bc_reduction: str = "sum",
) -> tuple[jnp.ndarray, dict]:
    """−λ E Q₁(s, π(s)) + E‖π(s) − a‖² → (scalar, info), λ = α / (sg(E|Q₁(s, π(s))|) + EPS).

    policy_actions π(s) (B, d), policy_q Q₁(s, π(s)) (B,), actions a (B, d) from the data. The
    normaliser is stop-gradiented, so λ scales the Q-gradient but is not itself optimised.
    ``bc_reduction='mean'`` averages the squared error over the d dimensions instead of summing.
    """
    squared = jnp.square(policy_actions - actions)
    if bc_reduction == "sum":
        bc_loss = squared.sum(axis=-1).mean()
    elif bc_reduction == "mean":
        bc_loss = squared.mean()
    else:
        raise ValueError(f"Unknown agent.bc_reduction {bc_reduction!r}; choose one of {BC_REDUCTIONS}.")
    lam = alpha / (jax.lax.stop_gradient(jnp.abs(policy_q).mean()) + EPS)
    q_term = -lam * policy_q.mean()
    loss = q_term + bc_loss
    return loss, {
        "loss": loss,
        "bc_loss": bc_loss,
        "q_term": q_term,
        "lambda": lam,
        "policy_q": policy_q.mean(),
    }


class TD3BCAgent(SinglePhase, flax.struct.PyTreeNode):
    rng: jax.Array
    actor: TrainState
    target_actor_params: dict
    critic: TrainState
    target_critic_params: dict
    step: jax.Array  # updates done so far (per run)
    hparams: dict
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "TD3BCAgent":
        agent_config = config.agent
        if agent_config.bc_reduction not in BC_REDUCTIONS:
            raise ValueError(
                f"Unknown agent.bc_reduction {agent_config.bc_reduction!r}; choose one of {BC_REDUCTIONS}."
            )
        if agent_config.policy_freq < 1:
            raise ValueError(f"agent.policy_freq must be at least 1, got {agent_config.policy_freq}.")
        rng, actor_key, critic_key = jax.random.split(rng, 3)
        activation = activation_by_name(agent_config.activation)
        decay_steps = config.max_steps if agent_config.lr_decay else None
        actor_net = DeterministicPolicy(tuple(agent_config.actor_hidden_dims), actions.shape[-1], activation)
        critic_net = q_ensemble(agent_config.num_qs, agent_config.critic_hidden_dims, agent_config.activation)
        actor_params = actor_net.init(actor_key, observations)
        critic_params = critic_net.init(critic_key, observations, actions)
        return cls(
            rng=rng,
            actor=new_train_state(
                actor_net, actor_params, make_optimizer(agent_config.actor_lr, decay_steps=decay_steps)
            ),
            target_actor_params=jax.tree.map(jnp.copy, actor_params),
            critic=new_train_state(
                critic_net, critic_params, make_optimizer(agent_config.critic_lr, decay_steps=decay_steps)
            ),
            target_critic_params=jax.tree.map(jnp.copy, critic_params),
            step=jnp.zeros((), jnp.int32),
            hparams=hparams,
            config=ml_collections.FrozenConfigDict(agent_config),
        )

    def critic_target(self, batch: dict, rng: jax.Array) -> jnp.ndarray:
        """y (B,) from the target actor's smoothed action and the target critic's heads."""
        return td3_critic.smoothed_td_target(
            lambda s: self.actor.apply_fn(self.target_actor_params, s),
            lambda s, a: self.critic.apply_fn(self.target_critic_params, s, a),
            batch,
            rng,
            self.config,
            self.config.clip_target_action,
        )

    def update(self, batch: dict) -> tuple["TD3BCAgent", dict]:
        rng, noise_key = jax.random.split(self.rng)
        target = self.critic_target(batch, noise_key)

        def critic_loss_fn(params):
            qs = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss = td3_critic.critic_loss(qs, target)
            return loss, {
                "loss": loss,
                "q": qs.mean(),
                "target_q": target.mean(),
                "q_std": qs.std(axis=0).mean(),
            }

        critic_grads, critic_info = jax.grad(critic_loss_fn, has_aux=True)(self.critic.params)
        critic = self.critic.apply_gradients(grads=critic_grads)

        def actor_loss_fn(params):
            policy_actions = self.actor.apply_fn(params, batch["observations"])
            policy_q = critic.apply_fn(critic.params, batch["observations"], policy_actions)[0]
            return actor_loss(
                policy_actions, policy_q, batch["actions"], self.hparams["alpha"], self.config.bc_reduction
            )

        actor_grads, actor_info = jax.grad(actor_loss_fn, has_aux=True)(self.actor.params)
        actor, target_actor_params, target_critic_params = td3_critic.delayed_actor_update(
            self.step,
            self.config.policy_freq,
            self.config.tau,
            self.actor,
            actor_grads,
            self.target_actor_params,
            critic.params,
            self.target_critic_params,
        )
        actor_info["updated"] = td3_critic.policy_update_due(self.step, self.config.policy_freq).astype(
            jnp.float32
        )
        agent = self.replace(
            rng=rng,
            actor=actor,
            target_actor_params=target_actor_params,
            critic=critic,
            target_critic_params=target_critic_params,
            step=self.step + 1,
        )
        return agent, infos.merge(infos.group("critic", critic_info), infos.group("actor", actor_info))

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        return jnp.clip(self.actor.apply_fn(self.actor.params, observations), -1.0, 1.0)
