"""ACD / ACD-F / ACG: the advantage encodings, the guidance algebra through ACD's sampler, mode
selection by the conditioning advantage on the IDQL bandit, and the launch scripts."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.agents import acd
from jaxdiffrl.agents.acd import ACDAgent, AdvantageEncoder
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.data.toy import BANDITS
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.device_data import to_device
from jaxdiffrl.train.engine import create_agents, make_chunk, run_keys
from jaxdiffrl.train.runs import make_runs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CENTRES = BANDITS["bandit-idql"].centres[:, 0]  # reward means 0, 0.5, 1


def tiny_config(advantage_repr: str = "raw", max_steps: int = 20, width: int = 32, diffusion_steps: int = 10):
    agent = acd.default_config()
    agent.hparams.expectile = 0.99  # V ≈ max Q, so the best mode's advantage is ≈ 0 (the paper's premise)
    agent.critic.update(hidden_dims=(32, 32), q_lr=1e-3, v_lr=1e-3)
    agent.diffusion.update(
        resnet_blocks=1, resnet_width=width, time_dim=8, dropout_rate=0.0, num_steps=diffusion_steps
    )
    agent.update(actor_lr=1e-3, actor_batch_size=256, advantage_repr=advantage_repr)
    agent.actor_tau = 0.01  # the acting copy catches up within this test's few thousand steps
    return base_config("acd", "bandit-idql", agent, max_steps=max_steps, batch_size=256)


def test_advantage_encodings():
    advantages = jnp.array([-5.0, -0.05, 0.0, 0.05, 5.0])
    for kind, width in (("raw", 1), ("bins", 21), ("sinusoidal", 16), ("mlp", 16)):
        encoder = AdvantageEncoder(kind, num_bins=21, low=-2.0, high=2.0, dim=16)
        params = encoder.init(jax.random.PRNGKey(0), advantages)
        assert encoder.apply(params, advantages).shape == (5, width), kind
        assert bool(jax.tree.leaves(params)) == (kind == "mlp"), "only the learned embedding has parameters"
    bins = AdvantageEncoder("bins", num_bins=21, low=-2.0, high=2.0)
    index = np.argmax(bins.apply({}, advantages), axis=-1)
    np.testing.assert_array_equal(index, [0, 10, 10, 10, 20])  # A = 0 is the centre bin; the ends are open


def test_guidance_zero_is_conditional_and_minus_one_unconditional():
    """Through ACD's own sampler (``sample_actions``), with a learned (``mlp``) label embedding."""
    config = tiny_config("mlp")
    observation, action = jnp.zeros((1, 1)), jnp.zeros((1, 1))
    agent = jax.jit(
        lambda key: ACDAgent.create(key, observation, action, config, dict(config.agent.hparams))
    )(jax.random.PRNGKey(0))
    observations, key = jnp.linspace(-1, 1, 64)[:, None], jax.random.PRNGKey(1)

    @jax.jit
    def samples(agent):
        params, target = agent.actor.params, agent.target_labels(observations)

        def guided(omega):
            return agent.replace(hparams={**agent.hparams, "guidance": omega}).sample_actions(
                observations, key
            )

        def reference(keep):  # the model at A = target (keep = 1) or at the null token (keep = 0)
            condition = agent.condition(params, observations, target, jnp.full_like(target, keep))
            return agent.diffusion.sample(params["net"], condition, key)

        return jax.vmap(guided)(jnp.array([0.0, -1.0, 3.0])), jax.vmap(reference)(jnp.array([1.0, 0.0]))

    (at_zero, at_minus_one, at_three), (conditional, unconditional) = samples(agent)
    np.testing.assert_allclose(at_zero, conditional, atol=1e-5)
    np.testing.assert_allclose(at_minus_one, unconditional, atol=1e-5)
    assert np.abs(np.asarray(at_three - conditional)).max() > 1e-3

    batch = {"observations": observations, "actions": jnp.zeros((64, 1))}
    trained, info = jax.jit(ACDAgent.update_actor)(agent, batch)
    assert np.isfinite(info["actor/loss"])
    before, after = (
        jax.tree.leaves(agent.actor.params["encoder"]),
        jax.tree.leaves(trained.actor.params["encoder"]),
    )
    assert all(not np.allclose(a, b) for a, b in zip(before, after, strict=True)), (
        "the label embedding learns with the policy"
    )


def on_mode(actions: np.ndarray, mode: int) -> float:
    """The fraction of actions within 0.2 of the bandit's ``mode`` centre."""
    return float(np.mean(np.abs(np.asarray(actions).ravel() - CENTRES[mode]) < 0.2))


def test_conditioning_on_advantage_selects_the_mode():
    """Algorithm 1 on the bandit: A = 0 with ω = 3 samples the best mode, the lowest labels the worst.

    T = 50 as IDQL uses for toy data: with T = 10, ω = 3 scatters samples between the modes."""
    config = tiny_config(max_steps=2_500, width=64, diffusion_steps=50)
    dataset = prepare_dataset(config)
    runs = make_runs([0], config.agent.hparams, {})
    agents = create_agents(ACDAgent, config, dataset, runs)
    keys = jnp.asarray(run_keys([0])[1])
    agents, _, _ = make_chunk(ACDAgent.update, 256, config.max_steps)(
        agents, keys, to_device(dataset.arrays())
    )
    agent = jax.tree.map(lambda x: x[0], agents)
    labels = np.asarray(
        agent.labels({"observations": jnp.zeros((dataset.size, 1)), "actions": dataset.actions})
    )
    lowest = float(np.percentile(labels, 2))

    @jax.jit
    def sample_at(target):
        conditioned = agent.replace(hparams={**agent.hparams, "target_advantage": target})
        return conditioned.sample_actions(jnp.zeros((500, 1)), jax.random.PRNGKey(2))

    assert on_mode(sample_at(0.0), 2) > 0.8
    assert on_mode(sample_at(lowest), 0) > 0.8


def launch(script: str, tmp_path, *args: str) -> dict:
    # The session's Minari folder (conftest): bandit-idql is generated once per worker, not per test.
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "HF_HUB_OFFLINE": "1"}
    workdir = tmp_path / script
    command = [
        sys.executable,
        os.path.join(REPO, "launch", script),
        f"--workdir={workdir}",
        "--progress=false",
    ]
    process = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads((workdir / "results.json").read_text())


def test_launch_acd_f_smoke(tmp_path):
    results = launch(
        "train_acd.py", tmp_path, f"--config={REPO}/configs/acd/toy.py:bandit-idql,variant=acd-f",
        "--config.max_steps=20", "--config.log_interval=10", "--config.eval_interval=20",
        "--config.checkpoint_interval=20", "--config.eval_episodes=2", "--config.agent.num_candidates=4",
        "--config.agent.critic.hidden_dims=(8,8)", "--config.agent.diffusion.resnet_width=8",
        "--config.agent.diffusion.resnet_blocks=1", "--config.agent.diffusion.num_steps=5",
    )  # fmt: skip
    assert results["algo"] == "acd-f" and results["steps"] == 20


def test_launch_acg_on_the_bandit(tmp_path):
    """ACG (one-hot advantage bins) acting at A = 0 takes the best mode: return ≈ 1."""
    results = launch(
        "train_acg.py", tmp_path, f"--config={REPO}/configs/acd/toy.py:bandit-idql,variant=acg",
        "--config.max_steps=2000", "--config.log_interval=1000", "--config.eval_interval=2000",
        "--config.checkpoint_interval=2000", "--config.eval_episodes=20", "--config.agent.actor_lr=1e-3",
        "--config.agent.critic.q_lr=1e-3", "--config.agent.critic.v_lr=1e-3",
        "--config.agent.advantage_repr=bins", "--config.agent.advantage_bins=5",
        "--config.agent.advantage_range=(-1.0,0.5)",
    )  # fmt: skip
    assert results["algo"] == "acg" and results["runs"][0]["return"] > 0.9
