"""Diffusion-QL: mode selection on the 4-mode bandit, the Q-gradient through every step of the chain,
offline / online model selection from a run's metrics, and a smoke run of the launch script.

The bandit runs configs/diffusion_ql/toy.py's CPU budget (T = 10, 3×32 networks, batch 64, lr 1e-2
with cosine decay, 8000 steps; the paper: T = 50, 100k steps) through the engine's own pieces
(``create_agents`` + ``make_chunk``): seeds 0, 1, 2 × η ∈ {0 (BC-Diffusion), 1} in ONE vmapped job,
about two minutes. Shorter runs leave stray samples between the best mode and the origin (2000
steps: 43–54 % at the best mode), and at 2000 steps a larger η follows the critic's extrapolation
past the best mode into the bottom-right corner; with the longer cosine schedule η = 1 settles on
the mode. Measured here on the 2-core CPU (seeds 0–2, sampling key 7): Diffusion-QL's policy puts
86–87 % of its samples within 0.2 of the best centre, its acting rule 93–95 %; BC-Diffusion 18–22 %
at each mode. docs/results/bandit-dql-4mode.md draws the same config's launch-script run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents.diffusion_ql import DiffusionQLAgent
from jaxdiffrl.app.cli import load_config
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.diffusion.policy import DiffusionPolicy
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.device_data import to_device
from jaxdiffrl.train.engine import create_agents, make_chunk, run_keys
from jaxdiffrl.train.model_selection import select_models
from jaxdiffrl.train.runs import make_runs

ROOT = Path(__file__).resolve().parents[1]
BANDIT_CONFIG = f"{ROOT}/configs/diffusion_ql/toy.py:bandit-dql-4mode,budget=cpu"
ETA = load_config(BANDIT_CONFIG).agent.hparams.eta
CENTRES = np.array([[0.0, -0.8], [0.8, 0.0], [-0.8, 0.0], [0.0, 0.8]])  # best (reward 3) first
RADIUS = 0.2
SEEDS = (0, 1, 2)
NUM_SAMPLES = 1000


@pytest.fixture(scope="module")
def bandit_samples() -> dict:
    """{η: (policy samples, acting-rule actions)}, each (seeds, NUM_SAMPLES, 2), for η ∈ {0, ETA}."""
    config = load_config(BANDIT_CONFIG)
    dataset = prepare_dataset(config)
    runs = make_runs(SEEDS, config.agent.hparams, {"eta": [0.0, ETA]})
    agents = create_agents(DiffusionQLAgent, config, dataset, runs)
    chunk = make_chunk(DiffusionQLAgent.update, config.batch_size, config.max_steps)
    agents, _, info = chunk(
        agents, jnp.asarray(run_keys([r.seed for r in runs])[1]), to_device(dataset.arrays())
    )
    assert np.all(np.isfinite(np.asarray(info["actor/bc_loss"])))
    observations = jnp.zeros((NUM_SAMPLES, dataset.observation_dim))

    def sample(agent, key):
        policy_key, act_key = jax.random.split(key)
        return (
            agent.sample_policy(observations, policy_key),
            agent.sample_actions(observations, act_key),
        )

    policy, acting = map(
        np.asarray, jax.jit(jax.vmap(sample))(agents, jax.random.split(jax.random.PRNGKey(7), len(runs)))
    )
    etas = np.array([r.hparams["eta"] for r in runs])
    return {eta: (policy[etas == eta], acting[etas == eta]) for eta in (0.0, ETA)}


def _near_fractions(actions: np.ndarray) -> np.ndarray:
    """Fraction of the samples within RADIUS of each centre, (4,)."""
    return (np.linalg.norm(actions[:, None] - CENTRES[None], axis=-1) < RADIUS).mean(0)


@pytest.mark.slow
def test_diffusion_ql_concentrates_on_the_best_mode(bandit_samples):
    """≥ 80 % of Diffusion-QL's policy samples, and of the actions its acting rule picks (softmax over
    Q̄ of 50 candidates), lie within 0.2 of the best centre, for each of the three seeds."""
    policy, acting = bandit_samples[ETA]
    for seed, policy_actions, actions in zip(SEEDS, policy, acting, strict=True):
        sampled, acted = _near_fractions(policy_actions), _near_fractions(actions)
        report = f"seed {seed}: policy samples {np.round(sampled, 3)}, actions {np.round(acted, 3)}"
        assert sampled[0] >= 0.8 and acted[0] >= 0.8, report


@pytest.mark.slow
def test_bc_diffusion_keeps_all_four_modes(bandit_samples):
    policy, _ = bandit_samples[0.0]
    for seed, actions in zip(SEEDS, policy, strict=True):
        near = _near_fractions(actions)
        assert np.all(near > 0.1) and near.sum() > 0.5, f"seed {seed}: {np.round(near, 3)}"


class StopGradientAt(DiffusionPolicy):
    """The same policy with the ε-prediction of one step (zero-based index) cut from the gradient."""

    stop_index: jax.Array = -1

    def eps_fn(self, params, condition, *, dropout_rng=None):
        eps_fn = super().eps_fn(params, condition, dropout_rng=dropout_rng)

        def cut(x, t):
            eps = eps_fn(x, t)
            return jnp.where((t == self.stop_index)[:, None], jax.lax.stop_gradient(eps), eps)

        return cut


def test_q_gradient_reaches_the_actor_through_every_step():
    """The actor's Q-term gradient changes whenever any single step's ε is stop-gradiented (a cut that
    the agent's own sampling path did not see would leave the gradient unchanged and fail here)."""
    agent_config = load_config(f"{ROOT}/configs/diffusion_ql/locomotion.py").agent
    agent_config.diffusion.hidden_dims = agent_config.critic_hidden_dims = (16, 16)
    config = base_config("diffusion_ql", "synthetic", agent_config, max_steps=10)
    observations = jax.random.normal(jax.random.PRNGKey(0), (64, 3))
    create = jax.jit(
        lambda key: DiffusionQLAgent.create(key, observations[:1], jnp.zeros((1, 2)), config, {"eta": 1.0})
    )
    agent = create(jax.random.PRNGKey(1))
    fields = {name: getattr(agent.diffusion, name) for name in agent.diffusion.__dataclass_fields__}

    @jax.jit
    def q_gradient(stop_index):
        cut_agent = agent.replace(diffusion=StopGradientAt(**fields, stop_index=stop_index))
        loss = lambda params: cut_agent.q_term(params, observations, jax.random.PRNGKey(2))[0]
        return jnp.concatenate([g.ravel() for g in jax.tree.leaves(jax.grad(loss)(agent.actor.params))])

    full = q_gradient(-1)
    assert float(jnp.linalg.norm(full)) > 0
    for step in range(agent.diffusion.num_steps):
        relative = float(jnp.linalg.norm(full - q_gradient(step)) / jnp.linalg.norm(full))
        assert relative > 1e-3, f"step index {step} adds nothing to the gradient ({relative:.2e})"


def test_model_selection_reports_final_offline_and_online(tmp_path):
    """Offline: the eval step whose window-mean L_d is 2nd lowest (rank 1); online: the best eval."""
    rows = []
    losses = {1: 0.9, 2: 0.7, 3: 0.5, 4: 0.6, 5: 0.4, 6: 0.45}  # windows (0,2], (2,4], (4,6]
    for step, loss in losses.items():
        rows.append({"step": step, "run": 0, "seed": 3, "actor/bc_loss": loss})
        if step % 2 == 0:
            rows.append(
                {
                    "step": step,
                    "run": 0,
                    "seed": 3,
                    "eval/normalized_score": {2: 10.0, 4: 50.0, 6: 30.0}[step],
                }
            )
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    selection = select_models(str(tmp_path), rank=1)
    run = selection["runs"][0]
    assert (run["final"]["step"], run["final"]["score"]) == (6, 30.0)
    assert (run["online_best"]["step"], run["online_best"]["score"]) == (4, 50.0)
    assert (run["offline"]["step"], run["offline"]["score"]) == (4, 50.0)  # means 0.8, 0.55, 0.425
    assert run["offline"]["bc_loss"] == pytest.approx(0.55)
    mean = {"hparams": {}, "runs": 1, "final": 30.0, "offline": 50.0, "online_best": 50.0}
    assert selection["means"] == [mean]


def test_launch_script_smoke(tmp_path):
    workdir = tmp_path / "run"
    # The session's Minari folder (conftest): the bandit is generated once per worker, not per test.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "JAX_PLATFORMS": "cpu"}
    command = [
        sys.executable,
        str(ROOT / "launch" / "train_diffusion_ql.py"),
        f"--config={ROOT}/configs/diffusion_ql/toy.py:bandit-dql-4mode",
        "--config.max_steps=20",
        "--config.log_interval=5",
        "--config.eval_interval=10",
        "--config.checkpoint_interval=10",
        "--config.eval_episodes=4",
        "--config.batch_size=16",
        "--config.agent.diffusion.num_steps=3",
        "--config.agent.diffusion.hidden_dims=(8,8)",
        "--config.agent.critic_hidden_dims=(8,8)",
        "--config.agent.num_candidates=4",
        "--seeds=2",
        f"--workdir={workdir}",
        "--progress=false",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "offline-selected" in result.stdout and "online-best" in result.stdout, result.stdout
    results = json.loads((workdir / "results.json").read_text())
    assert "workdir" not in results, "results.json has the keys of every agent's, plus model_selection"
    selection = results["model_selection"]
    assert [r["seed"] for r in selection["runs"]] == [0, 1]
    for run in selection["runs"]:
        assert run["final"]["step"] == 20 and run["offline"]["step"] in (10, 20)
        assert run["offline"]["checkpoint"] is not None  # every evaluated model is kept

    # The trained runs drawn over the dataset; a folder that holds no run is one line.
    plot = [sys.executable, str(ROOT / "launch" / "plot_bandit.py"), str(workdir), "--samples=64"]
    result = subprocess.run(
        [*plot, f"--out={tmp_path / 'bandit.png'}"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "bandit.png").stat().st_size > 0
    report = json.loads((tmp_path / "bandit.json").read_text())
    assert report["step"] == 20 and [r["seed"] for r in report["runs"]] == [0, 1]
    for entry in report["runs"]:
        for row in ("actions", "policy samples"):
            assert len(entry[row]) == 4 and all(0 <= f <= 1 for f in entry[row]) and sum(entry[row]) <= 1
    result = subprocess.run(
        [*plot[:2], str(tmp_path), *plot[3:]], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "holds no finished training job" in result.stderr.strip().splitlines()[-1]
