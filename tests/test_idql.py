"""IDQL on its bandit (ALGORITHMS.md ``bandit-idql``): the value each critic loss learns, the
implicit actors of Theorem 4.1 recovered by importance resampling, and the phases. (Greedy
extraction end to end: tests/test_online.py, whose offline IDQL must find the best mode.)

The bandit has one dummy state, so V must become the loss's statistic of the distribution of
Q(a) = E[r | a] under a ~ μ. Q regresses the rewards, so that distribution is the per-mode mean
reward (computed here from the dataset's rewards), not the noisy rewards themselves.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents import idql
from jaxdiffrl.agents.candidates import select
from jaxdiffrl.agents.idql import IDQLAgent
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.data.toy import BANDITS
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.device_data import to_device
from jaxdiffrl.train.engine import create_agents, make_chunk, run_keys
from jaxdiffrl.train.runs import make_runs

SPEC = BANDITS["bandit-idql"]
LEVELS = {"expectile": (0.5, 0.7, 0.9), "quantile": (0.5, 0.8), "exponential": (1.0, 3.0)}


def bandit_config(value_loss: str = "expectile", max_steps: int = 100):
    agent = idql.default_config()
    agent.critic.update(hidden_dims=(32, 32), value_loss=value_loss, q_lr=1e-3, v_lr=1e-3)
    agent.diffusion.update(resnet_blocks=1, resnet_width=32, time_dim=8, dropout_rate=0.0)
    agent.update(actor_lr=1e-3, actor_batch_size=256, num_candidates=16)
    return base_config(
        "idql", "bandit-idql", agent, max_steps=max_steps, batch_size=256, log_interval=max_steps,
        eval_interval=max_steps, checkpoint_interval=max_steps, eval_episodes=50,
    )  # fmt: skip


def mode_of(actions: np.ndarray) -> np.ndarray:
    return np.argmin(np.abs(np.asarray(actions).reshape(-1, 1) - SPEC.centres[:, 0]), axis=1)


def q_values(dataset) -> np.ndarray:
    """E[r | a] of every dataset action: the mean reward of its mode."""
    modes = mode_of(dataset.actions)
    means = np.array([dataset.rewards[modes == m].mean() for m in range(len(SPEC.centres))])
    return means[modes]


def statistic(kind: str, x: np.ndarray, level: float) -> float:
    """argmin_v E[f(x − v)]: the τ-expectile, the τ-quantile, or (1/α) log E[exp(α x)]."""
    if kind == "quantile":
        return float(np.quantile(x, level, method="inverted_cdf"))
    if kind == "exponential":
        return float((np.logaddexp.reduce(level * x) - np.log(len(x))) / level)
    low, high = x.min(), x.max()
    for _ in range(60):  # E[|τ − 1(x < v)| (x − v)] decreases in v; bisect for its root
        mid = (low + high) / 2
        low, high = (mid, high) if np.mean(np.abs(level - (x < mid)) * (x - mid)) > 0 else (low, mid)
    return float((low + high) / 2)


def train_critics(kind: str, steps: int = 2_000):
    """Critic-only training of one run per level of ``kind``'s hyperparameter, vmapped."""
    config = bandit_config(kind)
    dataset = prepare_dataset(config)
    name = {"expectile": "expectile", "quantile": "quantile", "exponential": "alpha_exp"}[kind]
    runs = make_runs([0], config.agent.hparams, {name: list(LEVELS[kind])})
    agents = create_agents(IDQLAgent, config, dataset, runs)
    keys = jnp.asarray(run_keys([r.seed + r.index for r in runs])[1])
    agents, _, _ = make_chunk(IDQLAgent.update_critic, config.batch_size, steps)(
        agents, keys, to_device(dataset.arrays())
    )
    return dataset, agents


def run(agents, index: int) -> IDQLAgent:
    return jax.tree.map(lambda x: x[index], agents)


def behaviour_samples(rng: np.random.Generator, count: int) -> np.ndarray:
    """Exact draws from the bandit's behaviour policy μ (equal mixture, σ 0.05), shape (count, 1)."""
    modes = rng.integers(0, len(SPEC.centres), count)
    return np.clip(SPEC.centres[modes] + SPEC.action_std * rng.standard_normal((count, 1)), -1, 1)


def histogram(actions: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    counts, _ = np.histogram(np.asarray(actions).ravel(), bins=12, range=(-1, 1), weights=weights)
    return counts / counts.sum()


@pytest.mark.parametrize("kind", ["expectile", "quantile", "exponential"])
def test_value_and_implicit_actor_of_each_critic_loss(kind):
    dataset, agents = train_critics(kind)
    observation = jnp.zeros((1, 1))
    learned = np.asarray(jax.vmap(lambda agent: agent.critic.value(observation)[0])(agents))
    expected = [statistic(kind, q_values(dataset), level) for level in LEVELS[kind]]
    np.testing.assert_allclose(learned, expected, atol=0.05, err_msg=f"V of the {kind} loss")

    # Theorem 4.1: resampling N exact behaviour samples ∝ w draws from π_imp ∝ μ·w.
    agent, rng = run(agents, len(LEVELS[kind]) - 1), np.random.default_rng(0)
    states, num = 4_000, 64
    candidates = behaviour_samples(rng, states * num).reshape(states, num, 1)
    reference = behaviour_samples(rng, 200_000).reshape(1, -1, 1)

    @jax.jit
    def implicit_actor(candidates, reference):
        _, weights = agent.score_candidates(jnp.zeros((states, 1)), candidates)
        _, reference_weights = agent.score_candidates(jnp.zeros((1, 1)), reference)
        return select(candidates, weights, jax.random.PRNGKey(1), "resample"), reference_weights

    resampled, reference_weights = implicit_actor(jnp.float32(candidates), jnp.float32(reference))
    target = histogram(reference, np.asarray(reference_weights).ravel())
    total_variation = 0.5 * np.abs(histogram(resampled) - target).sum()
    assert total_variation < 0.1, (kind, total_variation, histogram(resampled), target)


def test_phases_split_max_steps():
    config = bandit_config(max_steps=30)
    assert [(p.name, p.steps, p.batch_size) for p in IDQLAgent.phases(config)] == [
        ("critic", 10, 256),
        ("actor", 20, 256),
    ]
    config.agent.schedule = "interleaved"
    assert [(p.update, p.steps) for p in IDQLAgent.phases(config)] == [(IDQLAgent.update, 30)]
    assert IDQLAgent.actor_steps(config) == 30
