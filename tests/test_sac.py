"""SAC: the temperature follows the entropy target, and the online loop learns a bandit's best arm."""

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdiffrl.envs  # noqa: F401  (registers the bandit envs)
from jaxdiffrl.agents.sac import SACAgent, default_config
from jaxdiffrl.generators.recipes import LOCOMOTION
from jaxdiffrl.train.online_training import default_online_training_config, learn_online


def tiny_agent(seed: int = 0, action_dim: int = 2, init_temperature: float = 1.0) -> SACAgent:
    config = default_config()
    config.hidden_dims = (32, 32)
    config.init_temperature = init_temperature
    config.actor_lr = config.critic_lr = config.temperature_lr = 1e-3  # tiny tasks, few updates
    return SACAgent.create(jax.random.PRNGKey(seed), jnp.zeros((1, 1)), jnp.zeros((1, action_dim)), config)


def test_temperature_moves_toward_the_entropy_target():
    agent = tiny_agent()
    alpha = float(agent.temperature.apply_fn(agent.temperature.params))
    above, _ = agent.update_temperature(jnp.asarray(agent.target_entropy + 1.0))
    below, _ = agent.update_temperature(jnp.asarray(agent.target_entropy - 1.0))
    assert float(above.temperature.apply_fn(above.temperature.params)) < alpha
    assert float(below.temperature.apply_fn(below.temperature.params)) > alpha
    assert agent.target_entropy == -2.0, "default target entropy is −|A|"


def test_critic_regresses_to_rewards_at_terminal_transitions():
    agent = tiny_agent()
    batch = {
        "observations": jnp.zeros((4, 1)),
        "actions": jnp.array([[0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]),
        "rewards": jnp.array([1.0, -1.0, 2.0, 0.0]),
        "next_observations": jnp.zeros((4, 1)),
        "masks": jnp.zeros(4),
    }

    def body(agent, key):
        return agent.update_critic(batch, key)[0], None

    agent, _ = jax.jit(lambda a: jax.lax.scan(body, a, jax.random.split(jax.random.PRNGKey(0), 1500)))(agent)
    q = agent.critic.apply_fn(agent.critic.params, batch["observations"], batch["actions"])
    np.testing.assert_allclose(q, jnp.broadcast_to(batch["rewards"], q.shape), atol=0.05)


class QuadraticBandit(gym.Env):
    """One step from a constant state; reward −‖a − (0.5, −0.3)‖²."""

    TARGET = np.array([0.5, -0.3], np.float32)
    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        return np.zeros(1, np.float32), -float(np.sum((action - self.TARGET) ** 2)), True, False, {}


def test_sac_finds_the_maximum_of_a_quadratic_bandit():
    config = default_online_training_config(
        steps=3_000, start_steps=200, eval_interval=1_500, eval_episodes=20, batch_size=64, buffer_size=3_000
    )
    agent, history = learn_online(
        tiny_agent(init_temperature=0.1), QuadraticBandit, config, seed=0, progress=False
    )
    assert history[-1]["env_steps"] == 3_000
    mean_action = agent.mean_actions(jnp.zeros((1, 1)), None)[0]
    np.testing.assert_allclose(mean_action, QuadraticBandit.TARGET, atol=0.15)
    assert history[-1]["return"] > -0.1, history  # random actions: ≈ −0.68


@pytest.mark.parametrize("env_id", [recipe.env_id for recipe in LOCOMOTION.values()])
def test_sac_runs_on_every_locomotion_env(env_id):
    """A few hundred steps of the online loop with two vector-env copies on each MuJoCo env."""
    env = gym.make(env_id)
    config = default_config()
    config.hidden_dims = (16, 16)
    agent = SACAgent.create(
        jax.random.PRNGKey(0),
        jnp.zeros((1, *env.observation_space.shape)),
        jnp.zeros((1, *env.action_space.shape)),
        config,
    )
    online = default_online_training_config(
        steps=200,
        num_envs=2,
        start_steps=100,
        eval_interval=200,
        eval_episodes=1,
        batch_size=32,
        buffer_size=200,
    )
    agent, history = learn_online(agent, lambda: gym.make(env_id), online, seed=0, progress=False)
    assert [h["env_steps"] for h in history] == [200] and np.isfinite(history[0]["return"])
    assert int(agent.critic.step) == 100, "one update per env step after the random phase"
