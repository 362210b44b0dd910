"""Loading goal-conditioned Minari data: dict observations flatten to observation ++ desired_goal."""

import gymnasium as gym
import gymnasium_robotics
import minari
import numpy as np

from jaxdiffrl.data.minari_source import load_minari


def test_dict_observations_flatten_to_observation_then_goal():
    gym.register_envs(gymnasium_robotics)
    env = minari.DataCollector(gym.make("PointMaze_UMaze-v3", max_episode_steps=30))
    env.reset(seed=0)
    for _ in range(2):
        for _ in range(30):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                env.reset()
                break
    env.create_dataset(
        "test/pointmaze-dict-v0",
        algorithm_name="random",
        author="jaxdiffrl",
        author_email="none@example.com",
        code_permalink="none",
    )
    source = minari.load_dataset("test/pointmaze-dict-v0")
    episode = next(source.iterate_episodes())
    dataset = load_minari("test/pointmaze-dict-v0")
    assert dataset.observation_dim == 4 + 2
    steps = len(episode.rewards)
    np.testing.assert_allclose(
        dataset.observations[:steps, :4], episode.observations["observation"][:-1], rtol=1e-6
    )
    np.testing.assert_allclose(
        dataset.observations[:steps, 4:], episode.observations["desired_goal"][:-1], rtol=1e-6
    )
    np.testing.assert_allclose(
        dataset.next_observations[:steps, :4], episode.observations["observation"][1:], rtol=1e-6
    )
    assert dataset.dones[steps - 1] and dataset.size == source.total_steps
