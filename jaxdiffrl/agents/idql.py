"""IDQL (Hansen-Estruch et al., 2023): IQL's critic and a diffusion behaviour model, joined only to act.

Training: the generalised IQL critic (``IQLCritic``; expectile, quantile or exponential V loss) and
a DDPM behaviour model μ_φ fitted to the dataset actions by the ε-loss. They never interact while
training, so they run one after the other (``schedule="sequential"``: a critic phase, then an actor
phase, ``critic_fraction`` of ``max_steps`` going to the critic) or side by side
(``"interleaved"``: both every step, the critic on the first ``batch_size`` rows of the actor batch).

Acting (Algorithm 2): draw N candidates a_i ~ μ_φ(·|s) — from the slow EMA copy of μ_φ (rate
``actor_tau`` = 0.001, as IDQL's reference code) unless ``act_with="online"``;
``extraction="argmax"`` executes argmax_i min_j Q̄_j(s, a_i) (eq. 13), ``"implicit"`` resamples a_i
with probability ∝ w(s, a_i) (eqs. 9, 10, 12), a draw from the implicit actor π_imp ∝ μ·w of Theorem 4.1.

Online fine-tuning (Table 3, ``jaxdiffrl.train.online``): mode ``max`` explores greedily with a
frozen behaviour model and tunes Q and V (1 step per env step); ``implicit`` explores with the
implicit actor and tunes Q, V and μ_φ (2 actor steps per env step).

The behaviour model is the agent's ``actor`` (its infos ``actor/…``): IDQL acts through it.
The paper's per-domain settings are in ``jaxdiffrl.app.paper_configs``.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §4.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import candidates, infos
from jaxdiffrl.agents.critic_then_actor import CriticThenActor, check_act_with
from jaxdiffrl.agents.iql_critic import IQLCritic, default_critic_config
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.phases import OnlineMode, OnlineUpdate
from jaxdiffrl.agents.value_losses import IMPLICIT_WEIGHT_FORMS, implicit_actor_weights
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config

EXTRACTIONS = ("argmax", "implicit")


def idql_diffusion_config(**overrides) -> ml_collections.ConfigDict:
    """IDQL's behaviour model: LN-ResNet (3 blocks, width 256, dropout 0.1), learned Fourier time
    features, T = 5 vp schedule, and IDQL's reference sampler: DDPM with β_t noise, the unclipped
    posterior mean, each iterate x_{t−1} clipped to ±1 after its noise (``clip_denoised=True,
    clip_iterate=False`` is the x̂₀-clipping form instead)."""
    config = default_diffusion_config(
        trunk="resnet",
        resnet_blocks=3,
        resnet_width=256,
        dropout_rate=0.1,
        layer_norm=True,
        time_embedding="fourier",
        time_dim=64,
        schedule="vp",
        num_steps=5,
        variance="beta",
        clip_denoised=False,
        clip_iterate=True,
    )
    config.update(overrides)
    return config


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "critic": default_critic_config(),
            "diffusion": idql_diffusion_config(),
            "actor_lr": 3e-4,
            "lr_decay": True,  # the behaviour model's cosine decay over its steps
            "actor_batch_size": 1024,  # the critic uses the top-level batch_size (256)
            "schedule": "sequential",  # sequential | interleaved
            "critic_fraction": 1 / 3,  # sequential: the paper's 1.5M critic / 3M actor split
            "extraction": "argmax",  # argmax (eq. 13) | implicit (Algorithm 2 resampling)
            "implicit_weights": "paper",  # paper (eqs. 9, 10, 12) | code (IDQL's reference code)
            "actor_tau": 0.001,  # EMA rate of the behaviour model's slow copy (reference code)
            "act_with": "target",  # target (the slow copy proposes candidates, reference) | online
            "num_candidates": 32,  # N behaviour samples per state
            # Sweepable: the level of each value loss (only critic.value_loss's is used).
            "hparams": {"expectile": 0.7, "quantile": 0.6, "alpha_exp": 1.0},
        }
    )


class IDQLAgent(CriticThenActor, flax.struct.PyTreeNode):
    rng: jax.Array
    critic: IQLCritic
    actor: TrainState
    target_actor_params: dict
    hparams: dict
    diffusion: DiffusionPolicy
    extraction: str = flax.struct.field(pytree_node=False, default="argmax")
    implicit_weights: str = flax.struct.field(pytree_node=False, default="paper")
    actor_tau: float = flax.struct.field(pytree_node=False, default=0.001)
    act_with: str = flax.struct.field(pytree_node=False, default="target")
    num_candidates: int = flax.struct.field(pytree_node=False, default=32)
    critic_batch_size: int = flax.struct.field(pytree_node=False, default=256)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "IDQLAgent":
        agent_config = config.agent
        if agent_config.get("implicit_weights", "paper") not in IMPLICIT_WEIGHT_FORMS:
            raise ValueError(
                f"Unknown agent.implicit_weights {agent_config.implicit_weights!r}; "
                f"choose one of {IMPLICIT_WEIGHT_FORMS}."
            )
        if agent_config.extraction not in EXTRACTIONS:
            raise ValueError(
                f"Unknown agent.extraction {agent_config.extraction!r}; choose one of {EXTRACTIONS}."
            )
        check_act_with(agent_config.act_with)
        rng, critic_key, actor_key = jax.random.split(rng, 3)
        diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
        decay = cls.actor_steps(config) if agent_config.lr_decay else None
        tx = make_optimizer(agent_config.actor_lr, decay_steps=decay)
        actor_params = diffusion.init(actor_key, observations)
        return cls(
            rng=rng,
            critic=IQLCritic.create(critic_key, observations, actions, agent_config.critic),
            actor=new_train_state(diffusion.net, actor_params, tx),
            target_actor_params=jax.tree.map(jnp.copy, actor_params),
            hparams=hparams,
            diffusion=diffusion,
            extraction=agent_config.extraction,
            implicit_weights=agent_config.get("implicit_weights", "paper"),
            actor_tau=agent_config.actor_tau,
            act_with=agent_config.act_with,
            num_candidates=agent_config.num_candidates,
            critic_batch_size=config.batch_size,
        )

    def update_actor(self, batch: dict) -> tuple["IDQLAgent", dict]:
        """One ε-loss step of the behaviour model μ_φ, and of its slow EMA copy."""
        rng, key = jax.random.split(self.rng)

        def loss_fn(params):
            loss = self.diffusion.loss(params, batch["observations"], batch["actions"], key).mean()
            return loss, {"loss": loss}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        agent = self.with_actor(self.actor.apply_gradients(grads=grads), rng=rng)
        return agent, infos.group("actor", info)

    def score_candidates(
        self, observations: jnp.ndarray, actions: jnp.ndarray
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """min_j Q̄_j(s, a_i) and the implicit-actor weights w(s, a_i) of candidates (B, N, d): (B, N) each."""
        q = candidates.candidate_values(self.critic.target_q, observations, actions)
        v = self.critic.value(observations)[:, None]
        weights = implicit_actor_weights(
            self.critic.value_loss_kind, q, v, self.hparams, self.implicit_weights
        )
        return q, weights

    def sample_candidates(
        self, observations: jnp.ndarray, rng: jax.Array
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """N behaviour samples per state with their Q and weights: (B, N, d), (B, N), (B, N). The
        samples come from the slow EMA copy of μ_φ by default (``act_with``)."""
        actions = self.diffusion.sample_candidates(self.acting_params, observations, rng, self.num_candidates)
        return actions, *self.score_candidates(observations, actions)

    def act_greedy(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Eq. 13: the highest-Q of N behaviour samples."""
        actions, q, _ = self.sample_candidates(observations, rng)
        return candidates.select(actions, q, rng, "argmax")

    def act_implicit(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Algorithm 2: one of N behaviour samples, drawn ∝ w(s, a_i) (the implicit actor)."""
        sample_key, choice_key = jax.random.split(rng)
        actions, _, weights = self.sample_candidates(observations, sample_key)
        return candidates.select(actions, weights, choice_key, "resample")

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        if self.extraction == "implicit":
            return self.act_implicit(observations, rng)
        return self.act_greedy(observations, rng)

    @classmethod
    def online_mode(cls, config: ml_collections.ConfigDict) -> OnlineMode:
        """IDQL-Max (frozen μ_φ, greedy exploration) or IDQL-Imp (implicit exploration, μ_φ tuned)."""
        critic = OnlineUpdate(cls.update_critic, 1, config.batch_size)
        if config.online.mode == "max":
            return OnlineMode(cls.act_greedy, (critic,))
        if config.online.mode == "implicit":
            actor = OnlineUpdate(cls.update_actor, 2, config.online.actor_batch_size)
            return OnlineMode(cls.act_implicit, (critic, actor))
        raise ValueError(f"Unknown online.mode {config.online.mode!r}; choose 'max' or 'implicit'.")

    def start_online(self, config: ml_collections.ConfigDict) -> "IDQLAgent":
        """Restarts the actor's optimiser at a constant ``online.actor_lr`` (its offline cosine
        schedule has decayed to zero by now)."""
        tx = make_optimizer(config.online.actor_lr)
        return self.replace(actor=self.actor.replace(tx=tx, opt_state=tx.init(self.actor.params)))
