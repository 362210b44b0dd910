"""Online fine-tuning after offline training (IDQL's Table 3), vmapped over runs like the engine.

Every run keeps a device-resident ring buffer seeded with the offline dataset and acts in its own
copy of the environment (one gymnasium vector env holds every run's copy). Each env step is one
jitted, vmapped call: store each run's last transition, take the agent's update steps on batches
drawn from its buffer, and pick its next exploration action.

An agent supports fine-tuning with two methods:
- ``online_mode(config)`` (classmethod): an ``OnlineMode`` (``jaxdiffrl.agents.phases``) holding
  the function that explores and the updates (function, count per env step, batch size) of
  ``config.online.mode``;
- ``start_online(config) -> Agent``: whatever must change before fine-tuning (optimiser resets).

Metrics continue the offline run's step axis (offline ``max_steps`` + env steps) in the same
metrics.jsonl / TensorBoard files, under ``online/<agent info>`` (``online/critic/loss``, …),
``online/rollout/...`` and ``online/eval/...`` (offline: ``critic/...``, ``eval/...``);
``results.json`` gains an ``online`` entry.

A NaN or ±inf in any run's update metrics or actions stops the fine-tuning at that env step with
:class:`TrainingDiverged` (before the env acts on it): no online checkpoint or results entry is
written, and the offline job's checkpoints and results.json stay as they were.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.data.conventions import apply_conventions
from jaxdiffrl.data.dataset import validate
from jaxdiffrl.data.registry import load_dataset
from jaxdiffrl.envs.vector import make_vector_env
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.engine import TrainingDiverged, nonfinite_metrics
from jaxdiffrl.train.episodes import EpisodeReturns, evaluate_and_score, transition_from_step
from jaxdiffrl.train.evaluation import Evaluator, SeedPurpose, eval_seed
from jaxdiffrl.train.files import write_json
from jaxdiffrl.train.logging import EVAL, ONLINE, ROLLOUT, MetricsLogger
from jaxdiffrl.train.replay_buffer import ReplayBuffer
from jaxdiffrl.train.restore import restore_agents
from jaxdiffrl.train.runs import Run
from jaxdiffrl.train.sharding import RunSharding


def default_online_config(**overrides) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {
            "enabled": False,
            "steps": 1_000_000,  # env steps (one per run per step)
            "mode": "max",  # agent-specific; IDQL: max | implicit
            "log_interval": 1_000,
            "eval_interval": 50_000,
            "buffer_size": 0,  # 0: dataset size + steps (nothing is overwritten)
            # symmetric: half of every batch from the online transitions, from the first update
            # (IDQL's reference fine-tuning); uniform: batches over the whole buffer
            "sampling": "symmetric",
            "warmup_steps": 5_000,  # env steps that only collect (store and act) before updating
            "actor_batch_size": 512,  # fine-tuning's actor batch (the critic keeps batch_size)
            "actor_lr": 3e-4,  # constant; for agents that fine-tune their actor
        }
    )
    config.update(overrides)
    return config


def reward_convention(raw: np.ndarray, converted: np.ndarray) -> tuple[float, float]:
    """(scale, offset) with converted = scale·raw + offset: the data conventions are affine maps of
    the reward, recovered here so that online rewards are treated as the dataset's were."""
    raw, converted = np.asarray(raw, np.float64), np.asarray(converted, np.float64)
    scale = 1.0 if np.ptp(raw) == 0 else float(np.polyfit(raw, converted, 1)[0])
    offset = float(np.mean(converted - scale * raw))
    if np.max(np.abs(scale * raw + offset - converted)) > 1e-3 * (1.0 + np.max(np.abs(converted))):
        raise ValueError("The configured reward convention is not affine; online rewards cannot follow it.")
    return scale, offset


def _explore(mode):
    def explore(agent, key, observation):
        key, act_key = jax.random.split(key)
        return key, mode.act(agent, observation[None], act_key)[0]

    return explore


SAMPLINGS = ("symmetric", "uniform")


def make_online_step(mode, sampling: str = "uniform"):
    """The jitted, vmapped env step of an ``OnlineMode``: store each run's transition, take its
    updates on batches from its buffer (``sampling``: ``symmetric`` draws half of each batch from
    the online rows, ``uniform`` from the whole buffer), pick its next exploration action.
    ``step(..., learn=False)`` only stores and acts (the warm-up).

    Two programs: the store (buffers donated, updated in place) and learn-and-act (buffers only
    read). Fused into one, XLA copies every buffer each step (docs/benchmarks/online-step.md:
    74 ms instead of 12 ms per SAC env step with a 1M-row buffer); the SAC loop splits the same
    way. An update repeated within the step reports the mean of its infos.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"Unknown online.sampling {sampling!r}; choose one of {SAMPLINGS}.")
    explore = _explore(mode)
    store = jax.jit(jax.vmap(lambda buffer, transition: buffer.add(transition)), donate_argnums=(0,))

    def sample(buffer, key, batch_size):
        if sampling == "symmetric":
            return buffer.sample_symmetric(key, batch_size)
        return buffer.sample(key, batch_size)

    def learn_and_act(agent, buffer, key, observation):
        infos = {}
        for update in mode.updates:
            repeats = []
            for _ in range(update.per_env_step):
                key, batch_key = jax.random.split(key)
                agent, info = update.update(agent, sample(buffer, batch_key, update.batch_size))
                repeats.append(info)
            mean = jax.tree.map(lambda *values: jnp.mean(jnp.stack(values)), *repeats)
            clash = sorted(infos.keys() & mean.keys())
            if clash:
                raise ValueError(f"Online updates report the same info keys {clash}.")
            infos.update(mean)
        key, action = explore(agent, key, observation)
        return agent, key, action, infos

    learn_and_act = jax.jit(jax.vmap(learn_and_act))
    act = jax.jit(jax.vmap(explore))

    def step(agents, buffers, keys, transition, observation, learn: bool = True):
        buffers = store(buffers, transition)
        if not learn:
            keys, actions = act(agents, keys, observation)
            return agents, buffers, keys, actions, {}
        agents, keys, actions, infos = learn_and_act(agents, buffers, keys, observation)
        return agents, buffers, keys, actions, infos

    step.act = act  # the first action, before any transition exists: (agents, keys, obs) → (keys, actions)
    return step


def finetune(
    agent_cls,
    config: ml_collections.ConfigDict,
    runs: Sequence[Run],
    workdir: str,
    *,
    progress: bool = True,
) -> dict[str, Any]:
    """Fine-tunes the offline job's agents for ``config.online.steps`` env steps; returns the results
    (also written under ``online`` in ``workdir/results.json``)."""
    online = config.online
    for name in ("steps", "log_interval", "eval_interval"):
        if online[name] <= 0:
            raise ValueError(f"config.online.{name} must be positive, got {online[name]}.")
    raw = validate(load_dataset(config.dataset))
    dataset = apply_conventions(raw, config.data)
    if dataset.make_env is None:
        raise ValueError(f"Dataset {dataset.name!r} has no environment to fine-tune in.")
    reward_scale, reward_offset = reward_convention(raw.rewards, dataset.rewards)
    seeds, num_runs, offline_steps = [r.seed for r in runs], len(runs), config.max_steps

    sharding = RunSharding(num_runs)
    # the offline job's final agents; any other step is refused, naming the saved ones
    agents, _ = restore_agents(agent_cls, config, dataset, runs, workdir, config.max_steps, sharding)
    agents = jax.jit(jax.vmap(lambda agent: agent.start_online(config)))(agents)
    buffer = ReplayBuffer.seeded(dataset.arrays(), online.buffer_size or dataset.size + online.steps)
    buffers = sharding.shard_runs(jax.tree.map(lambda x: jnp.broadcast_to(x, (num_runs, *x.shape)), buffer))
    keys = sharding.shard_runs(
        jnp.stack(
            [jax.random.PRNGKey(eval_seed(s, offline_steps, SeedPurpose.ONLINE_ACTIONS)) for s in seeds]
        )
    )
    mode = agent_cls.online_mode(config)
    step_fn = make_online_step(mode, online.get("sampling", "uniform"))
    warmup = online.get("warmup_steps", 0)

    envs = make_vector_env(dataset.make_env, num_runs)
    evaluator = Evaluator(dataset.make_env, num_runs, config.eval_episodes)
    logger = MetricsLogger(workdir, runs, start_step=offline_steps)
    observations, _ = envs.reset(seed=[eval_seed(s, offline_steps, SeedPurpose.ONLINE_RESET) for s in seeds])
    keys, actions = step_fn.act(agents, keys, jnp.asarray(observations, jnp.float32))
    episodes = EpisodeReturns(num_runs)
    normalize = dataset.normalized_score if dataset.ref_max_score is not None else None
    info_sums: dict[str, np.ndarray] = {}
    info_count = 0
    history: list[dict[str, Any]] = []
    bar = tqdm(total=online.steps, disable=not progress, unit="env step", dynamic_ncols=True)

    try:  # the envs, evaluator and logger close however the loop ends (divergence included)
        for step in range(1, online.steps + 1):
            actions = np.asarray(actions)
            next_observations, rewards, terminated, truncated, infos = envs.step(actions)
            converted = reward_scale * rewards + reward_offset
            transition = transition_from_step(
                observations, actions, converted, next_observations, terminated, truncated, infos
            )
            transition = {k: jnp.asarray(v, jnp.float32) for k, v in transition.items()}
            agents, buffers, keys, actions, info = step_fn(
                agents, buffers, keys, transition, jnp.asarray(next_observations, jnp.float32), step > warmup
            )
            # A non-finite update or action stops the fine-tuning before the env acts on it or it is logged.
            bad = nonfinite_metrics(info)
            actions = np.asarray(actions)
            if not bad and not np.all(np.isfinite(actions)):
                finite_runs = np.isfinite(actions).reshape(num_runs, -1).all(axis=1)
                bad = {"actions": np.where(finite_runs, 0.0, np.nan)}  # nan marks the runs that failed
            if bad:
                raise TrainingDiverged(_diverged_message(bad, runs, offline_steps + step))
            info_count += bool(info)
            for name, values in info.items():
                info_sums[name] = info_sums.get(name, 0.0) + np.asarray(values)
            episodes.add(rewards, terminated | truncated)
            observations = next_observations
            bar.update(1)

            at = offline_steps + step
            if step % online.log_interval == 0 or step == online.steps:
                if info_count:
                    logger.log(at, {k: v / info_count for k, v in info_sums.items()}, ONLINE)
                info_sums, info_count = {}, 0
                if episodes.any_finished():
                    finished = episodes.pop()
                    episode_means = np.array([np.mean(f) if f else np.nan for f in finished])
                    rollout = {"return": episode_means, "episodes": np.array([len(f) for f in finished])}
                    logger.log(at, rollout, f"{ONLINE}/{ROLLOUT}")
            if step % online.eval_interval == 0 or step == online.steps:
                metrics, _ = evaluate_and_score(evaluator, agents, seeds, at, normalize)
                logger.log(at, metrics, f"{ONLINE}/{EVAL}")
                history.append({"env_steps": step, **{k: v.tolist() for k, v in metrics.items()}})
                bar.set_postfix(score=f"{metrics['normalized_score'].mean():.1f}")
    finally:
        bar.close()
        envs.close()
        evaluator.close()
        logger.close()
    checkpointer = Checkpointer(os.path.join(workdir, "online"), config.get("checkpoints_to_keep", 2))
    checkpointer.save(online.steps, {"agents": agents})
    checkpointer.close()
    return _write_results(workdir, online, runs, history)


def _diverged_message(bad: dict[str, np.ndarray], runs: Sequence[Run], at: int) -> str:
    """One line: which metric turned non-finite, in which runs, and what was (not) written."""
    metric, values = next(iter(bad.items()))
    values = np.asarray(values).reshape(len(runs), -1)  # (runs, …): one row per run
    finite = np.isfinite(values).all(axis=1)
    seeds = [str(run.seed) for run, ok in zip(runs, finite, strict=True) if not ok]
    return (
        f"online fine-tuning diverged at step {at}: {metric} = "
        f"{values[~np.isfinite(values)][0]} in {len(seeds)} of {len(runs)} run(s) (seed {', '.join(seeds)}). "
        "No online checkpoint or results were written; the offline checkpoints and results.json are "
        "unchanged. Lower config.online.actor_lr (or the online learning rates), or shorten "
        "config.online.steps, and run the fine-tuning again."
    )


def _write_results(
    workdir: str, online, runs: Sequence[Run], history: list[dict[str, Any]]
) -> dict[str, Any]:
    path = os.path.join(workdir, "results.json")
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    results["online"] = {
        "mode": online.mode,
        "env_steps": online.steps,
        "runs": [
            {
                "run": run.index,
                "seed": run.seed,
                "normalized_score": history[-1]["normalized_score"][run.index],
                "return": history[-1]["return"][run.index],
            }
            for run in runs
        ],
        "eval_history": history,
    }
    write_json(path, results)  # atomic, strict JSON
    return results["online"]
