"""Online fine-tuning: the replay buffer, the reward map, IDQL's two modes, and a full
``launch/train_idql.py`` run (offline IDQL, then online IDQL-Imp) on the IDQL bandit."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents import idql
from jaxdiffrl.agents.idql import IDQLAgent
from jaxdiffrl.agents.phases import OnlineMode, OnlineUpdate
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.online import default_online_config, reward_convention
from jaxdiffrl.train.replay_buffer import ReplayBuffer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_replay_buffer_keeps_the_dataset_and_rings_the_online_rows():
    arrays = {"rewards": np.arange(3, dtype=np.float32), "observations": np.zeros((3, 2), np.float32)}
    buffer = ReplayBuffer.seeded(arrays, capacity=5)
    assert int(buffer.size) == 3 and int(buffer.cursor) == 3
    for value in (3.0, 4.0, 5.0):
        buffer = buffer.add({"rewards": value, "observations": jnp.full((2,), value)})
    # the offline rows stay; the oldest online row went first
    np.testing.assert_array_equal(buffer.data["rewards"], [0, 1, 2, 5, 4])
    np.testing.assert_array_equal(buffer.data["observations"][3], [5, 5])
    assert int(buffer.size) == 5 and int(buffer.cursor) == 4
    batch = buffer.sample(jax.random.PRNGKey(0), 64)
    assert set(np.asarray(batch["rewards"]).tolist()) <= {0.0, 1.0, 2.0, 4.0, 5.0}
    with pytest.raises(ValueError, match="cannot hold"):
        ReplayBuffer.seeded(arrays, capacity=3)


def test_symmetric_batches_draw_half_from_the_online_rows():
    """IDQL's fine-tuning batches: half online transitions from the first update on."""
    arrays = {"rewards": np.zeros(100, np.float32)}
    buffer = ReplayBuffer.seeded(arrays, capacity=110)
    only_offline = buffer.sample_symmetric(jax.random.PRNGKey(0), 64)
    assert np.all(np.asarray(only_offline["rewards"]) == 0.0)  # no online row yet: all offline
    buffer = buffer.add({"rewards": 1.0}).add({"rewards": 2.0})
    rewards = np.asarray(buffer.sample_symmetric(jax.random.PRNGKey(1), 64)["rewards"])
    assert np.all(rewards[:32] == 0.0) and set(rewards[32:].tolist()) == {1.0, 2.0}
    uniform = np.asarray(buffer.sample(jax.random.PRNGKey(1), 64)["rewards"])
    assert (uniform > 0).mean() < 0.2  # uniform batches see the 2 online rows of 102 rarely


def test_fine_tuning_defaults_follow_idqls_reference():
    config = default_online_config()
    assert (config.sampling, config.warmup_steps, config.actor_batch_size) == ("symmetric", 5_000, 512)


def test_reward_convention_recovers_the_affine_map():
    raw = np.random.default_rng(0).normal(size=100)
    assert reward_convention(raw, (raw * 4.0 - 0.5)) == pytest.approx((4.0, -0.5))
    assert reward_convention(np.zeros(5), np.full(5, -1.0)) == pytest.approx((1.0, -1.0))
    with pytest.raises(ValueError, match="not affine"):
        reward_convention(raw, raw**2)


def test_idql_online_modes():
    """Table 3: IDQL-Max tunes Q and V only, exploring greedily; IDQL-Imp also tunes μ_φ (2 steps)."""
    config = base_config("idql", "bandit-idql", idql.default_config(), online=default_online_config())
    assert IDQLAgent.online_mode(config) == OnlineMode(
        IDQLAgent.act_greedy, (OnlineUpdate(IDQLAgent.update_critic, 1, 256),)
    )
    config.online.mode = "implicit"
    assert IDQLAgent.online_mode(config) == OnlineMode(
        IDQLAgent.act_implicit,
        (OnlineUpdate(IDQLAgent.update_critic, 1, 256), OnlineUpdate(IDQLAgent.update_actor, 2, 512)),
    )
    config.online.mode = "other"
    with pytest.raises(ValueError, match="online.mode"):
        IDQLAgent.online_mode(config)


def test_launch_idql_offline_then_online(tmp_path):
    """IDQL-Imp (implicit exploration; Q, V and μ_φ tuned) on the bandit holds the offline policy's
    return (tolerance: 0.1 of the best mode's reward, five of the 50 evaluation episodes), and the
    offline and online phases log apart."""
    workdir = tmp_path / "run"
    overrides = {
        "max_steps": 2_000, "log_interval": 500, "eval_interval": 2_000, "checkpoint_interval": 2_000,
        "eval_episodes": 50, "agent.critic_fraction": 0.25, "agent.actor_lr": 1e-3,
        "agent.num_candidates": 16,
        "agent.critic.q_lr": 1e-3, "agent.critic.v_lr": 1e-3, "agent.diffusion.resnet_blocks": 2,
        "agent.diffusion.dropout_rate": 0.0, "online.enabled": True, "online.mode": "implicit",
        "online.steps": 200, "online.log_interval": 100, "online.eval_interval": 200,
        "online.warmup_steps": 50, "agent.actor_tau": 0.01,  # the slow copy catches up in 1.5k steps
    }  # fmt: skip
    command = [sys.executable, os.path.join(REPO, "launch", "train_idql.py"),
               f"--config={os.path.join(REPO, 'configs', 'idql', 'toy.py')}:bandit-idql",
               f"--workdir={workdir}", "--seeds=2", "--progress=false",
               *(f"--config.{key}={value}" for key, value in overrides.items())]  # fmt: skip
    # The session's Minari folder (conftest): bandit-idql is generated once per worker, not per test.
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "HF_HUB_OFFLINE": "1"}
    process = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]

    results = json.loads((workdir / "results.json").read_text())
    offline = np.array([run["return"] for run in results["runs"]])
    online = np.array([run["return"] for run in results["online"]["runs"]])
    assert np.all(offline > 0.8), offline  # greedy extraction finds the best mode (reward 1)
    assert np.all(online >= offline - 0.1), (offline, online)

    rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    offline_rows = [r for r in rows if r["step"] <= 2_000]
    online_rows = [r for r in rows if r["step"] > 2_000]
    assert any("eval/return" in r for r in offline_rows) and any("critic/loss" in r for r in offline_rows)
    assert all(
        key.startswith("online/") for r in online_rows for key in r if key not in ("step", "run", "seed")
    )
    logged = {key for row in online_rows for key in row}
    assert {"online/critic/loss", "online/actor/loss", "online/rollout/return"} <= logged
    assert "online/eval/return" in logged
    assert max(r["step"] for r in online_rows) == 2_200
