"""The training loop every agent shares.

One program trains R runs (seeds × hyperparameter points) at once: agents are created with
``vmap(Agent.create)``, and ``log_interval`` updates run as one jitted ``lax.scan`` of
``vmap(step)``, each step drawing its batch from the device-resident dataset. The run axis is
sharded over the devices. Between chunks the host logs, evaluates and checkpoints.

The engine knows agents only by their interface: ``agent_cls.phases(config)`` lists the phases
(name, steps, the update function itself, batch size, optionally the data the phase derives from
the dataset and a ``start`` computation run when it begins), ``create`` and ``sample_actions``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.device_data import sample_batch, to_device
from jaxdiffrl.train.episodes import evaluate_and_score
from jaxdiffrl.train.evaluation import Evaluator
from jaxdiffrl.train.logging import EVAL, MetricsLogger
from jaxdiffrl.train.runs import Run, stack_hparams
from jaxdiffrl.train.sharding import RunSharding


class TrainingDiverged(RuntimeError):
    """A chunk's metrics held NaN or ±inf: the job stops before checkpointing the diverged state."""


def nonfinite_metrics(info: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{metric: per-run values} for every metric with a NaN or ±inf in some run."""
    return {key: np.asarray(value) for key, value in info.items() if not np.all(np.isfinite(value))}


def divergence_message(bad: dict[str, np.ndarray], runs: Sequence[Run], first: int, last: int, kept) -> str:
    """One paragraph: which metrics and runs went non-finite between ``first`` and ``last``, what
    was kept (``kept``: the latest checkpoint's step, or None) and what to change."""
    finite = np.stack([np.isfinite(v.reshape(len(runs), -1)).all(axis=1) for v in bad.values()]).all(axis=0)
    diverged = [run for run, ok in zip(runs, finite, strict=True) if not ok]
    who = ", ".join(
        f"seed {run.seed}" + "".join(f" {k}={v:g}" for k, v in run.hparams.items()) for run in diverged[:4]
    )
    who += f" and {len(diverged) - 4} more" if len(diverged) > 4 else ""
    key = sorted(bad)[0]
    example = bad[key].reshape(-1)[~np.isfinite(bad[key].reshape(-1))][0]
    names = ", ".join(sorted(bad)[:6]) + (", …" if len(bad) > 6 else "")
    saved = (
        f"the last checkpoint (step {kept}) is kept" if kept is not None else "no checkpoint had been written"
    )
    return (
        f"training diverged between steps {first} and {last}: {key} = {example:g} ({len(bad)} non-finite "
        f"metric(s): {names}) in {len(diverged)} of {len(runs)} run(s): {who}. The diverged state was not "
        f"checkpointed, {saved}, no results.json was written, and metrics.jsonl holds the non-finite rows. "
        "Lower the learning rates, clip the gradients or rescale the rewards, then start a new run "
        "(--resume would repeat the same updates)."
    )


def run_keys(seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-run (init key, data key), functions of the seed alone."""
    keys = np.stack([np.asarray(jax.random.split(jax.random.PRNGKey(s))) for s in seeds])
    return keys[:, 0], keys[:, 1]


def create_agents(agent_cls, config: ml_collections.ConfigDict, dataset: OfflineDataset, runs: Sequence[Run]):
    """vmap(Agent.create) over the runs' init keys and hyperparameters."""
    init_keys, _ = run_keys([r.seed for r in runs])
    observation_example = jnp.asarray(dataset.observations[:1])
    action_example = jnp.asarray(dataset.actions[:1])

    def create(key, hparams):
        return agent_cls.create(key, observation_example, action_example, config, hparams)

    return jax.jit(jax.vmap(create))(init_keys, stack_hparams(runs))


@functools.cache
def make_chunk(update, batch_size: int, length: int):
    """A jitted function doing ``length`` calls of ``update(agent, batch)`` for every run; returns
    per-run mean infos.

    Cached on (update function, batch size, length), so every job in a process shares one jit (and
    its compilation cache) per signature.
    """

    def one_run(agent, key, data):
        def step(carry, _):
            agent, key = carry
            key, batch_key = jax.random.split(key)
            agent, info = update(agent, sample_batch(data, batch_key, batch_size))
            return (agent, key), info

        (agent, key), infos = jax.lax.scan(step, (agent, key), None, length=length)
        return agent, key, jax.tree.map(lambda x: jnp.mean(x, axis=0), infos)

    return jax.jit(jax.vmap(one_run, in_axes=(0, 0, None)))


def phase_data(phases: Sequence, dataset: OfflineDataset, sharding=None) -> list[dict]:
    """Each phase's device arrays: the transitions, or what its ``data`` function derives from the
    dataset — computed once per distinct function, so phases sharing one share the arrays."""
    derived: dict[Any, dict] = {}
    result = []
    for phase in phases:
        if phase.data not in derived:
            arrays = dataset.arrays() if phase.data is None else phase.data(dataset)
            derived[phase.data] = to_device(arrays, sharding)
        result.append(derived[phase.data])
    return result


@functools.cache
def make_start(start):
    """``start(agent, data)`` for every run at once (the data shared), jitted."""
    return jax.jit(jax.vmap(start, in_axes=(0, None)))


def started_shapes(phases: Sequence, datas: Sequence[dict], agents, step: int, sharding=None):
    """The agents' structure after ``step`` updates: shapes and dtypes as left by the ``start`` of
    every phase begun before ``step`` (a start may give a field per-row arrays, e.g. SfBC's
    behaviour samples), computed abstractly (``jax.eval_shape``, nothing runs) — the target a
    checkpoint taken at ``step`` restores into."""
    begin = 0
    for phase, data in zip(phases, datas, strict=True):
        if phase.start is not None and begin < step:
            agents = jax.eval_shape(make_start(phase.start), agents, data)
        begin += phase.steps
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), agents)


def _phase_at(phases: Sequence, step: int) -> tuple[int, int]:
    """(index of the phase that the update after ``step`` belongs to, that phase's end step)."""
    end = 0
    for index, phase in enumerate(phases):
        end += phase.steps
        if step < end:
            return index, end
    return len(phases), end


def train(
    agent_cls,
    config: ml_collections.ConfigDict,
    dataset: OfflineDataset,
    runs: Sequence[Run],
    workdir: str,
    *,
    resume: bool = False,
    stop_after: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Trains every run to ``config.max_steps`` and writes ``results.json``; returns its contents.

    ``stop_after`` ends the job (checkpointed) once that many updates are done — for preemptible
    or time-sliced jobs, continued later with ``resume``.
    """
    os.makedirs(workdir, exist_ok=True)
    phases = tuple(agent_cls.phases(config))
    total = sum(p.steps for p in phases)
    if total != config.max_steps:
        raise ValueError(
            f"{agent_cls.__name__}.phases sum to {total} steps, not max_steps={config.max_steps}."
        )
    seeds = [r.seed for r in runs]
    sharding = RunSharding(len(runs))
    datas = phase_data(phases, dataset, sharding.replicated)
    agents = sharding.shard_runs(create_agents(agent_cls, config, dataset, runs))
    data_keys = sharding.shard_runs(jnp.asarray(run_keys(seeds)[1]))

    checkpointer = Checkpointer(workdir, config.get("checkpoints_to_keep", 2))
    step = 0
    if resume and checkpointer.latest_step() is not None:
        step = checkpointer.latest_step()
        target = started_shapes(phases, datas, agents, step, sharding.runs)
        restored = checkpointer.restore(step, {"agents": target, "data_keys": data_keys})
        agents, data_keys = restored["agents"], restored["data_keys"]
        print(f"Resumed from the checkpoint at step {step} in {workdir}.")
    logger = MetricsLogger(workdir, runs, start_step=step)
    evaluator = Evaluator(dataset.make_env, len(runs), config.eval_episodes) if dataset.make_env else None
    last_info: dict[str, np.ndarray] = {}
    timed_signatures: set[tuple] = set()
    train_seconds, trained_steps = 0.0, 0
    wall_start = time.time()
    bar = tqdm(total=total, initial=step, disable=not progress, unit="step", dynamic_ncols=True)

    normalize = dataset.normalized_score if dataset.ref_max_score is not None else None

    def evaluate(at_step: int) -> None:
        metrics, _ = evaluate_and_score(evaluator, agents, seeds, at_step, normalize)
        logger.log(at_step, metrics, EVAL)
        bar.set_postfix(score=f"{metrics['normalized_score'].mean():.1f}")

    limit = total if stop_after is None else min(total, stop_after)
    while step < limit:
        phase_index, phase_end = _phase_at(phases, step)
        phase = phases[phase_index]
        data = datas[phase_index]
        if phase.start is not None and step == phase_end - phase.steps:  # the phase begins
            agents = make_start(phase.start)(agents, data)
        length = min(config.log_interval - step % config.log_interval, phase_end - step, limit - step)
        batch_size = phase.batch_size or config.batch_size
        signature = (phase.update, batch_size, length)
        start = time.time()
        agents, data_keys, info = make_chunk(*signature)(agents, data_keys, data)
        last_info = jax.tree.map(np.asarray, info)  # blocks: the chunk is done
        if signature in timed_signatures:  # a signature's first chunk compiles: not timed
            train_seconds += time.time() - start
            trained_steps += length
        timed_signatures.add(signature)
        step += length
        bar.update(length)
        logger.log(step, last_info)
        bad = nonfinite_metrics(last_info)
        if bad:
            kept = checkpointer.latest_step()
            bar.close()
            checkpointer.close()
            logger.close()
            if evaluator:
                evaluator.close()
            raise TrainingDiverged(divergence_message(bad, runs, step - length, step, kept))
        if evaluator and ((phase.evaluate and step % config.eval_interval == 0) or step == total):
            evaluate(step)
        if step % config.checkpoint_interval == 0 or step == total or step == limit:
            checkpointer.save(step, {"agents": agents, "data_keys": data_keys})
    bar.close()
    checkpointer.close()
    history = logger.history(EVAL)
    logger.close()
    if evaluator:
        evaluator.close()
    if step < total:
        print(f"Stopped after {step} of {total} steps; continue with --resume.")
        return {}
    results = results_block(
        config,
        runs,
        history,
        last_info,
        num_devices=sharding.num_devices,
        wall_time_s=time.time() - wall_start,
        updates_per_s=trained_steps / train_seconds if train_seconds else None,
    )
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


def results_block(
    config: ml_collections.ConfigDict,
    runs: Sequence[Run],
    history: list[dict],
    last_info: dict[str, np.ndarray],
    **throughput,
) -> dict[str, Any]:
    """What ``results.json`` holds for a finished job: per-run final score, return and last
    metrics, the evaluation history and throughput (``num_devices``, ``wall_time_s``,
    ``updates_per_s``)."""
    return {
        "algo": config.algo,
        "dataset": config.dataset,
        "seeds": [run.seed for run in runs],
        "steps": config.max_steps,
        **throughput,
        "runs": [
            {
                "run": run.index,
                "seed": run.seed,
                "hparams": run.hparams,
                "normalized_score": history[-1]["normalized_score"][run.index] if history else None,
                "return": history[-1]["return"][run.index] if history else None,
                "final_metrics": {k: float(v[run.index]) for k, v in last_info.items()},
            }
            for run in runs
        ],
        "eval_history": history,
    }
