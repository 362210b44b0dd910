"""A run whose metrics turn NaN or infinite stops with one clear error and loses nothing it had.

An agent that is finite for its first 20 updates and then logs NaN (runs with seed 1) checks the
bookkeeping: the error names the steps, metric and runs; the last good checkpoint (step 20) is the
latest one and restores; results.json (strict JSON) marks the run diverged, with no score;
metrics.jsonl holds the NaN rows as null. With ``on_divergence="continue"`` a 3-run sweep finishes
its two finite runs, exactly as without the diverging one, which stays frozen at its last finite
state, also across a resume. IQL with a learning rate of 1e6 from its launch script exits with the
one-line error.
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
from jaxdiffrl.envs.bandit import BanditEnv
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


def dataset(n: int = 32, env: bool = False) -> OfflineDataset:
    zeros = np.zeros((n, 1), np.float32)
    ones = np.ones(n, np.float32)
    make_env = (lambda: BanditEnv("bandit-idql")) if env else None
    return OfflineDataset(zeros, zeros, ones, zeros, ones, np.ones(n, bool), name="flat", make_env=make_env)


def diverging_config(**overrides):
    return base_config(
        "diverging", "flat", ml_collections.ConfigDict({"hparams": {"flag": 0.0}}), max_steps=40,
        batch_size=4, log_interval=10, eval_interval=10, checkpoint_interval=10, eval_episodes=2, **overrides,
    )  # fmt: skip


def agents_like(runs):
    """A restore target for DivergingAgent checkpoints of ``runs``."""
    return jax.vmap(lambda flag: DivergingAgent.create(None, None, None, None, {"flag": flag}))(
        jnp.asarray([run.hparams["flag"] for run in runs])
    )


def strict_json(path):
    """``path`` parsed as strict JSON: NaN or Infinity anywhere fails."""

    def refuse(constant):
        raise ValueError(f"{path} holds {constant}, which is not JSON")

    with open(path) as f:
        return json.load(f, parse_constant=refuse)


def test_divergence_stops_the_job_and_keeps_the_last_good_checkpoint(tmp_path):
    config = diverging_config()
    runs = [Run(0, 0, {"flag": 0.0}), Run(1, 1, {"flag": 1.0})]
    workdir = str(tmp_path / "run")
    with pytest.raises(TrainingDiverged) as error:
        train(DivergingAgent, config, dataset(), runs, workdir, progress=False)
    message = str(error.value)
    assert "between steps 20 and 30" in message and "critic/loss = nan" in message
    assert "1 of 2 run(s): seed 1 flag=1" in message and "step 20" in message
    results = strict_json(os.path.join(workdir, "results.json"))
    assert results["status"] == "diverged" and results["steps_completed"] == 30
    assert results["last_checkpoint"] == 20 and results["diverged_runs"] == 1
    first, second = results["runs"]
    assert first["status"] == "stopped" and second["status"] == "diverged"
    assert second["diverged"] == {
        "run": 1, "seed": 1, "hparams": {"flag": 1.0}, "between_steps": [20, 30], "metric": "critic/loss",
        "value": "nan",
    }  # fmt: skip
    assert all(run["normalized_score"] is None and run["return"] is None for run in results["runs"])
    assert second["final_metrics"] is None
    assert error.value.results == results
    checkpointer = Checkpointer(workdir)
    assert checkpointer.saved_steps() == [10, 20], "the last finite checkpoint is never rotated away"
    target = {"agents": agents_like(runs), "data_keys": np.zeros((2, 2), np.uint32)}
    restored = checkpointer.restore(20, target)
    checkpointer.close()
    assert restored["agents"].step.tolist() == [20, 20]
    rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert any(row["step"] == 30 and row["run"] == 1 and row["critic/loss"] is None for row in rows)
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
    results = strict_json(tmp_path / "iql" / "results.json")
    assert results["status"] == "diverged" and results["runs"][0]["status"] == "diverged"
    assert results["runs"][0]["normalized_score"] is None and results["runs"][0]["final_metrics"] is None
    assert not os.path.exists(tmp_path / "iql" / "lock"), "the job's lock goes with it"


def test_diverging_online_fine_tuning_exits_with_one_line_and_keeps_the_offline_results(
    tiny_maze_dataset, tmp_path
):
    """IDQL trains offline, then fine-tunes online with an absurd actor learning rate: the job exits
    with one line naming the metric and the steps; the offline results.json and checkpoints stand,
    and nothing online (checkpoint or results entry) is written."""
    workdir = tmp_path / "idql"
    out = subprocess.run(
        [
            sys.executable, os.path.join(REPO, "launch", "train_idql.py"), f"--workdir={workdir}",
            "--config.max_steps=100", "--config.log_interval=50", "--config.eval_interval=100",
            "--config.checkpoint_interval=100", "--config.batch_size=32", "--config.eval_episodes=1",
            "--config.agent.critic_fraction=0.5", "--config.agent.num_candidates=4",
            "--config.agent.critic.hidden_dims=(16,16)", "--config.agent.diffusion.resnet_blocks=1",
            "--config.agent.diffusion.resnet_width=16", "--config.online.enabled=True",
            "--config.online.mode=implicit", "--config.online.steps=40", "--config.online.log_interval=20",
            "--config.online.eval_interval=40", "--config.online.warmup_steps=0",
            "--config.online.actor_lr=1e30", "--progress=false",
        ],  # fmt: skip
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ},
    )  # fmt: skip
    assert out.returncode != 0
    assert "error: online fine-tuning diverged at step" in out.stderr, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    results = strict_json(workdir / "results.json")
    assert "online" not in results
    assert all(run["status"] == "finished" for run in results["runs"])
    assert all(np.isfinite(run["return"]) for run in results["runs"])
    assert Checkpointer(str(workdir)).saved_steps() == [100]
    assert not os.path.exists(workdir / "online"), "no online checkpoint of a diverged state"


def test_continue_trains_the_finite_runs_of_a_sweep_on(tmp_path):
    """on_divergence=continue: of a 3-run sweep, the point that diverges at step 20–30 is frozen at its
    step-20 state (finite, checkpointed as such) and marked; the other two train to the end, are
    evaluated and scored exactly as in a job without the diverging point."""
    config = diverging_config(on_divergence="continue")
    runs = [Run(0, 0, {"flag": 0.0}), Run(1, 1, {"flag": 1.0}), Run(2, 2, {"flag": 0.0})]
    workdir = str(tmp_path / "sweep")
    results = train(DivergingAgent, config, dataset(env=True), runs, workdir, progress=False)
    on_disk = strict_json(os.path.join(workdir, "results.json"))
    assert on_disk == results
    assert results["status"] == "finished" and results["diverged_runs"] == 1
    assert [run["status"] for run in results["runs"]] == ["finished", "diverged", "finished"]
    assert results["runs"][1]["diverged"]["between_steps"] == [20, 30]
    assert results["runs"][1]["normalized_score"] is None and results["runs"][1]["return"] is None
    for index in (0, 2):
        assert results["runs"][index]["normalized_score"] == 0.5  # zero actions: the bandit's middle mode
        assert math.isfinite(results["runs"][index]["final_metrics"]["critic/loss"])
    history = {entry["step"]: entry["normalized_score"] for entry in results["eval_history"]}
    assert history[20] == [0.5, 0.5, 0.5] and history[30] == history[40] == [0.5, None, 0.5]
    checkpointer = Checkpointer(workdir)
    state = checkpointer.restore(40, {"agents": agents_like(runs), "data_keys": np.zeros((3, 2), np.uint32)})
    checkpointer.close()
    assert state["agents"].step.tolist() == [40, 20, 40], "the diverged run stays at its last finite state"
    alone = train(
        DivergingAgent, config, dataset(env=True), [Run(0, 0, {"flag": 0.0}), Run(1, 2, {"flag": 0.0})],
        str(tmp_path / "alone"), progress=False,
    )  # fmt: skip
    for mine, theirs in zip([results["runs"][0], results["runs"][2]], alone["runs"], strict=True):
        assert mine["final_metrics"] == theirs["final_metrics"]


def test_a_resumed_continuing_sweep_keeps_its_diverged_run_frozen(tmp_path):
    config = diverging_config(on_divergence="continue")
    runs = [Run(0, 0, {"flag": 0.0}), Run(1, 1, {"flag": 1.0})]
    full = train(DivergingAgent, config, dataset(), runs, str(tmp_path / "full"), progress=False)
    cut = str(tmp_path / "cut")
    assert train(DivergingAgent, config, dataset(), runs, cut, stop_after=30, progress=False) == {}
    resumed = train(DivergingAgent, config, dataset(), runs, cut, resume=True, progress=False)
    for key in ("status", "diverged_runs", "runs", "eval_history"):
        assert resumed[key] == full[key], key


def test_a_stopped_sweep_resumed_with_continue_finishes_its_finite_runs(tmp_path):
    runs = [Run(0, 0, {"flag": 0.0}), Run(1, 1, {"flag": 1.0})]
    workdir = str(tmp_path / "run")
    with pytest.raises(TrainingDiverged):
        train(DivergingAgent, diverging_config(), dataset(), runs, workdir, progress=False)
    config = diverging_config(on_divergence="continue")
    resumed = train(DivergingAgent, config, dataset(), runs, workdir, resume=True, progress=False)
    full = train(DivergingAgent, config, dataset(), runs, str(tmp_path / "full"), progress=False)
    assert [run["status"] for run in resumed["runs"]] == ["finished", "diverged"]
    for key in ("runs", "eval_history", "status"):
        assert resumed[key] == full[key], key
