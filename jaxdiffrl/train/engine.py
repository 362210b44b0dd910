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
from jaxdiffrl.train import distributed as dist
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.device_data import sample_batch, to_device
from jaxdiffrl.train.episodes import evaluate_and_score
from jaxdiffrl.train.evaluation import Evaluator
from jaxdiffrl.train.files import json_safe, write_json
from jaxdiffrl.train.logging import EVAL, MetricsLogger
from jaxdiffrl.train.machine import machine
from jaxdiffrl.train.runs import Run, stack_hparams
from jaxdiffrl.train.sharding import RunSharding

ON_DIVERGENCE = ("stop", "continue")
PARAMETERS = "parameters"  # the pseudo-metric naming non-finite agent arrays


class TrainingDiverged(RuntimeError):
    """A chunk's metrics or parameters held NaN or ±inf (``config.on_divergence="stop"``): the job
    stopped before checkpointing the diverged state; ``results`` is what results.json now holds."""

    def __init__(self, message: str, results: dict | None = None):
        super().__init__(message)
        self.results = results


def nonfinite_metrics(info: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{metric: per-run values} for every metric with a NaN or ±inf in some run."""
    return {key: np.asarray(value) for key, value in info.items() if not np.all(np.isfinite(value))}


def _all_finite(agent) -> jax.Array:
    leaves = [x for x in jax.tree.leaves(agent) if jnp.issubdtype(x.dtype, jnp.inexact)]
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])) if leaves else jnp.asarray(True)


finite_parameters = jax.jit(jax.vmap(_all_finite))  # (R,) bool: every float array of the run finite


@jax.jit
def freeze_runs(alive: jax.Array, new, old):
    """``new`` for the runs where ``alive``, ``old`` (their last finite state) for the others, so a
    diverged run of a vmapped job stays frozen and finite while the others train on."""

    def pick(n, o):
        return jnp.where(alive.reshape((-1,) + (1,) * (n.ndim - 1)), n, o)

    return jax.tree.map(pick, new, old)


def per_run_finite(bad: dict[str, np.ndarray], num_runs: int) -> np.ndarray:
    """(R,) bool: the runs where every one of ``bad``'s metrics is finite."""
    if not bad:
        return np.ones(num_runs, bool)
    return np.stack([np.isfinite(v.reshape(num_runs, -1)).all(axis=1) for v in bad.values()]).all(axis=0)


def divergence_records(bad: dict[str, np.ndarray], runs: Sequence[Run], first: int, last: int) -> list[dict]:
    """One JSON-able record per run with a non-finite value in ``bad``: the run, the steps, the first
    such metric (alphabetically) and its value as text ("nan", "inf", "-inf")."""
    records = []
    for run, ok in zip(runs, per_run_finite(bad, len(runs)), strict=True):
        if ok:
            continue
        key = next(k for k in sorted(bad) if not np.isfinite(bad[k].reshape(len(runs), -1)[run.index]).all())
        row = bad[key].reshape(len(runs), -1)[run.index]
        value = row[~np.isfinite(row)][0]
        records.append(
            {"run": run.index, "seed": run.seed, "hparams": run.hparams, "between_steps": [first, last],
             "metric": key, "value": f"{value:g}"}
        )  # fmt: skip
    return records


def divergence_message(
    bad: dict[str, np.ndarray], runs: Sequence[Run], first: int, last: int, kept, *, stopped: bool = True
) -> str:
    """One paragraph: which metrics and runs went non-finite between ``first`` and ``last``, what
    was kept (``kept``: the latest checkpoint's step, or None) and what to change; ``stopped``: the
    job stops (else it trains the other runs on)."""
    finite = per_run_finite(bad, len(runs))
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
    head = (
        f"training diverged between steps {first} and {last}: {key} = {example:g} ({len(bad)} non-finite "
        f"metric(s): {names}) in {len(diverged)} of {len(runs)} run(s): {who}."
    )
    if not stopped:
        return (
            f"{head} Those runs are frozen at their last finite state and marked diverged in results.json; "
            "the others train on."
        )
    return (
        f"{head} The diverged state was not checkpointed, {saved}, results.json marks the run(s) "
        "diverged, and metrics.jsonl holds the non-finite rows (as null). Lower the learning rates, clip "
        "the gradients or rescale the rewards, then start a new run (--resume would repeat the same "
        "updates); or finish the finite runs of a sweep: --resume --config.on_divergence=continue."
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


def program_groups(num_runs: int, runs_per_program: int | None) -> list[tuple[int, int]] | None:
    """The [start, stop) run ranges trained as one program each, ⌈R/K⌉ of them (the last one
    shorter when K does not divide R); None for one program of every run."""
    if runs_per_program is not None and runs_per_program < 1:
        raise ValueError(f"--runs_per_program must be at least 1, got {runs_per_program}.")
    if runs_per_program is None or runs_per_program >= num_runs:
        return None
    return [(a, min(a + runs_per_program, num_runs)) for a in range(0, num_runs, runs_per_program)]


@functools.cache
def _take(start: int, stop: int, sharding):
    """Runs [start, stop) of a run-sharded pytree, sharded over the group's own devices."""
    return jax.jit(lambda tree: jax.tree.map(lambda x: x[start:stop], tree), out_shardings=sharding)


@functools.cache
def _join(sharding):
    """The groups' pytrees joined back into one over every run, run-sharded."""
    join = functools.partial(jax.tree.map, lambda *xs: jnp.concatenate(xs))
    return jax.jit(lambda parts: join(*parts), out_shardings=sharding)


def split_runs(tree, groups: Sequence[tuple[int, int]], shardings: Sequence) -> list:
    """One pytree per group of runs (``groups`` of :func:`program_groups`)."""
    return [_take(a, b, s.runs)(tree) for (a, b), s in zip(groups, shardings, strict=True)]


def run_chunk(chunk, agents, data_keys, data, groups=None, shardings=(), joined=None):
    """``chunk(agents, data_keys, data)`` — in one program, or, with ``groups``, as one program per
    group of runs one after another (the same per-run computation: each run's updates depend on
    its own state, key and the shared data alone), joined back into the ``joined`` sharding. Only
    a group's activations are ever on the devices at once, so sweeps past device memory fit."""
    if groups is None:
        return chunk(agents, data_keys, data)
    parts = [chunk(a, k, data) for a, k in split_runs((agents, data_keys), groups, shardings)]
    return _join(joined)(parts)


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


def _where_runs(mask: np.ndarray, values: np.ndarray, other) -> np.ndarray:
    """``values`` (R, …) where ``mask`` (R,), else ``other``."""
    values = np.asarray(values)
    return np.where(mask.reshape((-1,) + (1,) * (values.ndim - 1)), values, other)


def read_results(workdir: str) -> dict | None:
    """``workdir/results.json``, or None when there is none (or it cannot be read)."""
    try:
        with open(os.path.join(workdir, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_finished(results: dict | None, max_steps: int) -> bool:
    """Whether ``results`` (of results.json) is a job that did all of its ``max_steps`` updates
    (results written before ``status`` existed were only ever written by finished jobs)."""
    if not results:
        return False
    return results.get("status", "finished") == "finished" and results.get("steps") == max_steps


DIVERGED = "diverged.json"  # the runs that diverged so far, for a resume of a continuing job


def _diverged_before(workdir: str, step: int) -> list[dict]:
    """The records of ``workdir/diverged.json`` of runs that diverged by ``step``."""
    try:
        with open(os.path.join(workdir, DIVERGED)) as f:
            records = json.load(f)["runs"]
    except FileNotFoundError:
        return []
    return [r for r in records if r["between_steps"][1] <= step]


TIMING = "timing.json"  # seconds of work up to each checkpoint, over every segment of the job


def _worked_before(workdir: str, step: int) -> tuple[float | None, dict[str, float]]:
    """(seconds the job had worked up to ``step`` over its earlier segments — 0 at step 0, None
    where ``timing.json`` has no record of that step (a job from before it was kept) —, the
    records of steps up to ``step``, to go on from). Time between a segment's last checkpoint and
    its interruption is lost work and not counted."""
    if step == 0:
        return 0.0, {}
    try:
        with open(os.path.join(workdir, TIMING)) as f:
            records = {k: float(v) for k, v in json.load(f)["seconds_at_step"].items()}
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None, {}
    kept = {k: v for k, v in records.items() if k.isdigit() and int(k) <= step}
    return kept.get(str(step)), kept


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
    runs_per_program: int | None = None,
) -> dict[str, Any]:
    """Trains every run to ``config.max_steps`` and writes ``results.json``; returns its contents.

    ``runs_per_program=K`` trains the R runs as ⌈R/K⌉ vmapped programs one after another, chunk
    by chunk (same results as one program; only K runs' activations on the devices at a time).

    In a multi-process job (``distributed.initialize``) the runs are sharded over every process's
    devices; each process evaluates and writes the TensorBoard logs of the runs it holds, process
    0 writes metrics.jsonl and results.json (complete: metrics and scores are gathered) and
    returns the results, the others return {}.

    ``stop_after`` ends the job (checkpointed) once that many updates are done — for preemptible
    or time-sliced jobs, continued later with ``resume``. Resuming a finished job returns its
    results untouched.

    Every chunk's metrics and the agents' arrays are checked: a run with a NaN or ±inf has diverged.
    With ``config.on_divergence == "stop"`` (the default) the job writes results.json (status
    ``diverged``) and raises ``TrainingDiverged`` before checkpointing; with ``"continue"`` the
    diverged runs are frozen at their last finite state (``freeze_runs``), evaluated no more and
    marked ``diverged`` in the results, and the other runs train to the end.
    """
    on_divergence = config.get("on_divergence", "stop")
    if on_divergence not in ON_DIVERGENCE:
        raise ValueError(f"config.on_divergence must be one of {ON_DIVERGENCE}, got {on_divergence!r}.")
    phases = tuple(agent_cls.phases(config))
    total = sum(p.steps for p in phases)
    if total != config.max_steps:
        raise ValueError(
            f"{agent_cls.__name__}.phases sum to {total} steps, not max_steps={config.max_steps}."
        )
    if resume and is_finished(read_results(workdir), config.max_steps):
        dist.say(f"{workdir} holds a finished run ({config.max_steps} steps); nothing to do.")
        return read_results(workdir) if dist.is_main() else {}
    os.makedirs(workdir, exist_ok=True)
    seeds = [r.seed for r in runs]
    sharding = RunSharding(len(runs))
    groups = program_groups(len(runs), runs_per_program)
    group_shardings = [RunSharding(b - a) for a, b in groups or ()]
    local = sharding.local_runs  # the runs this process evaluates and logs
    datas = phase_data(phases, dataset, sharding.replicated)
    agents = sharding.shard_runs(create_agents(agent_cls, config, dataset, runs))
    data_keys = sharding.shard_runs(run_keys(seeds)[1])

    checkpointer = Checkpointer(workdir, config.get("checkpoints_to_keep", 2))
    step = 0
    if resume:
        found = checkpointer.restore_latest(
            lambda at: {
                "agents": started_shapes(phases, datas, agents, at, sharding.runs),
                "data_keys": data_keys,
            },
            quarantine=True,
        )
        if found is not None:
            step, restored = found
            agents, data_keys = restored["agents"], restored["data_keys"]
            dist.say(f"Resumed from the checkpoint at step {step} in {workdir}.")
    diverged = _diverged_before(workdir, step) if resume else []
    dist.barrier("jaxdiffrl-read-diverged")
    if dist.is_main() and (diverged or os.path.exists(os.path.join(workdir, DIVERGED))):
        write_json(os.path.join(workdir, DIVERGED), {"runs": diverged})
    alive = np.ones(len(runs), bool)
    alive[[r["run"] for r in diverged]] = False
    logger = MetricsLogger(workdir, runs, start_step=step, local=local, rows=dist.is_main())
    evaluator = None
    if dataset.make_env:
        evaluator = Evaluator(dataset.make_env, len(local), config.eval_episodes)
    local_seeds = [seeds[i] for i in local]
    eval_groups = None  # acting in groups of at most K local runs, as training does
    if groups is not None:
        eval_groups = program_groups(len(local), max(1, runs_per_program // dist.process_count()))
    last_info: dict[str, np.ndarray] = {}
    timed_signatures: set[tuple] = set()
    train_seconds, trained_steps = 0.0, 0
    spent = {"eval": 0.0, "checkpoint": 0.0}  # seconds of this job (not counting before a resume)
    started_at = step
    worked_before, seconds_at_step = _worked_before(workdir, step)  # worked_before: None if unknown
    wall_start = time.time()
    shown = progress and dist.is_main()
    bar = tqdm(total=total, initial=step, disable=not shown, unit="step", dynamic_ncols=True)

    normalize = dataset.normalized_score if dataset.ref_max_score is not None else None

    def evaluate(at_step: int) -> None:
        began = time.time()
        held = dist.local_tree(agents)
        if eval_groups is not None:
            held = [jax.tree.map(lambda x, a=a, b=b: x[a:b], held) for a, b in eval_groups]
        metrics, _ = evaluate_and_score(evaluator, held, local_seeds, at_step, normalize)
        metrics = {k: dist.gather_local(v, local, len(runs)) for k, v in metrics.items()}
        metrics = {k: np.where(alive, v, np.nan) for k, v in metrics.items()}  # diverged: not scored
        logger.log(at_step, metrics, EVAL)
        if alive.any():
            bar.set_postfix(score=f"{metrics['normalized_score'][alive].mean():.1f}")
        spent["eval"] += time.time() - began

    def close() -> None:
        bar.close()
        checkpointer.close()
        logger.close()
        if evaluator:
            evaluator.close()

    def results(status: str, **throughput) -> dict[str, Any]:
        if not dist.is_main():  # process 0 writes the job's results
            return {}
        block = results_block(
            config, runs, logger.history(EVAL), last_info, status=status, steps_completed=step,
            diverged=diverged, last_checkpoint=checkpointer.latest_step(), num_devices=sharding.num_devices,
            wall_time_s=time.time() - wall_start, eval_time_s=spent["eval"],
            checkpoint_time_s=spent["checkpoint"], machine=machine(), resumed_from_step=started_at,
            total_wall_time_s=None if worked_before is None else worked_before + time.time() - wall_start,
            **throughput,
        )  # fmt: skip
        write_json(os.path.join(workdir, "results.json"), block)
        return json_safe(block)

    limit = total if stop_after is None else min(total, stop_after)
    try:
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
            before = agents, data_keys
            agents, data_keys, info = run_chunk(
                make_chunk(*signature), agents, data_keys, data, groups, group_shardings, sharding.runs
            )
            last_info = dist.to_host(info)  # blocks: the chunk is done
            if signature in timed_signatures:  # a signature's first chunk compiles: not timed
                train_seconds += time.time() - start
                trained_steps += length
            timed_signatures.add(signature)
            step += length
            bar.update(length)
            # runs diverged earlier are frozen: their metrics are not theirs any more
            last_info = {k: _where_runs(alive, v, np.nan) for k, v in last_info.items()}
            logger.log(step, last_info)
            bad = nonfinite_metrics({k: _where_runs(alive, v, 0.0) for k, v in last_info.items()})
            params_ok = dist.to_host(finite_parameters(agents))
            if not params_ok[alive].all():
                bad[PARAMETERS] = np.where(params_ok | ~alive, 0.0, np.nan)
            if bad:
                records = divergence_records(bad, runs, step - length, step)
                diverged = diverged + records
                if dist.is_main():
                    write_json(os.path.join(workdir, DIVERGED), {"runs": diverged})
                newly = np.zeros(len(runs), bool)
                newly[[r["run"] for r in records]] = True
                alive &= ~newly
                if on_divergence == "stop":
                    message = divergence_message(bad, runs, step - length, step, checkpointer.latest_step())
                    raise TrainingDiverged(message, results("diverged"))
                warning = divergence_message(bad, runs, step - length, step, None, stopped=False)
                dist.say(f"warning: {warning}")
            if not alive.all():
                mask = jax.device_put(alive, sharding.replicated)
                agents, data_keys = freeze_runs(mask, (agents, data_keys), before)
            if evaluator and ((phase.evaluate and step % config.eval_interval == 0) or step == total):
                evaluate(step)
            if step % config.checkpoint_interval == 0 or step == total or step == limit:
                began = time.time()
                checkpointer.save(step, {"agents": agents, "data_keys": data_keys})
                spent["checkpoint"] += time.time() - began
                if dist.is_main() and worked_before is not None:
                    seconds_at_step[str(step)] = worked_before + time.time() - wall_start
                    write_json(os.path.join(workdir, TIMING), {"seconds_at_step": seconds_at_step})
        if step < total:
            dist.say(f"Stopped after {step} of {total} steps; continue with --resume.")
            return {}
        checkpointer.manager.wait_until_finished()  # results.json last: it says the job is complete
        # final_metrics: every phase's last metrics (IDQL's critic and actor, QDQ's return model…),
        # later phases first where keys repeat, read back from metrics.jsonl so a resumed job has
        # the phases it trained before the interruption too
        end, final = 0, {}
        for phase in phases:
            end += phase.steps
            final.update(logger.metrics_at(end) if dist.is_main() else {})
        last_info = final or last_info
        return results("finished", updates_per_s=trained_steps / train_seconds if train_seconds else None)
    finally:
        close()


def results_block(
    config: ml_collections.ConfigDict,
    runs: Sequence[Run],
    history: list[dict],
    last_info: dict[str, np.ndarray],
    *,
    status: str = "finished",
    steps_completed: int | None = None,
    diverged: Sequence[dict] = (),
    last_checkpoint: int | None = None,
    **throughput,
) -> dict[str, Any]:
    """What ``results.json`` holds: the job's ``status`` ("finished", or "diverged" for a job that
    stopped on divergence) and per run its ``status`` ("finished", "diverged", or "stopped": finite
    but stopped with the job), final score, return and last metrics — null, never a number, for a
    run that did not finish —, the divergence records, the evaluation history and throughput
    (``num_devices``, ``wall_time_s``, ``updates_per_s``, and the seconds spent evaluating and
    checkpointing, ``eval_time_s`` / ``checkpoint_time_s``, of this job since its last start, which
    was at ``resumed_from_step``) with the ``machine`` that measured it (``train/machine.py``), and
    ``total_wall_time_s``: the job's seconds over every segment that made this result (None where a
    segment before the last left no record of its time). Non-finite values are NaN here; they are
    written (``files.write_json``) as null."""
    by_run = {record["run"]: record for record in diverged}

    def entry(run: Run) -> dict[str, Any]:
        run_status = "diverged" if run.index in by_run else "stopped" if status != "finished" else "finished"
        done = run_status == "finished"
        return {
            "run": run.index,
            "seed": run.seed,
            "hparams": run.hparams,
            "status": run_status,
            "normalized_score": history[-1]["normalized_score"][run.index] if history and done else None,
            "return": history[-1]["return"][run.index] if history and done else None,
            "final_metrics": {k: float(v[run.index]) for k, v in last_info.items()}
            if run_status != "diverged"
            else None,
            "diverged": by_run.get(run.index),
        }

    return {
        "algo": config.algo,
        "dataset": config.dataset,
        "seeds": [run.seed for run in runs],
        "steps": config.max_steps,
        "status": status,
        "steps_completed": config.max_steps if steps_completed is None else steps_completed,
        "last_checkpoint": last_checkpoint,
        "diverged_runs": len(by_run),
        **throughput,
        "runs": [entry(run) for run in runs],
        "eval_history": history,
    }
