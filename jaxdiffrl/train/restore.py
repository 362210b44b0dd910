"""A trained job read back from its run directory: config (config.json), runs (results.json) and
the vmapped agents of one of its checkpoints — for fine-tuning, plotting or any later analysis."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.engine import phase_data, run_keys, started_shapes
from jaxdiffrl.train.runs import Run, stack_hparams
from jaxdiffrl.train.sharding import RunSharding


def runs_of(results: dict[str, Any]) -> list[Run]:
    """The runs of a finished job, from its results."""
    return [Run(r["run"], r["seed"], r["hparams"]) for r in results["runs"]]


def _tuples(tree):
    """JSON has no tuples: config.json's lists were the config's tuples (network widths, …)."""
    if isinstance(tree, dict):
        return {key: _tuples(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return tuple(_tuples(value) for value in tree)
    return tree


def load_run(workdir: str) -> tuple[ml_collections.ConfigDict, list[Run]]:
    """(config, runs) of the finished job in ``workdir``."""
    paths = {name: os.path.join(workdir, f"{name}.json") for name in ("config", "results")}
    for name, path in paths.items():
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"{path} does not exist: {workdir} holds no finished training job "
                f"({'not a run directory' if name == 'config' else 'unfinished; continue it with --resume'})."
            )
    with open(paths["config"]) as f:
        config = ml_collections.ConfigDict(_tuples(json.load(f)))
    with open(paths["results"]) as f:
        runs = runs_of(json.load(f))
    return config, runs


def restore_agents(
    agent_cls,
    config: ml_collections.ConfigDict,
    dataset: OfflineDataset,
    runs: Sequence[Run],
    workdir: str,
    step: int | None = None,
    sharding: RunSharding | None = None,
):
    """(vmapped agents, step) of the job in ``workdir`` at checkpoint ``step`` (default: the newest
    one that verifies against its checksums; a damaged newer one is named and skipped). A named
    ``step`` that is damaged raises ``CheckpointCorrupt``; a missing checkpoints folder,
    ``FileNotFoundError``."""
    sharding = sharding or RunSharding(len(runs))
    checkpointer = Checkpointer(workdir, config.get("checkpoints_to_keep", 2), create=False)
    try:
        saved = checkpointer.saved_steps()
        if step is not None and step not in saved:
            raise FileNotFoundError(
                f"{workdir} has no checkpoint at step {step}; saved steps: {saved or 'none'}."
            )
        if not saved:
            raise FileNotFoundError(f"{workdir} has no checkpoint; saved steps: none.")
        init_keys, data_keys = run_keys([r.seed for r in runs])
        observation, action = jnp.asarray(dataset.observations[:1]), jnp.asarray(dataset.actions[:1])
        create = jax.vmap(lambda key, hparams: agent_cls.create(key, observation, action, config, hparams))
        phases = tuple(agent_cls.phases(config))
        created = jax.eval_shape(create, init_keys, stack_hparams(runs))
        datas = phase_data(phases, dataset)
        keys = jax.ShapeDtypeStruct(data_keys.shape, data_keys.dtype, sharding=sharding.runs)

        def target(at: int) -> dict:
            return {"agents": started_shapes(phases, datas, created, at, sharding.runs), "data_keys": keys}

        if step is None:
            step, restored = checkpointer.restore_latest(target)
        else:
            restored = checkpointer.restore(step, target(step))
    finally:
        checkpointer.close()
    return restored["agents"], step
