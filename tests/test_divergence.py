"""A run whose metrics turn NaN or infinite stops with one clear error and loses nothing it had.

An agent that is finite for its first 20 updates and then logs NaN (runs with seed 1) checks the
bookkeeping: the error names the steps, metric and runs; the last good checkpoint (step 20) is the
latest one and restores; no results.json is written; metrics.jsonl holds the NaN rows. IQL with a
learning rate of 1e6 from its launch script exits with the one-line error.
"""

import json
import math
import os
import subprocess
import sys

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxdiffrl.agents.phases import SinglePhase
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.engine import TrainingDiverged, train
from jaxdiffrl.train.runs import Run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DivergingAgent(SinglePhase, flax.struct.PyTreeNode):
    step: jax.Array
    seed_is_one: jax.Array
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def create(cls, rng, observations, actions, config, hparams):
        return cls(
            jnp.zeros((), jnp.int32), jnp.asarray(hparams["flag"] > 0), ml_collections.FrozenConfigDict({})
        )

    def update(self, batch):
        broken = (self.step >= 20) & self.seed_is_one
        loss = jnp.where(broken, jnp.nan, batch["rewards"].mean())
        return self.replace(step=self.step + 1), {"critic/loss": loss, "critic/q": batch["rewards"].mean()}

    def sample_actions(self, observations, rng):
        return jnp.zeros(observations.shape[:-1] + (1,))


def dataset(n: int = 32) -> OfflineDataset:
    zeros = np.zeros((n, 1), np.float32)
    ones = np.ones(n, np.float32)
    return OfflineDataset(zeros, zeros, ones, zeros, ones, np.ones(n, bool), name="flat")


def test_divergence_stops_the_job_and_keeps_the_last_good_checkpoint(tmp_path):
    config = base_config(
        "diverging", "flat", ml_collections.ConfigDict({"hparams": {"flag": 0.0}}), max_steps=40,
        batch_size=4, log_interval=10, eval_interval=10, checkpoint_interval=10,
    )  # fmt: skip
    runs = [Run(0, 0, {"flag": 0.0}), Run(1, 1, {"flag": 1.0})]
    workdir = str(tmp_path / "run")
    with pytest.raises(TrainingDiverged) as error:
        train(DivergingAgent, config, dataset(), runs, workdir, progress=False)
    message = str(error.value)
    assert "between steps 20 and 30" in message and "critic/loss = nan" in message
    assert "1 of 2 run(s): seed 1 flag=1" in message and "step 20" in message
    assert not os.path.exists(os.path.join(workdir, "results.json"))
    checkpointer = Checkpointer(workdir)
    assert checkpointer.latest_step() == 20
    checkpointer.close()
    rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert any(row["step"] == 30 and math.isnan(row["critic/loss"]) for row in rows)
    assert all(math.isfinite(row["critic/loss"]) for row in rows if row["step"] <= 20)


def test_iql_with_a_huge_learning_rate_exits_with_one_line(tiny_maze_dataset, tmp_path):
    out = subprocess.run(
        [
            sys.executable, os.path.join(REPO, "launch", "train_iql.py"), f"--workdir={tmp_path / 'iql'}",
            "--config.max_steps=200", "--config.log_interval=100", "--config.eval_interval=200",
            "--config.checkpoint_interval=100", "--config.batch_size=32",
            "--config.agent.critic.q_lr=1e6", "--config.agent.critic.v_lr=1e6",
            "--config.agent.actor_lr=1e6", "--config.agent.critic.hidden_dims=(16,16)",
            "--config.agent.actor_hidden_dims=(16,16)", "--progress=false",
        ],  # fmt: skip
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ},
    )  # fmt: skip
    assert out.returncode != 0
    assert "error: training diverged between steps" in out.stderr, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
