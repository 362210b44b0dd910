"""IDQL (Hansen-Estruch et al., 2023): IQL's critic and a diffusion behaviour model, joined only to act.

Training: the generalised IQL critic (``IQLCritic``; expectile, quantile or exponential V loss) and
a DDPM behaviour model μ_φ fitted to the dataset actions by the ε-loss. They never interact while
training, so they run one after the other (``schedule="sequential"``: a critic phase, then an actor
phase, ``critic_fraction`` of ``max_steps`` going to the critic) or side by side
(``"interleaved"``: both every step, the critic on the first ``batch_size`` rows of the actor batch).

Acting (Algorithm 2): draw N candidates a_i ~ μ_φ(·|s); ``extraction="argmax"`` executes
argmax_i min_j Q̄_j(s, a_i) (eq. 13), ``"implicit"`` resamples a_i with probability ∝ w(s, a_i)
(eqs. 9, 10, 12), a draw from the implicit actor π_imp ∝ μ·w of Theorem 4.1.

Online fine-tuning (Table 3, ``jaxdiffrl.train.online``): mode ``max`` explores greedily with a
frozen behaviour model and tunes Q and V (1 step per env step); ``implicit`` explores with the
implicit actor and tunes Q, V and μ_φ (2 actor steps per env step).
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents.iql_critic import IQLCritic, default_critic_config
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.value_losses import VALUE_LOSSES, implicit_actor_weights
from jaxdiffrl.diffusion.policy import DiffusionPolicy, default_diffusion_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.domains import iql_data_config
from jaxdiffrl.train.online import OnlineMode, OnlineUpdate, default_online_config
from jaxdiffrl.train.phases import Phase

SCHEDULES = ("sequential", "interleaved")
EXTRACTIONS = ("argmax", "implicit")
SETTINGS = ("A", "1")

# IDQL Appendix E. The critic hyperparameter of each value loss (τ, or α for the exponential)…
PAPER_CRITIC_HPARAMS = {
    "locomotion": {"expectile": 0.7, "quantile": 0.6, "exponential": 1.0},
    "antmaze": {"expectile": 0.9, "quantile": 0.8, "exponential": 0.5},
}
# …and the samples per state N and the total critic + actor steps of the "-A" (any tuning) and
# "-1" (one hyperparameter per domain) settings: critic 1.5M + actor 3M, or 1M + 2M.
PAPER_NUM_SAMPLES = {"A": {"locomotion": 128, "antmaze": 32}, "1": {"locomotion": 64, "antmaze": 64}}
PAPER_TOTAL_STEPS = {"A": 4_500_000, "1": 3_000_000}


def idql_diffusion_config(**overrides) -> ml_collections.ConfigDict:
    """IDQL's behaviour model: LN-ResNet (3 blocks, width 256, dropout 0.1), learned Fourier time
    features, T = 5 vp schedule, DDPM sampling with β_t noise as IDQL's sampler."""
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
    )
    config.update(overrides)
    return config


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "critic": default_critic_config(),
            "diffusion": idql_diffusion_config(),
            "actor_lr": 3e-4,
            "actor_cosine_decay": True,  # over the actor's steps
            "actor_batch_size": 1024,  # the critic uses the top-level batch_size (256)
            "schedule": "sequential",  # sequential | interleaved
            "critic_fraction": 1 / 3,  # sequential: the paper's 1.5M critic / 3M actor split
            "extraction": "argmax",  # argmax (eq. 13) | implicit (Algorithm 2 resampling)
            "num_samples": 32,  # N candidates per state
            # Sweepable: tau (expectile / quantile level), alpha (exponential-loss temperature).
            "hparams": {"tau": 0.7, "alpha": 1.0},
        }
    )


def paper_config(domain: str, setting: str = "A", value_loss: str = "expectile") -> ml_collections.ConfigDict:
    """IDQL's agent block for ``domain`` in setting "A" or "1" with the given critic loss.

    The paper tunes locomotion and antmaze only; other domains take the locomotion values (IQL's
    τ = 0.7 for kitchen, adroit and maze2d as well)."""
    if setting not in SETTINGS:
        raise ValueError(f"Unknown IDQL setting {setting!r}; choose 'A' (any tuning) or '1' (one hparam).")
    if value_loss not in VALUE_LOSSES:
        raise ValueError(f"Unknown value loss {value_loss!r}; choose one of {VALUE_LOSSES}.")
    table = domain if domain in PAPER_CRITIC_HPARAMS else "locomotion"
    config = default_config()
    config.critic.value_loss = value_loss
    level = "alpha" if value_loss == "exponential" else "tau"
    config.hparams[level] = PAPER_CRITIC_HPARAMS[table][value_loss]
    config.num_samples = PAPER_NUM_SAMPLES[setting][table]
    return config


# Per paper domain: the default setting ("-A" where IDQL reports it, else "-1"), eval cadence.
_PAPER_RUNS = {
    "locomotion": {"setting": "A", "eval_interval": 250_000, "eval_episodes": 10},
    "antmaze": {"setting": "A", "eval_interval": 500_000, "eval_episodes": 100},
    "kitchen": {"setting": "1", "eval_interval": 250_000, "eval_episodes": 10},
    "adroit": {"setting": "1", "eval_interval": 250_000, "eval_episodes": 10},
}


def paper_run_config(domain: str, arg: str) -> ml_collections.ConfigDict:
    """The full run config of a paper domain from ``DATASET[,setting=A|1][,loss=…]``."""
    run = _PAPER_RUNS[domain]
    dataset, options = parse_config_arg(arg, {"setting": run["setting"], "loss": "expectile"})
    return base_config(
        "idql",
        dataset,
        paper_config(domain, options["setting"], options["loss"]),
        iql_data_config(domain),
        max_steps=PAPER_TOTAL_STEPS[options["setting"]],
        log_interval=5_000,
        eval_interval=run["eval_interval"],
        checkpoint_interval=250_000,
        eval_episodes=run["eval_episodes"],
        online=default_online_config(),
    )


def critic_actor_phases(config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
    """The phases of a critic + actor agent (IDQL, ACD, ACG) under ``config.agent.schedule``."""
    agent = config.agent
    if agent.schedule not in SCHEDULES:
        raise ValueError(f"Unknown agent.schedule {agent.schedule!r}; choose one of {SCHEDULES}.")
    if agent.schedule == "interleaved":
        return (Phase("train", config.max_steps, "update", agent.actor_batch_size),)
    critic_steps = round(config.max_steps * agent.critic_fraction)
    phases = (
        Phase("critic", critic_steps, "update_critic", config.batch_size),
        Phase("actor", config.max_steps - critic_steps, "update_actor", agent.actor_batch_size),
    )
    return tuple(p for p in phases if p.steps > 0)


def actor_steps(config: ml_collections.ConfigDict) -> int:
    """How many updates the actor gets (the length of its cosine decay)."""
    return sum(p.steps for p in critic_actor_phases(config) if p.update != "update_critic")


def candidate_q(critic: IQLCritic, observations: jnp.ndarray, candidates: jnp.ndarray) -> jnp.ndarray:
    """min_j Q̄_j(s, a_i) of N candidates per state: observations (B, o), candidates (B, N, d) → (B, N)."""
    batch, num, action_dim = candidates.shape
    repeated = jnp.repeat(observations, num, axis=0)
    return critic.target_q(repeated, candidates.reshape(batch * num, action_dim)).reshape(batch, num)


def take_candidates(candidates: jnp.ndarray, index: jnp.ndarray) -> jnp.ndarray:
    """candidates (B, N, d), index (B,) → (B, d)."""
    return jnp.take_along_axis(candidates, index[:, None, None], axis=1)[:, 0]


def argmax_candidates(candidates: jnp.ndarray, q: jnp.ndarray) -> jnp.ndarray:
    """The candidate of highest Q per state (IDQL eq. 13, ACD-F's value filter)."""
    return take_candidates(candidates, jnp.argmax(q, axis=-1))


def resample_candidates(candidates: jnp.ndarray, weights: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
    """One candidate per state drawn with probability w_i / Σ_j w_j (importance resampling)."""
    return take_candidates(candidates, jax.random.categorical(rng, jnp.log(weights), axis=-1))


class IDQLAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    critic: IQLCritic
    actor: TrainState
    hparams: dict
    diffusion: DiffusionPolicy
    extraction: str = flax.struct.field(pytree_node=False, default="argmax")
    num_samples: int = flax.struct.field(pytree_node=False, default=32)
    critic_batch_size: int = flax.struct.field(pytree_node=False, default=256)

    @staticmethod
    def phases(config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
        return critic_actor_phases(config)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "IDQLAgent":
        agent_config = config.agent
        if agent_config.extraction not in EXTRACTIONS:
            raise ValueError(
                f"Unknown agent.extraction {agent_config.extraction!r}; choose one of {EXTRACTIONS}."
            )
        rng, critic_key, actor_key = jax.random.split(rng, 3)
        diffusion = DiffusionPolicy.from_config(agent_config.diffusion, actions.shape[-1])
        decay = actor_steps(config) if agent_config.actor_cosine_decay else None
        tx = make_optimizer(agent_config.actor_lr, decay_steps=decay)
        return cls(
            rng=rng,
            critic=IQLCritic.create(critic_key, observations, actions, agent_config.critic),
            actor=new_train_state(diffusion.net, diffusion.init(actor_key, observations), tx),
            hparams=hparams,
            diffusion=diffusion,
            extraction=agent_config.extraction,
            num_samples=agent_config.num_samples,
            critic_batch_size=config.batch_size,
        )

    def update_critic(self, batch: dict) -> tuple["IDQLAgent", dict]:
        critic, info = self.critic.update(batch, self.hparams)
        return self.replace(critic=critic), info

    def update_actor(self, batch: dict) -> tuple["IDQLAgent", dict]:
        rng, key = jax.random.split(self.rng)

        def loss_fn(params):
            loss = self.diffusion.loss(params, batch["observations"], batch["actions"], key).mean()
            return loss, {"actor_loss": loss}

        grads, info = jax.grad(loss_fn, has_aux=True)(self.actor.params)
        return self.replace(rng=rng, actor=self.actor.apply_gradients(grads=grads)), info

    def update(self, batch: dict) -> tuple["IDQLAgent", dict]:
        """Interleaved: a critic step on the first ``critic_batch_size`` rows, an actor step on all."""
        critic_batch = jax.tree.map(lambda x: x[: self.critic_batch_size], batch)
        agent, critic_info = self.update_critic(critic_batch)
        agent, actor_info = agent.update_actor(batch)
        return agent, {**critic_info, **actor_info}

    def score_candidates(
        self, observations: jnp.ndarray, candidates: jnp.ndarray
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """min_j Q̄_j(s, a_i) and the implicit-actor weights w(s, a_i) of candidates (B, N, d): (B, N) each."""
        q = candidate_q(self.critic, observations, candidates)
        v = self.critic.value(observations)[:, None]
        return q, implicit_actor_weights(self.critic.value_loss_kind, q, v, self.hparams)

    def sample_candidates(
        self, observations: jnp.ndarray, rng: jax.Array
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """N behaviour samples per state with their Q and weights: (B, N, d), (B, N), (B, N)."""
        candidates = self.diffusion.sample_candidates(self.actor.params, observations, rng, self.num_samples)
        return candidates, *self.score_candidates(observations, candidates)

    def act_greedy(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Eq. 13: the highest-Q of N behaviour samples."""
        candidates, q, _ = self.sample_candidates(observations, rng)
        return argmax_candidates(candidates, q)

    def act_implicit(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        """Algorithm 2: one of N behaviour samples, drawn ∝ w(s, a_i) (the implicit actor)."""
        sample_key, choice_key = jax.random.split(rng)
        candidates, _, weights = self.sample_candidates(observations, sample_key)
        return resample_candidates(candidates, weights, choice_key)

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        if self.extraction == "implicit":
            return self.act_implicit(observations, rng)
        return self.act_greedy(observations, rng)

    @staticmethod
    def online_mode(config: ml_collections.ConfigDict) -> OnlineMode:
        """IDQL-Max (frozen μ_φ, greedy exploration) or IDQL-Imp (implicit exploration, μ_φ tuned)."""
        critic = OnlineUpdate("update_critic", 1, config.batch_size)
        if config.online.mode == "max":
            return OnlineMode("act_greedy", (critic,))
        if config.online.mode == "implicit":
            actor = OnlineUpdate("update_actor", 2, config.agent.actor_batch_size)
            return OnlineMode("act_implicit", (critic, actor))
        raise ValueError(f"Unknown online.mode {config.online.mode!r}; choose 'max' or 'implicit'.")

    def start_online(self, config: ml_collections.ConfigDict) -> "IDQLAgent":
        """Restarts the actor's optimiser at a constant ``online.actor_lr`` (its offline cosine
        schedule has decayed to zero by now)."""
        tx = make_optimizer(config.online.actor_lr)
        return self.replace(actor=self.actor.replace(tx=tx, opt_state=tx.init(self.actor.params)))
