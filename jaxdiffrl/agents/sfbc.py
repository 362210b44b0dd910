"""SfBC (Selecting from Behaviour Candidates): a continuous-time score model of the behaviour policy
proposes actions, a critic learned by in-sample planning picks among them.

Phases, all run by the engine:

1. ``behaviour``: the score network s_θ(a_t, t | s) (``SfBCScoreNet``) on the VP-SDE, ε-loss
   ‖σ_t s_θ(α_t a + σ_t ε, t | s) + ε‖², t ~ U(1e-5, 1); Adam ``behaviour_lr`` at batch
   ``behaviour_batch_size`` (4096). Not evaluated (nothing can pick candidates yet).
2. ``planning_1`` … ``planning_K`` (K = ``planning_iterations``): each begins with a whole-dataset
   computation (``Phase.start``) and then fits Q_φ for ``critic_steps`` updates at batch
   ``critic_batch_size``, looking each row's target up by the batch's ``indices``:
   - ``planning_1``'s start draws M = ``planning_samples`` (16) behaviour actions per dataset
     state once (DPM-Solver, ``solver``), keeps them in the agent for every later iteration,
     and takes the Monte-Carlo returns R⁽⁰⁾ as targets;
   - ``planning_k``'s start (k ≥ 2) values each state by V(s) = Σ_m softmax(α Q̂(s, a_m))
     Q(s, a_m) over its M samples, with Q̂ the previous fit and Q its de-normalisation by the
     previous targets' statistics, and re-plans R along the trajectories (``planning="paper"``:
     R_n = r_n + γ max(R_{n+1}, V_{n+1}); ``"code"``: R_n = max(r_n + γ R_{n+1}, V_n); both reset
     at trajectory ends with no bootstrap);
   - every start normalises its targets, (R − mean)/max(std, 0.1), over the whole dataset, and
     resets Q_φ to the same initial weights with a fresh optimiser. MSE to the targets, Adam
     ``critic_lr`` (1e-3); no target network, one head.
   The per-row arrays (behaviour samples, targets) live in the agent, so a checkpoint inside an
   iteration resumes it exactly.

Acting: ``num_candidates`` (32) DPM-Solver samples per state, scored by Q̂; ``selection="topk_mean"``
averages the ``top_k`` best (4 locomotion, 1 antmaze) — the reference draws k without replacement
with p ∝ exp(100 Q̂), in effect the top k — or ``"softmax"`` draws one ∝ exp(α Q̂). The result is
clipped to the action box.

Sweepable (``hparams``): ``value_temperature`` α (20), of both the planning value and the softmax
selection. docs/algorithms.md §16 has the account.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import candidates, in_sample_planning, infos
from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.phases import Phase
from jaxdiffrl.diffusion.dpm_solver import SKIP_TYPES, dpm_solver_sample
from jaxdiffrl.diffusion.sde import VPSDE, epsilon_loss
from jaxdiffrl.diffusion.sfbc_score_net import SfBCScoreNet, sfbc_noise_fn
from jaxdiffrl.networks.critics import StateActionValue
from jaxdiffrl.networks.mlp import activation_by_name

SELECTIONS = ("topk_mean", "softmax")


def default_config() -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(
        {
            "behaviour": {  # the score network (SfBCScoreNet)
                "widths": (512, 256, 128),
                "time_dim": 32,
                "state_embed_dim": 32,
                "condition_dim": 128,
                "fourier_scale": 30.0,
            },
            "sde": {"beta_min": 0.1, "beta_max": 20.0},
            "solver": {"steps": 15, "order": 3, "skip_type": "time_uniform", "t_end": 1e-3},
            "behaviour_steps": 586_000,  # 600 epochs of 4M samples at batch 4096 for a 1M-row dataset
            "behaviour_lr": 1e-4,
            "behaviour_batch_size": 4096,
            "planning_iterations": 2,  # K
            "planning": "paper",  # paper: r + γ max(R′, V(s′)) | code: max(r + γR′, V(s))
            "planning_samples": 16,  # M behaviour samples per dataset state, drawn once
            "chunk_size": 1024,  # dataset states per batch of the whole-dataset computations
            "target_min_std": 0.1,
            "critic_hidden_dims": (256, 256),
            "critic_activation": "silu",
            "critic_lr": 1e-3,
            "critic_steps": 24_414,  # per iteration: 100 epochs of 1M samples at batch 4096
            "critic_batch_size": 4096,
            "discount": 0.99,
            "num_candidates": 32,
            "selection": "topk_mean",  # topk_mean | softmax
            "top_k": 4,
            # value_temperature: α of V's softmax over behaviour samples (and of softmax selection).
            "hparams": {"value_temperature": 20.0},
        }
    )


def total_steps(agent: ml_collections.ConfigDict) -> int:
    """behaviour_steps + K · critic_steps: the ``max_steps`` an SfBC config must have."""
    return agent.behaviour_steps + agent.planning_iterations * agent.critic_steps


class SfBCAgent(flax.struct.PyTreeNode):
    rng: jax.Array
    behaviour: TrainState  # score network variables
    critic: TrainState  # Q̂_φ(s, a), normalised
    initial_critic_params: dict  # every iteration restarts from these
    # Per dataset row, filled by the first planning start; one-row placeholders before (orbax stores
    # no empty arrays).
    behaviour_actions: jax.Array  # (N, M, d) behaviour samples per dataset state
    targets: jax.Array  # (N,) normalised targets of the current iteration
    target_mean: jax.Array  # the current targets' statistics: Q = Q̂·std + mean
    target_std: jax.Array
    hparams: dict
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def phases(cls, config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
        agent = config.agent
        if agent.planning_iterations < 1 or agent.behaviour_steps < 1 or agent.critic_steps < 1:
            raise ValueError(
                "SfBC needs agent.planning_iterations, agent.behaviour_steps and agent.critic_steps of at "
                f"least 1, got {agent.planning_iterations}, {agent.behaviour_steps}, {agent.critic_steps}."
            )
        if total_steps(agent) != config.max_steps:
            raise ValueError(
                f"SfBC trains behaviour_steps + planning_iterations × critic_steps = {total_steps(agent)} "
                f"updates, but max_steps={config.max_steps}; set max_steps to that sum."
            )
        phases = [
            Phase("behaviour", agent.behaviour_steps, cls.update_behaviour, agent.behaviour_batch_size,
                  evaluate=False),
            Phase("planning_1", agent.critic_steps, cls.update_critic, agent.critic_batch_size,
                  start=cls.start_first_iteration),
        ]  # fmt: skip
        for k in range(2, agent.planning_iterations + 1):
            phases.append(
                Phase(f"planning_{k}", agent.critic_steps, cls.update_critic, agent.critic_batch_size,
                      start=cls.start_iteration)
            )  # fmt: skip
        return tuple(phases)

    @classmethod
    def create(
        cls, rng, observations, actions, config: ml_collections.ConfigDict, hparams: dict
    ) -> "SfBCAgent":
        agent = config.agent
        if agent.selection not in SELECTIONS:
            raise ValueError(f"Unknown agent.selection {agent.selection!r}; choose one of {SELECTIONS}.")
        if agent.planning not in in_sample_planning.FORMS:
            raise ValueError(
                f"Unknown agent.planning {agent.planning!r}; choose one of {in_sample_planning.FORMS}."
            )
        if agent.solver.skip_type not in SKIP_TYPES:
            raise ValueError(
                f"Unknown agent.solver.skip_type {agent.solver.skip_type!r}; choose one of {SKIP_TYPES}."
            )
        if not 1 <= agent.top_k <= agent.num_candidates:
            raise ValueError(
                f"agent.top_k must lie in [1, num_candidates={agent.num_candidates}], got {agent.top_k}."
            )
        rng, behaviour_key, critic_key = jax.random.split(rng, 3)
        action_dim = actions.shape[-1]
        frozen = ml_collections.FrozenConfigDict(agent)
        behaviour_net = cls.behaviour_net_of(frozen, action_dim)
        behaviour_params = behaviour_net.init(
            behaviour_key, actions, jnp.ones(actions.shape[:-1]), observations
        )
        critic_net = StateActionValue(
            tuple(agent.critic_hidden_dims), activation_by_name(agent.critic_activation)
        )
        critic_params = critic_net.init(critic_key, observations, actions)
        return cls(
            rng=rng,
            behaviour=new_train_state(behaviour_net, behaviour_params, make_optimizer(agent.behaviour_lr)),
            critic=new_train_state(critic_net, critic_params, make_optimizer(agent.critic_lr)),
            initial_critic_params=jax.tree.map(jnp.copy, critic_params),
            behaviour_actions=jnp.zeros((1, agent.planning_samples, action_dim), jnp.float32),
            targets=jnp.zeros((1,), jnp.float32),
            target_mean=jnp.zeros((), jnp.float32),
            target_std=jnp.ones((), jnp.float32),
            hparams=hparams,
            config=frozen,
        )

    @staticmethod
    def behaviour_net_of(config, action_dim: int) -> SfBCScoreNet:
        return SfBCScoreNet(action_dim, VPSDE(**config.sde), **config.behaviour)

    @property
    def sde(self) -> VPSDE:
        return VPSDE(**self.config.sde)

    # The behaviour model ------------------------------------------------------------------------

    def noise_fn(self, variables, observations: jnp.ndarray):
        """ε̂(x, t | s); ``observations`` must broadcast against x's leading axes (see ``sfbc_noise_fn``)."""
        net = self.behaviour_net_of(self.config, self.behaviour_actions.shape[-1])
        return sfbc_noise_fn(net, variables, observations)

    def update_behaviour(self, batch: dict) -> tuple["SfBCAgent", dict]:
        rng, key = jax.random.split(self.rng)

        def loss_fn(variables):
            noise_fn = self.noise_fn(variables, batch["observations"])
            return epsilon_loss(noise_fn, self.sde, batch["actions"], key).mean()

        loss, grads = jax.value_and_grad(loss_fn)(self.behaviour.params)
        behaviour = self.behaviour.apply_gradients(grads=grads)
        return self.replace(rng=rng, behaviour=behaviour), infos.group("behaviour", {"loss": loss})

    def sample_behaviour(self, observations: jnp.ndarray, rng: jax.Array, num: int) -> jnp.ndarray:
        """``num`` behaviour samples for each of observations (B, o) → (B, num, d), unclipped."""
        solver = self.config.solver
        x_T = jax.random.normal(rng, (observations.shape[0], num, self.behaviour_actions.shape[-1]))
        noise_fn = self.noise_fn(self.behaviour.params, observations[:, None, :])
        return dpm_solver_sample(noise_fn, x_T, self.sde, solver.steps, solver.order, solver.skip_type,
                                 1.0, solver.t_end)  # fmt: skip

    # In-sample planning -------------------------------------------------------------------------

    def q_normalised(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        return self.critic.apply_fn(self.critic.params, observations, actions)

    def _chunked(self, fn, *arrays):
        """``fn`` over the dataset's rows in chunks of ``chunk_size`` (bounded memory)."""
        return jax.lax.map(lambda rows: fn(*rows), arrays, batch_size=self.config.chunk_size)

    def with_targets(self, returns: jnp.ndarray, **changes) -> "SfBCAgent":
        """The agent with ``returns`` normalised as its targets and Q reset to its initial weights."""
        targets, mean, std = in_sample_planning.normalise_targets(returns, self.config.target_min_std)
        params = self.initial_critic_params
        critic = self.critic.replace(step=jnp.zeros_like(self.critic.step), params=params,
                                     opt_state=self.critic.tx.init(params))  # fmt: skip
        return self.replace(critic=critic, targets=targets, target_mean=mean, target_std=std, **changes)

    def start_first_iteration(self, data: dict) -> "SfBCAgent":
        """Draws the M behaviour samples of every dataset state; targets R⁽⁰⁾, the Monte-Carlo returns."""
        rng, key = jax.random.split(self.rng)
        num = self.config.planning_samples
        keys = jax.random.split(key, data["observations"].shape[0])
        samples = self._chunked(
            lambda obs, k: self.sample_behaviour(obs[None], k, num)[0], data["observations"], keys
        )
        returns = in_sample_planning.discounted_returns(data["rewards"], data["dones"], self.config.discount)
        return self.with_targets(returns, rng=rng, behaviour_actions=samples)

    def state_values(self, observations: jnp.ndarray) -> jnp.ndarray:
        """V (N,) of every dataset state from its behaviour samples and the current fit."""

        def value(obs, samples):
            q = self.q_normalised(jnp.broadcast_to(obs, (samples.shape[0], obs.shape[-1])), samples)
            return in_sample_planning.softmax_values(q, self.target_mean, self.target_std,
                                                     self.hparams["value_temperature"])  # fmt: skip

        return self._chunked(value, observations, self.behaviour_actions)

    def start_iteration(self, data: dict) -> "SfBCAgent":
        """Re-plans the targets with the values of the previous iteration's fit."""
        values = self.state_values(data["observations"])
        returns = in_sample_planning.planned_returns(
            data["rewards"], data["dones"], values, self.config.discount, self.config.planning
        )
        return self.with_targets(returns)

    def update_critic(self, batch: dict) -> tuple["SfBCAgent", dict]:
        target = self.targets[batch["indices"]]

        def loss_fn(params):
            q = self.critic.apply_fn(params, batch["observations"], batch["actions"])
            return jnp.square(q - target).mean(), q

        (loss, q), grads = jax.value_and_grad(loss_fn, has_aux=True)(self.critic.params)
        critic = self.critic.apply_gradients(grads=grads)
        info = {
            "loss": loss,
            "q": q.mean() * self.target_std + self.target_mean,
            "target_mean": self.target_mean,
            "target_std": self.target_std,
        }
        return self.replace(critic=critic), infos.group("critic", info)

    # Acting -------------------------------------------------------------------------------------

    def sample_actions(self, observations: jnp.ndarray, rng: jax.Array) -> jnp.ndarray:
        sample_key, select_key = jax.random.split(rng)
        config = self.config
        proposals = self.sample_behaviour(observations, sample_key, config.num_candidates)
        scores = candidates.candidate_values(self.q_normalised, observations, proposals)
        if config.selection == "softmax":
            actions = candidates.select(
                proposals, self.hparams["value_temperature"] * scores, select_key, "softmax"
            )
        else:
            actions = candidates.select(proposals, scores, select_key, "topk_mean", k=config.top_k)
        return jnp.clip(actions, -1.0, 1.0)
