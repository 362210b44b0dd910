"""DAC, Diffusion Actor-Critic (Fang et al., 2024): KL-constrained policy iteration written as
noise regression towards a soft-Q-guided target, with a Q-ensemble lower-confidence-bound critic.

- Actor: ``diffusion``, a ``DiffusionPolicy`` (ε-MLP 3×256 mish, T = 5 vp; ancestral sampling with
  variance β_t as the reference sampler). With x_t = √ᾱ_t a + √(1 − ᾱ_t) ε from a data action a,
  L_A = η E‖ε_θ(x_t, t) − ε‖² + E[√(1 − ᾱ_t) g · ε_θ(x_t, t)],
  g = ∇_{x_t} mean_h Q̄_h(s, x_t) / C, C = mean_{h,batch} |Q̄_h(s, a)| (target critics, no gradient).
  Convention: this L_A has the per-sample minimiser ε_θ = ε − √(1 − ᾱ_t) g / (2η); the DAC paper's
  eq. (15) targets ε − √(1 − ᾱ_t) ∇Q / η, so a given η here acts as 2η there (the reference code,
  like us, minimises η L_bc + guidance). Both terms are averaged over action dimensions (the
  reference code's means), which rescales L_A by 1/action_dim without moving its minimiser.
- Optional dual ascent on η (``eta_lr`` > 0): after the actor step,
  η ← clip(η + λ_η clip(L_bc − b, −1, 1), eta_min, eta_max) with L_bc re-evaluated on the same
  noisy batch; η then lives in the agent state (its initial value is ``hparams['eta']``).
- Critic: H = ``num_qs`` = 10 Q-networks (3×256 mish). For each target head h, v_h = mean (or max, antmaze)
  over ``target_samples`` actions a′ from the target actor of Q̄_h(s′, a′);
  Q_LCB = mean_h v − ρ std_h v; every head regresses onto y = r + γ m Q_LCB.
- Targets: critic EMA every step; actor EMA every ``actor_target_every`` steps after
  ``actor_target_start``. Adam with cosine decay to 0 and global-norm clipping, both networks.
- Acting: ``num_candidates`` actions from the online actor, argmax (``selection``) of the
  ensemble-mean Q̄.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §7.
"""

from collections.abc import Callable

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import candidates, infos
from jaxdiffrl.agents.diffusion_actor_critic import CandidateActing, create_actor_critic, delayed_ema
from jaxdiffrl.agents.optimization import dual_ascent, ema
from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.diffusion.ddpm import q_sample
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config

EPS = 1e-6  # keeps the Q-normaliser C away from 0


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "diffusion": default_diffusion_config(variance="beta"),
            "num_qs": 10,
            "critic_hidden_dims": (256, 256, 256),
            "critic_activation": "mish",
            "actor_lr": 3e-4,
            "critic_lr": 3e-4,
            "lr_decay": True,  # cosine to 0 over max_steps
            "grad_clip": 1.0,  # 0 disables
            "discount": 0.99,
            "tau": 0.005,
            "actor_target_every": 5,
            "actor_target_start": 1000,
            "target_samples": 10,
            "max_q_backup": False,  # v_h = max over target samples instead of the mean (antmaze)
            "eta_min": 1e-3,
            "eta_max": 100.0,
            "num_candidates": 10,
            "selection": "argmax",  # argmax | softmax
            # eta: initial BC weight; rho: LCB pessimism; eta_lr: dual-ascent step (0 keeps η fixed);
            # bc_threshold: the b of the dual constraint L_bc ≤ b.
            "hparams": {"eta": 1.0, "rho": 1.0, "eta_lr": 0.0, "bc_threshold": 1.0},
        }
    )


def lower_confidence_bound(values: jnp.ndarray, rho: jnp.ndarray, max_q_backup: bool) -> jnp.ndarray:
    """Q_LCB from target values (H, B, N) of N sampled next actions per state: per head the mean
    (or max) over samples, then mean over heads − ρ·std over heads (population std) → (B,)."""
    per_head = values.max(axis=-1) if max_q_backup else values.mean(axis=-1)
    return per_head.mean(axis=0) - rho * per_head.std(axis=0)


def normalised_q_gradient(
    q_fn: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray],
    observations: jnp.ndarray,
    noisy_actions: jnp.ndarray,
    data_actions: jnp.ndarray,
) -> jnp.ndarray:
    """g = ∇_{x_t} mean_h Q_h(s, x_t) / (mean |Q_h(s, a)| + EPS), per sample (B, d); ``q_fn`` maps
    (observations, actions) to ensemble values (H, B). Treated as a constant by the actor loss."""
    scale = jnp.abs(q_fn(observations, data_actions)).mean() + EPS
    grad = jax.grad(lambda x: q_fn(observations, x).mean(axis=0).sum())(noisy_actions)
    return jax.lax.stop_gradient(grad / scale)


def soft_q_guidance_loss(
    eps_pred: jnp.ndarray,
    noise: jnp.ndarray,
    guidance: jnp.ndarray,
    noise_level: jnp.ndarray,
    eta: jnp.ndarray,
) -> tuple[jnp.ndarray, jnp.ndarray]:
    """(L_A, L_bc) per sample, both averaged over action dims: L_A = η L_bc + mean_d(σ_t g ε_θ),
    L_bc = mean_d (ε_θ − ε)², σ_t = √(1 − ᾱ_t) of shape (B, 1). Minimiser: ε − σ_t g / (2η)."""
    bc = jnp.square(eps_pred - noise).mean(axis=-1)
    return eta * bc + (noise_level * guidance * eps_pred).mean(axis=-1), bc


class DACAgent(CandidateActing, SinglePhase, flax.struct.PyTreeNode):
    rng: jax.Array
    actor: TrainState
    target_actor_params: dict
    critic: TrainState
    target_critic_params: dict
    eta: jax.Array
    step: jax.Array
    hparams: dict
    diffusion: DiffusionPolicy
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "DACAgent":
        agent_config = config.agent
        candidates.check_rule(agent_config.selection, "agent.selection")
        rng, actor_key, critic_key = jax.random.split(rng, 3)
        return cls(
            rng=rng,
            **create_actor_critic(
                actor_key,
                critic_key,
                observations,
                actions,
                agent_config,
                agent_config.num_qs,
                config.max_steps,
            ),
            eta=jnp.asarray(hparams["eta"], jnp.float32),
            step=jnp.zeros((), jnp.int32),
            hparams=hparams,
            config=ml_collections.FrozenConfigDict(agent_config),
        )

    def target_q(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        """Q̄_h(s, a) of every target head → (H, B)."""
        return self.critic.apply_fn(self.target_critic_params, observations, actions)

    def update_critic(self, batch: dict, rng: jax.Array) -> tuple["DACAgent", dict]:
        next_obs = batch["next_observations"]
        next_actions = self.diffusion.sample_candidates(
            self.target_actor_params, next_obs, rng, self.config.target_samples
        )
        values = candidates.candidate_values(self.target_q, next_obs, next_actions)
        next_q = lower_confidence_bound(values, self.hparams["rho"], self.config.max_q_backup)
        target = batch["rewards"] + self.config.discount * batch["masks"] * next_q

        def loss_fn(params):
            qs = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss = jnp.square(qs - target).mean()
            return loss, {"loss": loss, "q": qs.mean(), "q_std": qs.std(axis=0).mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.critic.params)
        critic = self.critic.apply_gradients(grads=grads)
        target_params = ema(critic.params, self.target_critic_params, self.config.tau)
        return self.replace(critic=critic, target_critic_params=target_params), infos.group("critic", info)

    def update_actor(self, batch: dict, rng: jax.Array) -> tuple["DACAgent", dict]:
        index_key, noise_key, dropout_key = jax.random.split(rng, 3)
        observations, actions = batch["observations"], batch["actions"]
        schedule = self.diffusion.schedule
        index = jax.random.randint(index_key, (actions.shape[0],), 0, schedule.num_steps)
        noise = jax.random.normal(noise_key, actions.shape)
        noisy = q_sample(schedule, actions, index, noise)
        noise_level = jnp.sqrt(1.0 - schedule.alpha_bars[index])[:, None]
        guidance = normalised_q_gradient(self.target_q, observations, noisy, actions)

        def loss_fn(params):
            eps_fn = self.diffusion.eps_fn(params, observations, dropout_rng=dropout_key)
            loss, bc = soft_q_guidance_loss(eps_fn(noisy, index), noise, guidance, noise_level, self.eta)
            return loss.mean(), {"loss": loss.mean(), "bc_loss": bc.mean()}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        actor = self.actor.apply_gradients(grads=grads)
        new_bc = jnp.square(self.diffusion.eps_fn(actor.params, observations)(noisy, index) - noise).mean()
        eta = dual_ascent(
            self.eta,
            new_bc - self.hparams["bc_threshold"],
            self.hparams["eta_lr"],
            self.config.eta_min,
            self.config.eta_max,
            violation_clip=1.0,
        )
        target_params = delayed_ema(
            actor.params,
            self.target_actor_params,
            self.config.tau,
            self.step,
            self.config.actor_target_every,
            self.config.actor_target_start,
        )
        info = {**info, "eta": eta, "guidance_norm": jnp.linalg.norm(guidance, axis=-1).mean()}
        return self.replace(actor=actor, target_actor_params=target_params, eta=eta), infos.group(
            "actor", info
        )

    def update(self, batch: dict) -> tuple["DACAgent", dict]:
        rng, critic_key, actor_key = jax.random.split(self.rng, 3)
        agent, critic_info = self.update_critic(batch, critic_key)
        agent, actor_info = agent.update_actor(batch, actor_key)
        return agent.replace(rng=rng, step=self.step + 1), infos.merge(critic_info, actor_info)

    @staticmethod
    def candidate_score(values: jnp.ndarray) -> jnp.ndarray:
        """Acting scores candidates by the mean of the target heads: (H, B, N) → (B, N)."""
        return values.mean(axis=0)
