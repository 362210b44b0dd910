"""QDQ (Q-Distribution guided Q-learning): a consistency model of truncated returns measures each
action's uncertainty, and uncertain actions get a pessimistic Q target.

Three phases, one engine:

1. ``return_model``: an EDM denoiser D(x; σ | s, a) over truncated returns x = Q_T(s, a) scaled to
   [−1, 1] (``jaxdiffrl.data.windows``: windows of ``windows.width`` steps every
   ``windows.stride``, γ-discounted, no bootstrap); the phase trains on those windows, derived once
   from the dataset. Adam ``denoiser_lr``, cosine to 0 over the phase.
2. ``distillation``: a consistency model f_θ initialised from the denoiser (or, with
   ``consistency_init="random"``, from its own random weights, as the reference code does),
   distilled against its EMA target f⁻ (rate ``consistency_tau`` every ``consistency_ema_every``
   updates) on the Karras grid of ``num_scales`` points, one Heun step of the frozen teacher per
   pair; RAdam ``consistency_lr``, cosine to 0.
3. ``q_learning`` on the transitions: a TD3 twin critic (smoothed target action) whose loss mixes
   two targets over both heads,
       L = α Σ_i ‖Q_i − y_H‖² + (1 − α) Σ_i ‖Q_i − y_L‖²,
       y_H = r + γ m min_i Q̄_i(s′, ã′),   y_L = r + γ m w(s′, ã′) min_i Q̄_i(s′, ã′),
   where H_Q(s′, ã′) is the std of ``uncertainty_samples`` one-step consistency samples f(σ_max z, σ_max)
   (de-normalised to return units), U the batch entries whose H_Q exceeds the batch β-quantile,
   and ``weighting`` picks w: ``inverse_beta`` (locomotion) 1/H_Q on U, β elsewhere; ``mild``
   (antmaze) 1 + 0.1 (1 − 1/H_Q) on U, 1 elsewhere; ``inverse`` (antmaze-umaze-diverse) 1/H_Q on
   U, 1 elsewhere. The actor is N(tanh μ(s), exp(log σ)) with a state-independent log σ; every
   ``policy_freq``-th update it minimises −E min_i Q_i(s, tanh μ(s)) − γ_ent E log π(a | s)
   (``actor_type="gaussian"``) or the AWR loss −E min(exp(β_awr (min Q(s, a) − V(s))), w_max)
   log π(a | s) with V the mean of min Q over ``awr_samples`` target-policy samples
   (``actor_type="awr"``, antmaze); the actor and critic targets then move by EMA at ``tau``.
   When γ_ent > 0 the target action is drawn from the target policy before smoothing, else it is
   its mean. Critic: Adam, constant rate, gradients clipped at ``grad_clip``; actor: Adam, cosine
   to 0 over its updates (``lr_decay``).

Acting: clip(tanh μ(s), ±1). Sweepable levels (``hparams``): ``alpha`` (the loss mix α),
``beta`` (the quantile β, also the locomotion off-U weight), ``gamma_ent`` (γ_ent).

Departures from the reference code, which does not run as published: each draw has its own key
(the code reuses one key for the target-policy sample and the smoothing noise, and splits the
sampler's key inside a jitted closure, which freezes its noise). The full account:
docs/algorithms.md §14.
"""

import functools

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos, td3_critic
from jaxdiffrl.agents.optimization import ema, make_optimizer, new_train_state
from jaxdiffrl.agents.phases import Phase
from jaxdiffrl.data.windows import windows_arrays
from jaxdiffrl.diffusion.consistency import (
    consistency_distillation_loss,
    consistency_fn,
    consistency_sample,
)
from jaxdiffrl.diffusion.edm import EDMConfig, denoise, edm_loss, heun_sample, karras_sigmas
from jaxdiffrl.networks import q_ensemble
from jaxdiffrl.networks.policies import GaussianPolicy
from jaxdiffrl.networks.return_model import ConditionalReturnNet

WEIGHTINGS = ("inverse_beta", "mild", "inverse")
ACTOR_TYPES = ("gaussian", "awr")
DISTILL_PAIRS = ("paper", "code")
CONSISTENCY_INITS = ("denoiser", "random")
SAMPLERS = ("consistency", "heun")
UNCERTAINTY_FLOOR = 1e-6  # keeps 1/H_Q finite where every sample agrees


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            # The return model F(c_in x, c_noise | s, a), shared by the denoiser and the consistency model.
            "return_model": {
                "hidden_dims": (256, 256, 256),
                "activation": "swish",
                "group_norm": 32,  # groups of GroupNorm before each activation (0: none)
                "time_frequencies": 8,  # fixed Fourier features of c_noise
                "fourier_scale": 16.0,
                "time_hidden_dims": (32, 32),
            },
            # EDM noise range, data scale and training-σ distribution (ln σ ~ N(p_mean, p_std²)).
            "edm": {
                "sigma_min": 0.002,
                "sigma_max": 80.0,
                "sigma_data": 0.5,
                "p_mean": -1.2,
                "p_std": 1.2,
                "rho": 7.0,
            },
            "windows": {"width": 200, "stride": 10, "max_windows": 100},  # the truncated-return dataset
            "denoiser_steps": 800_000,
            "denoiser_lr": 5e-4,
            "consistency_steps": 1_600_000,
            "consistency_lr": 4e-4,  # RAdam
            "num_scales": 1_000,  # points of the Karras grid the distillation pairs are drawn from
            "consistency_tau": 0.005,  # EMA rate of the distillation target…
            "consistency_ema_every": 5,  # …applied on every this-many-th update
            "distill_pairs": "paper",  # paper: all N − 1 pairs | code: the pair at σ_max left out
            # Where f_θ and f⁻ start: denoiser, the trained teacher's weights (as the consistency-models
            # reference code distils) | random, their own random weights (QDQ's code).
            "consistency_init": "denoiser",
            "distance": "l2",  # l2 | l1
            "uncertainty_samples": 50,  # samples of Q_T(s′, ã′) per target for H_Q
            # consistency: one-step samples f(σ_max z, σ_max) (the paper) | heun: the EDM teacher's
            # probability-flow ODE in heun_steps Heun steps (an alternative the reference code carries,
            # unused; 2·heun_steps network calls per sample instead of 1)
            "uncertainty_sampler": "consistency",
            "heun_steps": 18,
            "weighting": "inverse_beta",  # inverse_beta (locomotion) | mild (antmaze) | inverse
            "critic_hidden_dims": (256, 256, 256),
            "critic_activation": "mish",
            "critic_layer_norm": False,
            "num_qs": 2,
            "critic_lr": 3e-4,
            "grad_clip": 10.0,  # global-norm clip of the critic's gradients (antmaze 7, large-diverse 3)
            "actor_type": "gaussian",  # gaussian | awr
            "actor_hidden_dims": (256, 256, 256),
            "actor_layer_norm": False,
            "actor_lr": 3e-4,
            "lr_decay": True,  # the actor's rate: cosine to 0 over its updates (the critic's stays constant)
            "awr_temperature": 6.0,
            "awr_max_weight": 100.0,
            "awr_samples": 30,  # target-policy samples per state for V(s)
            "discount": 0.99,
            "tau": 0.005,
            "policy_noise": 0.2,
            "noise_clip": 0.5,
            "policy_freq": 2,
            # alpha: α mixing the two targets' losses; beta: the quantile of H_Q that defines U (and
            # the off-U weight of inverse_beta); gamma_ent: weight of the actor's log-likelihood term.
            "hparams": {"alpha": 0.992, "beta": 0.8, "gamma_ent": 0.8},
        }
    )


def q_learning_steps(config: ml_collections.ConfigDict) -> int:
    """The updates left for Q-learning after the return model's two phases."""
    return config.max_steps - config.agent.denoiser_steps - config.agent.consistency_steps


def target_weights(uncertainty: jnp.ndarray, beta, weighting: str) -> jnp.ndarray:
    """w (B,) of the pessimistic target from H_Q (B,): U = {H_Q > batch β-quantile of H_Q}."""
    uncertain = uncertainty > jnp.quantile(uncertainty, beta)
    inverse = 1.0 / jnp.maximum(uncertainty, UNCERTAINTY_FLOOR)
    if weighting == "inverse_beta":
        return jnp.where(uncertain, inverse, beta)
    if weighting == "mild":
        return jnp.where(uncertain, 1.0 + 0.1 * (1.0 - inverse), 1.0)
    if weighting == "inverse":
        return jnp.where(uncertain, inverse, 1.0)
    raise ValueError(f"Unknown agent.weighting {weighting!r}; choose one of {WEIGHTINGS}.")


def _check(value: str, choices: tuple[str, ...], key: str) -> None:
    if value not in choices:
        raise ValueError(f"Unknown agent.{key} {value!r}; choose one of {choices}.")


class QDQAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    denoiser: TrainState  # the EDM teacher
    consistency: TrainState  # the consistency model f_θ
    target_consistency_params: dict  # f⁻, the distillation target
    actor: TrainState
    target_actor_params: dict
    critic: TrainState
    target_critic_params: dict
    return_low: jax.Array  # the windows' return range: x ∈ [−1, 1] ↔ Q_T ∈ [low, high]
    return_high: jax.Array
    hparams: dict
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def phases(cls, config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
        agent = config.agent
        q_steps = q_learning_steps(config)
        if agent.denoiser_steps <= 0 or agent.consistency_steps <= 0 or q_steps <= 0:
            raise ValueError(
                f"QDQ needs positive denoiser, distillation and Q-learning phases: agent.denoiser_steps="
                f"{agent.denoiser_steps}, agent.consistency_steps={agent.consistency_steps} leave "
                f"{q_steps} of max_steps={config.max_steps} for Q-learning."
            )
        windows = functools.partial(
            windows_arrays,
            width=agent.windows.width,
            stride=agent.windows.stride,
            max_windows=agent.windows.max_windows,
            discount=agent.discount,
        )
        return (
            Phase(
                "return_model",
                agent.denoiser_steps,
                cls.update_denoiser,
                data=windows,
                start=cls.start_return_model,
                evaluate=False,
            ),
            Phase(
                "distillation",
                agent.consistency_steps,
                cls.update_consistency,
                data=windows,
                start=cls.start_distillation,
                evaluate=False,
            ),
            Phase("q_learning", q_steps, cls.update),
        )

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "QDQAgent":
        agent = config.agent
        _check(agent.weighting, WEIGHTINGS, "weighting")
        _check(agent.actor_type, ACTOR_TYPES, "actor_type")
        _check(agent.distill_pairs, DISTILL_PAIRS, "distill_pairs")
        _check(agent.consistency_init, CONSISTENCY_INITS, "consistency_init")
        _check(agent.uncertainty_sampler, SAMPLERS, "uncertainty_sampler")
        if agent.distance not in ("l2", "l1"):
            raise ValueError(f"Unknown agent.distance {agent.distance!r}; choose 'l2' or 'l1'.")
        if agent.policy_freq < 1:
            raise ValueError(f"agent.policy_freq must be at least 1, got {agent.policy_freq}.")
        if agent.num_scales < 3:
            raise ValueError(f"agent.num_scales must be at least 3, got {agent.num_scales}.")
        q_steps = q_learning_steps(config)
        rng, return_key, actor_key, critic_key = jax.random.split(rng, 4)
        return_net = ConditionalReturnNet(1, **agent.return_model)
        condition = jnp.concatenate([observations, actions], axis=-1)
        return_params = return_net.init(return_key, jnp.zeros((1, 1)), jnp.zeros((1,)), condition)
        actor_net = GaussianPolicy(
            tuple(agent.actor_hidden_dims),
            actions.shape[-1],
            layer_norm=agent.actor_layer_norm,
            state_dependent_std=False,
            tanh_mean=True,
        )
        actor_params = actor_net.init(actor_key, observations)
        critic_net = q_ensemble(
            agent.num_qs, agent.critic_hidden_dims, agent.critic_activation, agent.critic_layer_norm
        )
        critic_params = critic_net.init(critic_key, observations, actions)
        actor_updates = max(q_steps // agent.policy_freq, 1)
        copy = functools.partial(jax.tree.map, jnp.copy)
        # The student's own draw (folded from the return model's key, so the other draws keep their
        # streams); with consistency_init="denoiser" ``start_distillation`` overwrites it.
        student_params = (
            return_net.init(jax.random.fold_in(return_key, 1), jnp.zeros((1, 1)), jnp.zeros((1,)), condition)
            if agent.consistency_init == "random"
            else copy(return_params)
        )
        return cls(
            rng=rng,
            denoiser=new_train_state(
                return_net, return_params, make_optimizer(agent.denoiser_lr, decay_steps=agent.denoiser_steps)
            ),
            consistency=new_train_state(
                return_net,
                student_params,
                make_optimizer(agent.consistency_lr, decay_steps=agent.consistency_steps, name="radam"),
            ),
            target_consistency_params=copy(student_params),
            actor=new_train_state(
                actor_net,
                actor_params,
                make_optimizer(agent.actor_lr, decay_steps=actor_updates if agent.lr_decay else None),
            ),
            target_actor_params=copy(actor_params),
            critic=new_train_state(
                critic_net, critic_params, make_optimizer(agent.critic_lr, grad_clip=agent.grad_clip)
            ),
            target_critic_params=copy(critic_params),
            return_low=jnp.zeros((), jnp.float32),
            return_high=jnp.ones((), jnp.float32),
            hparams=hparams,
            config=ml_collections.FrozenConfigDict(agent),
        )

    # The return model ------------------------------------------------------------------------

    @property
    def edm(self) -> EDMConfig:
        return EDMConfig(**self.config.edm)

    def denoiser_fn(self, params, condition: jnp.ndarray):
        """D(x; σ | condition) with x (..., 1) and condition broadcastable to (..., obs + act)."""
        apply = self.denoiser.apply_fn
        raw = lambda scaled_x, c_noise: apply(params, scaled_x, c_noise, condition)
        return lambda x, sigma: denoise(raw, x, sigma, self.edm.sigma_data)

    def consistency_model(self, params, condition: jnp.ndarray):
        """f(x, t | condition), equal to x at t = σ_min."""
        apply = self.consistency.apply_fn
        raw = lambda scaled_x, c_noise: apply(params, scaled_x, c_noise, condition)
        edm = self.edm
        return lambda x, t: consistency_fn(raw, x, t, edm.sigma_data, edm.sigma_min)

    def start_return_model(self, data: dict) -> "QDQAgent":
        """Keeps the windows' return range, which de-normalises the samples in Q-learning."""
        return self.replace(return_low=data["return_low"], return_high=data["return_high"])

    def start_distillation(self, data: dict) -> "QDQAgent":
        """The consistency model and its target start from the trained denoiser's weights, or (with
        ``consistency_init="random"``) the target from the student's own initial weights."""
        from_teacher = self.config.consistency_init == "denoiser"
        params = self.denoiser.params if from_teacher else self.consistency.params
        return self.start_return_model(data).replace(
            consistency=self.consistency.replace(params=params),
            target_consistency_params=jax.tree.map(jnp.copy, params),
        )

    def update_denoiser(self, batch: dict) -> tuple["QDQAgent", dict]:
        rng, key = jax.random.split(self.rng)
        condition = jnp.concatenate([batch["observations"], batch["actions"]], axis=-1)

        def loss_fn(params):
            return edm_loss(self.denoiser_fn(params, condition), batch["returns"], key, self.edm).mean()

        loss, grads = jax.value_and_grad(loss_fn)(self.denoiser.params)
        denoiser = self.denoiser.apply_gradients(grads=grads)
        return self.replace(rng=rng, denoiser=denoiser), infos.group("behaviour", {"denoiser_loss": loss})

    def update_consistency(self, batch: dict) -> tuple["QDQAgent", dict]:
        config = self.config
        rng, key = jax.random.split(self.rng)
        condition = jnp.concatenate([batch["observations"], batch["actions"]], axis=-1)
        teacher = self.denoiser_fn(self.denoiser.params, condition)
        target = self.consistency_model(self.target_consistency_params, condition)
        max_index = config.num_scales - (2 if config.distill_pairs == "paper" else 3)

        def loss_fn(params):
            return consistency_distillation_loss(
                self.consistency_model(params, condition),
                target,
                teacher,
                batch["returns"],
                key,
                self.edm,
                num_scales=config.num_scales,
                min_index=0,
                max_index=max_index,
                distance=config.distance,
            ).mean()

        loss, grads = jax.value_and_grad(loss_fn)(self.consistency.params)
        due = self.consistency.step % config.consistency_ema_every == 0
        consistency = self.consistency.apply_gradients(grads=grads)
        target_params = td3_critic.select(
            due,
            ema(consistency.params, self.target_consistency_params, config.consistency_tau),
            self.target_consistency_params,
        )
        agent = self.replace(rng=rng, consistency=consistency, target_consistency_params=target_params)
        return agent, infos.group("behaviour", {"consistency_loss": loss})

    def uncertainty(self, observations: jnp.ndarray, actions: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """H_Q (B,): the std of ``uncertainty_samples`` samples of Q_T(s, a), in return units."""
        condition = jnp.concatenate([observations, actions], axis=-1)[:, None, :]
        shape = (observations.shape[0], self.config.uncertainty_samples, 1)
        edm = self.edm
        if self.config.uncertainty_sampler == "heun":
            sigmas = karras_sigmas(self.config.heun_steps, edm.sigma_min, edm.sigma_max, edm.rho)[::-1]
            samples = heun_sample(self.denoiser_fn(self.denoiser.params, condition), rng, shape, sigmas)
        else:
            samples = consistency_sample(
                self.consistency_model(self.consistency.params, condition), rng, shape, edm.sigma_max
            )
        return samples[..., 0].std(axis=-1) * 0.5 * (self.return_high - self.return_low)

    # Q-learning ------------------------------------------------------------------------------

    def target_action(self, next_observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """ã′: the target policy's mean (a sample of it when γ_ent > 0), smoothed and clipped."""
        sample_key, noise_key = jax.random.split(rng)
        dist = self.actor.apply_fn(self.target_actor_params, next_observations)
        policy = jnp.where(self.hparams["gamma_ent"] > 0, dist.sample(sample_key), dist.mode())
        config = self.config
        return td3_critic.smoothed_target_action(policy, noise_key, config.policy_noise, config.noise_clip)

    def critic_targets(self, batch: dict, rng: jax.Array) -> tuple[jnp.ndarray, jnp.ndarray, dict]:
        """(y_H, y_L, info), each target (B,)."""
        action_key, sample_key = jax.random.split(rng)
        next_obs = batch["next_observations"]
        next_actions = self.target_action(next_obs, action_key)
        uncertainty = jax.lax.stop_gradient(self.uncertainty(next_obs, next_actions, sample_key))
        weights = target_weights(uncertainty, self.hparams["beta"], self.config.weighting)
        next_qs = self.critic.apply_fn(self.target_critic_params, next_obs, next_actions)
        discount = self.config.discount
        high = td3_critic.td_target(batch["rewards"], batch["masks"], next_qs, discount)
        next_q = next_qs.min(axis=0)  # w multiplies the min (w may be negative under "mild")
        low = jax.lax.stop_gradient(batch["rewards"] + discount * batch["masks"] * weights * next_q)
        info = {
            "uncertainty": uncertainty.mean(),
            "uncertain_fraction": (uncertainty > jnp.quantile(uncertainty, self.hparams["beta"])).mean(),
            "target_weight": weights.mean(),
        }
        return high, low, info

    def actor_loss(self, params, critic: TrainState, batch: dict, rng: jax.Array) -> tuple[jnp.ndarray, dict]:
        observations, actions = batch["observations"], batch["actions"]
        dist = self.actor.apply_fn(params, observations)
        log_probs = dist.log_prob(actions)
        if self.config.actor_type == "awr":
            config = self.config
            q_data = critic.apply_fn(critic.params, observations, actions).min(axis=0)
            repeated = jnp.broadcast_to(observations, (config.awr_samples, *observations.shape))
            samples = self.actor.apply_fn(self.target_actor_params, repeated).sample(rng)
            value = critic.apply_fn(critic.params, repeated, samples).min(axis=0).mean(axis=0)
            weights = jnp.minimum(jnp.exp(config.awr_temperature * (q_data - value)), config.awr_max_weight)
            weights = jax.lax.stop_gradient(weights)
            loss = -(weights * log_probs).mean()
            return loss, {
                "loss": loss,
                "log_prob": log_probs.mean(),
                "awr_weight": weights.mean(),
                "q": q_data.mean(),
            }
        policy_q = critic.apply_fn(critic.params, observations, dist.mode()).min(axis=0)
        likelihood = self.hparams["gamma_ent"] * log_probs.mean()
        loss = -policy_q.mean() - likelihood
        return loss, {
            "loss": loss,
            "log_prob": log_probs.mean(),
            "q": policy_q.mean(),
            "std": jnp.exp(dist.log_std).mean(),
        }

    def update(self, batch: dict) -> tuple["QDQAgent", dict]:
        """One Q-learning update: the critic on the mixed loss, then (when due) the actor and targets."""
        rng, target_key, actor_key = jax.random.split(self.rng, 3)
        high, low, target_info = self.critic_targets(batch, target_key)
        alpha = self.hparams["alpha"]

        def critic_loss_fn(params):
            qs = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            loss_high = td3_critic.critic_loss(qs, high)
            loss_low = td3_critic.critic_loss(qs, low)
            loss = alpha * loss_high + (1.0 - alpha) * loss_low
            return loss, {
                "loss": loss,
                "loss_high": loss_high,
                "loss_low": loss_low,
                "q": qs.mean(),
                "target_high": high.mean(),
                "target_low": low.mean(),
            }

        critic_grads, critic_info = jax.grad(critic_loss_fn, has_aux=True)(self.critic.params)
        critic = self.critic.apply_gradients(grads=critic_grads)
        actor_grads, actor_info = jax.grad(self.actor_loss, has_aux=True)(
            self.actor.params, critic, batch, actor_key
        )
        step = self.critic.step  # Q-learning updates done before this one
        actor, target_actor_params, target_critic_params = td3_critic.delayed_actor_update(
            step,
            self.config.policy_freq,
            self.config.tau,
            self.actor,
            actor_grads,
            self.target_actor_params,
            critic.params,
            self.target_critic_params,
        )
        actor_info["updated"] = td3_critic.policy_update_due(step, self.config.policy_freq).astype(
            jnp.float32
        )
        agent = self.replace(
            rng=rng,
            actor=actor,
            target_actor_params=target_actor_params,
            critic=critic,
            target_critic_params=target_critic_params,
        )
        return agent, infos.merge(
            infos.group("critic", {**critic_info, **target_info}), infos.group("actor", actor_info)
        )

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        return jnp.clip(self.actor.apply_fn(self.actor.params, observations).mode(), -1.0, 1.0)
