"""Online training from scratch (SAC's loop): act in a vector env, store, update, evaluate.

Each vector-env step is one jitted call that stores the ``num_envs`` new transitions in the device
replay buffer, takes ``num_envs × updates_per_step`` agent updates in a ``lax.scan`` and samples
the next actions. The first ``start_steps`` env steps act uniformly at random and do not update.
Every ``eval_interval`` env steps the agent's ``sample_actions`` policy is evaluated and
``on_evaluation`` is called; it can stop training, and read or stop the episode recording.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.envs.vector import make_vector_env
from jaxdiffrl.train.episodes import EpisodeRecorder, EpisodeReturns, evaluate_and_score, transition_from_step
from jaxdiffrl.train.evaluation import Evaluator
from jaxdiffrl.train.logging import EVAL, ONLINE, ROLLOUT, MetricsLogger
from jaxdiffrl.train.replay_buffer import ReplayBuffer
from jaxdiffrl.train.runs import Run


def default_online_training_config(**overrides) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {
            "steps": 1_000_000,  # env steps, summed over the vector env's copies
            "num_envs": 1,
            "start_steps": 10_000,  # uniform random actions, no updates
            "updates_per_step": 1,  # per env step
            "batch_size": 256,
            "buffer_size": 1_000_000,
            "eval_interval": 10_000,
            "eval_episodes": 5,
            "log_interval": 1_000,
        }
    )
    config.update(overrides)
    return config


@dataclass
class OnlineRun:
    """What ``on_evaluation`` sees: the agent after ``env_steps`` steps, the returns of this
    evaluation (eval_episodes,), every evaluation so far, and the episode recorder (None when
    recording is off or was stopped)."""

    agent: object
    env_steps: int
    returns: np.ndarray
    history: list[dict] = field(default_factory=list)
    recorder: EpisodeRecorder | None = None

    def stop_recording(self) -> None:
        self.recorder = None


# Storing and learning are two jitted calls: fused into one, XLA copies the whole buffer every step
# (74 ms instead of 12 ms per SAC env step with a 1M-row buffer on the 2-core CPU;
# docs/benchmarks/online-step.md). Fine-tuning (online.make_online_step) splits the same way.
_store = jax.jit(lambda buffer, transitions: buffer.extend(transitions), donate_argnums=(0,))


@functools.partial(jax.jit, static_argnames=("updates", "batch_size"))
def _update_act(agent, buffer, observations, key, *, updates: int, batch_size: int):
    key, update_key, act_key = jax.random.split(key, 3)
    info = {}
    if updates:
        batches = jax.vmap(lambda k: buffer.sample(k, batch_size))(jax.random.split(update_key, updates))
        agent, infos = jax.lax.scan(lambda a, batch: a.update(batch), agent, batches)
        info = jax.tree.map(jnp.mean, infos)
    return agent, key, agent.sample_actions(observations, act_key), info


def learn_online(
    agent,
    make_env: Callable[[], gym.Env],
    config: ml_collections.ConfigDict,
    *,
    seed: int,
    workdir: str | None = None,
    record_episodes: bool = False,
    on_evaluation: Callable[[OnlineRun], bool] | None = None,
    progress: bool = True,
    description: str = "online",
):
    """Trains ``agent`` (create / update / sample_actions) online; returns (agent, history).

    ``workdir``: where metrics.jsonl and TensorBoard events go (``online/train``, ``online/rollout``,
    ``online/eval``). Env copy i is reset with seed ``seed + i``; evaluation episodes are seeded
    from (seed, env step) as in offline evaluation.
    """
    num_envs = config.num_envs
    envs = make_vector_env(make_env, num_envs)
    if not (np.all(envs.single_action_space.low == -1) and np.all(envs.single_action_space.high == 1)):
        raise ValueError(
            f"Online training expects actions in [-1, 1]; the env's are {envs.single_action_space}."
        )
    observations, _ = envs.reset(seed=[seed + i for i in range(num_envs)])
    envs.action_space.seed(seed)
    example = {
        "observations": observations[0],
        "actions": envs.single_action_space.sample(),
        "rewards": 0.0,
        "next_observations": observations[0],
        "masks": 0.0,
        "dones": 0.0,
    }
    buffer = ReplayBuffer.empty(example, config.buffer_size)
    evaluator = Evaluator(make_env, 1, config.eval_episodes)
    logger = MetricsLogger(workdir, [Run(0, seed, {})]) if workdir else None
    run = OnlineRun(
        agent, 0, np.zeros(0), recorder=EpisodeRecorder(observations) if record_episodes else None
    )
    key = jax.random.PRNGKey(seed)
    episodes, info_sums, info_count = EpisodeReturns(num_envs), {}, 0
    actions = envs.action_space.sample()
    bar = tqdm(
        total=config.steps, disable=not progress, desc=description, unit="env step", dynamic_ncols=True
    )
    for env_steps in range(num_envs, config.steps + 1, num_envs):
        next_observations, rewards, terminated, truncated, infos = envs.step(actions)
        if run.recorder is not None:
            run.recorder.step(actions, next_observations, rewards, terminated, truncated, infos)
        transitions = transition_from_step(
            observations, actions, rewards, next_observations, terminated, truncated, infos
        )
        updates = config.updates_per_step * num_envs if env_steps > config.start_steps else 0
        buffer = _store(buffer, jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), transitions))
        agent, key, policy_actions, info = _update_act(
            agent,
            buffer,
            jnp.asarray(next_observations, jnp.float32),
            key,
            updates=updates,
            batch_size=config.batch_size,
        )
        random_phase = env_steps < config.start_steps
        actions = envs.action_space.sample() if random_phase else np.asarray(policy_actions)
        observations = next_observations
        episodes.add(rewards, terminated | truncated)
        if info:
            info_count += 1
            for name, value in info.items():
                info_sums[name] = info_sums.get(name, 0.0) + np.asarray(value)
        bar.update(num_envs)
        if logger and env_steps % config.log_interval < num_envs:
            if info_count:
                means = {k: np.array([v / info_count]) for k, v in info_sums.items()}
                logger.log(env_steps, means, ONLINE)
                info_sums, info_count = {}, 0
            if episodes.any_finished():
                finished = [r for per_env in episodes.pop() for r in per_env]
                logger.log(env_steps, {"return": np.array([np.mean(finished)])}, f"{ONLINE}/{ROLLOUT}")
        if env_steps % config.eval_interval < num_envs:
            agents = jax.tree.map(lambda x: x[None], agent)
            metrics, returns = evaluate_and_score(evaluator, agents, [seed], env_steps, None)
            run.agent, run.env_steps, run.returns = agent, env_steps, returns[0]
            run.history.append({"env_steps": env_steps, "return": float(metrics["return"][0])})
            if logger:
                logger.log(env_steps, {"return": metrics["return"]}, f"{ONLINE}/{EVAL}")
            bar.set_postfix(eval_return=f"{returns.mean():.0f}")
            if on_evaluation is not None and on_evaluation(run):
                break
    bar.close()
    envs.close()
    evaluator.close()
    if logger:
        logger.close()
    return agent, run.history
