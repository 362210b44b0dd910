"""CPED, Constrained Policy optimisation with Explicit behaviour Density (Zhang et al., NeurIPS 2023).

Two phases, one step counter n (updates done, pre-training included):

1. ``flow_gan`` (P = ``flow_gan_steps`` updates, not evaluated): a Flow-GAN (``jaxdiffrl.agents.
   flow_gan``: NICE by default, WGAN-GP critic, flow every 5th update with −E D(G(z)) + λ NLL)
   learns the density p(s, a) of x = [s, a]. Then the flow is frozen (unless
   ``train_flow_during_rl``, which keeps taking Flow-GAN steps as the slides' Algorithm 1 lists).
2. ``actor_critic``: TD3 with the flow as the support constraint.
   - Critic: twin Q 2×256 ReLU, y = r + γ m min_i Q̄_i(s′, ã′), ã′ the target actor's action plus
     N(0, 0.2²) noise clipped at ±0.5, clipped to [−1, 1] (``clip_target_action``; the code does
     not clip); Σ_i MSE; steps from n ≥ P + ``critic_delay`` (code: 30k).
   - Actor: deterministic tanh 2×256; on every ``policy_freq``-th update
       L_π = −q_on · E min_i Q_i(s, π(s)) + α E[NLL(s, π(s)) − NLL(s, a)],
     NLL = −log p_flow, the data term stop-gradiented (p(s) cancels: a conditional log-ratio), Q
     from the critic after this update's step, q_on = [n ≥ P + ``q_delay``] (code: 50k). The
     actor and critic targets move by EMA ``tau`` on the same updates.
   - α (``alpha_mode``): ``dual`` (the paper) — Lagrangian dual ascent for the constraint
     E NLL(s, π(s)) ≤ E NLL(s, a) + ``nll_margin``: on each actor update
     α ← clip(α + η_α · (E[NLL(s, π(s)) − NLL(s, a)] − margin), 0, ``alpha_max``), starting from
     ``hparams['alpha']`` with η_α = ``hparams['alpha_lr']`` (η_α = 0 keeps α fixed; α = η_α = 0
     is plain TD3); ``locomotion_schedule`` / ``antmaze_schedule`` — the reference code's step
     schedules.
- Acting: π(s), no noise.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §17.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos, td3_critic
from jaxdiffrl.agents.flow_gan import FlowGAN, default_flow_gan_config
from jaxdiffrl.agents.optimization import dual_ascent, make_optimizer, new_train_state
from jaxdiffrl.agents.phases import Phase
from jaxdiffrl.networks import q_ensemble
from jaxdiffrl.networks.deterministic import DeterministicPolicy
from jaxdiffrl.networks.mlp import activation_by_name

ALPHA_MODES = ("dual", "locomotion_schedule", "antmaze_schedule")
DENSITY_FEATURES = ("state_action", "action")


def default_config() -> ml_collections.ConfigDict:
    """The paper's form with the locomotion numbers (P = 500k, actor lr 1e-4)."""
    return ml_collections.ConfigDict(
        {
            "flow_gan": default_flow_gan_config(),
            "flow_gan_steps": 500_000,  # P: Flow-GAN pre-training updates (antmaze 300k)
            "train_flow_during_rl": False,  # keep taking Flow-GAN steps after P (slides' Algorithm 1)
            # The flow's features: state_action, x = [s, a] (CPED) | action, x = a (single-state tasks
            # such as the bandits, whose constant dummy state would make p(s, a) degenerate).
            "density_features": "state_action",
            "actor_hidden_dims": (256, 256),
            "critic_hidden_dims": (256, 256),
            "activation": "relu",
            "critic_layer_norm": False,  # LayerNorm after each hidden layer of the critics (not in the paper)
            "num_qs": 2,
            "actor_lr": 1e-4,  # antmaze 3e-4
            "critic_lr": 3e-4,
            "discount": 0.99,
            "tau": 0.005,
            "policy_noise": 0.2,
            "noise_clip": 0.5,
            "clip_target_action": True,  # the reference code: False
            "policy_freq": 2,
            "critic_delay": 0,  # the critic steps from P + critic_delay (code: 30_000)
            "q_delay": 0,  # the actor's Q term joins at P + q_delay (code: 50_000)
            "alpha_mode": "dual",  # dual | locomotion_schedule | antmaze_schedule
            "alpha_max": 1000.0,
            "nll_margin": 0.0,  # ε = E NLL(s, a) + nll_margin: the constraint's slack, in nats
            # alpha: α's initial value; alpha_lr: η_α, dual ascent's step per nat of violation (0 keeps
            # α fixed). Both unused by the schedules.
            "hparams": {"alpha": 1.0, "alpha_lr": 0.01},
        }
    )


def locomotion_alpha_schedule(step: jax.Array, flow_gan_steps: int) -> jax.Array:
    """The reference code's locomotion α at update ``step`` (updates done before it, P included):
    1000 up to P + 100k, then 10 − 2.5 ⌊(n − P − 100k) / 100k⌋, and 1.5 past 1M (n > 1M). Written for
    P = 500k: 10, 7.5, 5, 2.5 for each 100k after 600k, and 0 at exactly n = 1M as the code gives."""
    start = flow_gan_steps + 100_000
    stepped = 10.0 - 2.5 * ((step - start) // 100_000)
    return jnp.where(step > start, jnp.where(step > 1_000_000, 1.5, stepped), 1000.0).astype(jnp.float32)


def antmaze_alpha_schedule(step: jax.Array) -> jax.Array:
    """The reference code's antmaze α at update ``step`` (P included): 5 below 100k, 0.5 to 300k,
    0.25 to 500k, 0.1 to 800k (each bound inclusive), 0.08 after."""
    alpha = jnp.where(step >= 100_000, 0.5, 5.0)
    alpha = jnp.where(step > 300_000, 0.25, alpha)
    alpha = jnp.where(step > 500_000, 0.1, alpha)
    return jnp.where(step > 800_000, 0.08, alpha).astype(jnp.float32)


def check_alpha_schedule(config: ml_collections.ConfigDict) -> None:
    """The code's locomotion schedule turns negative when P < 500k leaves more than four 100k
    blocks before 1M; refused rather than run with α < 0."""
    agent = config.agent
    if agent.alpha_mode != "locomotion_schedule":
        return
    start = agent.flow_gan_steps + 100_000
    last = min(config.max_steps - 1, 1_000_000)
    if last > start:
        lowest = 10.0 - 2.5 * ((last - start) // 100_000)
        if lowest < 0:
            raise ValueError(
                f"agent.alpha_mode='locomotion_schedule' is the reference code's schedule for "
                f"flow_gan_steps=500000; with flow_gan_steps={agent.flow_gan_steps} it reaches α = "
                f"{lowest:g} < 0 by step {last}. Use alpha_mode='dual' (with "
                f"agent.hparams.alpha_lr=0 for a fixed α), or flow_gan_steps=500000."
            )


def actor_loss(
    policy_q: jnp.ndarray, nll_policy: jnp.ndarray, nll_data: jnp.ndarray, alpha: jax.Array, q_weight
) -> tuple[jnp.ndarray, dict]:
    """−q_weight · E min_i Q_i(s, π(s)) + α E[NLL(s, π(s)) − sg NLL(s, a)] → (scalar, info).

    policy_q: min over the heads of Q(s, π(s)), (B,); nll_policy, nll_data: −log p of [s, π(s)]
    and of the data's [s, a], (B,). ``constraint`` is E[NLL(s, π(s)) − NLL(s, a)], the quantity the
    dual ascent drives to the margin.
    """
    constraint = jnp.mean(nll_policy - jax.lax.stop_gradient(nll_data))
    q_term = -q_weight * policy_q.mean()
    loss = q_term + alpha * constraint
    return loss, {
        "loss": loss,
        "q_term": q_term,
        "constraint": constraint,
        "nll": nll_policy.mean(),
        "data_nll": nll_data.mean(),
        "policy_q": policy_q.mean(),
    }


class CPEDAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    flow_gan: FlowGAN
    actor: TrainState
    target_actor_params: dict
    critic: TrainState
    target_critic_params: dict
    alpha: jax.Array  # the current Lagrange multiplier (per run)
    step: jax.Array  # updates done, the Flow-GAN phase included
    hparams: dict
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def phases(cls, config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
        pretrain = config.agent.flow_gan_steps
        if not 0 < pretrain < config.max_steps:
            raise ValueError(
                f"CPED needs 0 < agent.flow_gan_steps < max_steps (a Flow-GAN phase, then the "
                f"actor-critic); got flow_gan_steps={pretrain}, max_steps={config.max_steps}."
            )
        return (
            Phase("flow_gan", pretrain, cls.update_flow_gan, evaluate=False),
            Phase("actor_critic", config.max_steps - pretrain, cls.update),
        )

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "CPEDAgent":
        agent = config.agent
        if agent.alpha_mode not in ALPHA_MODES:
            raise ValueError(f"Unknown agent.alpha_mode {agent.alpha_mode!r}; choose one of {ALPHA_MODES}.")
        if agent.policy_freq < 1:
            raise ValueError(f"agent.policy_freq must be at least 1, got {agent.policy_freq}.")
        if agent.density_features not in DENSITY_FEATURES:
            raise ValueError(
                f"Unknown agent.density_features {agent.density_features!r}; "
                f"choose one of {DENSITY_FEATURES}."
            )
        check_alpha_schedule(config)
        rng, flow_key, actor_key, critic_key = jax.random.split(rng, 4)
        actor_net = DeterministicPolicy(
            tuple(agent.actor_hidden_dims), actions.shape[-1], activation_by_name(agent.activation)
        )
        critic_net = q_ensemble(
            agent.num_qs, agent.critic_hidden_dims, agent.activation, agent.critic_layer_norm
        )
        actor_params = actor_net.init(actor_key, observations)
        critic_params = critic_net.init(critic_key, observations, actions)
        dim = actions.shape[-1] + (observations.shape[-1] if agent.density_features == "state_action" else 0)
        if dim < 2:
            raise ValueError(
                f"CPED's flow needs at least 2 features, but x = {agent.density_features} has {dim}; "
                "use density_features='state_action'."
            )
        return cls(
            rng=rng,
            flow_gan=FlowGAN.create(flow_key, dim, agent.flow_gan),
            actor=new_train_state(actor_net, actor_params, make_optimizer(agent.actor_lr)),
            target_actor_params=jax.tree.map(jnp.copy, actor_params),
            critic=new_train_state(critic_net, critic_params, make_optimizer(agent.critic_lr)),
            target_critic_params=jax.tree.map(jnp.copy, critic_params),
            alpha=jnp.asarray(hparams["alpha"], jnp.float32),
            step=jnp.zeros((), jnp.int32),
            hparams=hparams,
            config=ml_collections.FrozenConfigDict(agent),
        )

    def density_input(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        """x, the flow's features: [s, a] (B, obs + act), or a alone (``density_features``)."""
        if self.config.density_features == "action":
            return actions
        return jnp.concatenate([observations, actions], axis=-1)

    def behaviour_nll(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        """−log p(s, a) under the flow, (B,)."""
        return -self.flow_gan.log_prob(self.density_input(observations, actions))

    def step_flow_gan(self, batch: dict, rng: jax.Array) -> tuple[FlowGAN, dict]:
        x = self.density_input(batch["observations"], batch["actions"])
        flow_gan, info = self.flow_gan.update(x, rng, self.step)
        return flow_gan, infos.group("behaviour", info)

    def update_flow_gan(self, batch: dict) -> tuple["CPEDAgent", dict]:
        """The pre-training phase: one Flow-GAN step; actor and critic wait."""
        rng, key = jax.random.split(self.rng)
        flow_gan, info = self.step_flow_gan(batch, key)
        return self.replace(rng=rng, flow_gan=flow_gan, step=self.step + 1), info

    def current_alpha(self) -> jax.Array:
        """α for this update's actor loss."""
        mode = self.config.alpha_mode
        if mode == "locomotion_schedule":
            return locomotion_alpha_schedule(self.step, self.config.flow_gan_steps)
        if mode == "antmaze_schedule":
            return antmaze_alpha_schedule(self.step)
        return self.alpha

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

    def update(self, batch: dict) -> tuple["CPEDAgent", dict]:
        """One actor-critic update (the second phase)."""
        config = self.config
        rng, noise_key, flow_key = jax.random.split(self.rng, 3)
        flow_gan, flow_info = self.flow_gan, {}
        if config.train_flow_during_rl:
            flow_gan, flow_info = self.step_flow_gan(batch, flow_key)
        rl_step = self.step - config.flow_gan_steps
        target = self.critic_target(batch, noise_key)

        def critic_loss_fn(params):
            qs = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss = td3_critic.critic_loss(qs, target)
            return loss, {"loss": loss, "q": qs.mean(), "target_q": target.mean()}

        critic_grads, critic_info = jax.grad(critic_loss_fn, has_aux=True)(self.critic.params)
        critic_on = rl_step >= config.critic_delay
        critic = td3_critic.select(critic_on, self.critic.apply_gradients(grads=critic_grads), self.critic)
        critic_info["updated"] = critic_on.astype(jnp.float32)

        alpha = self.current_alpha()
        q_weight = (rl_step >= config.q_delay).astype(jnp.float32)
        observations = batch["observations"]
        nll_data = self.behaviour_nll(observations, batch["actions"])

        def actor_loss_fn(params):
            policy_actions = self.actor.apply_fn(params, observations)
            policy_q = critic.apply_fn(critic.params, observations, policy_actions).min(axis=0)
            nll_policy = self.behaviour_nll(observations, policy_actions)
            return actor_loss(policy_q, nll_policy, nll_data, alpha, q_weight)

        actor_grads, actor_info = jax.grad(actor_loss_fn, has_aux=True)(self.actor.params)
        actor, target_actor_params, target_critic_params = td3_critic.delayed_actor_update(
            self.step,
            config.policy_freq,
            config.tau,
            self.actor,
            actor_grads,
            self.target_actor_params,
            critic.params,
            self.target_critic_params,
        )
        due = td3_critic.policy_update_due(self.step, config.policy_freq)
        next_alpha = self.alpha
        if config.alpha_mode == "dual":
            violation = actor_info["constraint"] - config.nll_margin
            ascended = dual_ascent(self.alpha, violation, self.hparams["alpha_lr"], 0.0, config.alpha_max)
            next_alpha = jnp.where(due, ascended, self.alpha)
        actor_info.update(alpha=alpha, updated=due.astype(jnp.float32))
        agent = self.replace(
            rng=rng,
            flow_gan=flow_gan,
            actor=actor,
            target_actor_params=target_actor_params,
            critic=critic,
            target_critic_params=target_critic_params,
            alpha=next_alpha,
            step=self.step + 1,
        )
        return agent, infos.merge(
            infos.group("critic", critic_info), infos.group("actor", actor_info), flow_info
        )

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        return jnp.clip(self.actor.apply_fn(self.actor.params, observations), -1.0, 1.0)
