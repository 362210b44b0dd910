"""Loading Minari data: dict observations flatten to observation ++ desired_goal; the flat cache
survives two loaders writing it at once."""

import gymnasium as gym
import gymnasium_robotics
import minari
import numpy as np

from jaxdiffrl.data import minari_source
from jaxdiffrl.data.minari_source import load_minari


def record_random_pointmaze(dataset_id: str):
    """Two ≤ 30-step random PointMaze episodes recorded as the Minari dataset ``dataset_id``."""
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
        dataset_id,
        algorithm_name="random",
        author="jaxdiffrl",
        author_email="none@example.com",
        code_permalink="none",
    )
    return minari.load_dataset(dataset_id)


def test_dict_observations_flatten_to_observation_then_goal():
    source = record_random_pointmaze("test/pointmaze-dict-v0")
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


def test_two_loaders_writing_the_cache_at_once_both_succeed(monkeypatch):
    """A second loader runs to completion while the first is between writing its temporary cache
    file and renaming it (what two suite jobs starting on one dataset did): with a shared temporary
    name the second rename took the first's file away and the first load failed."""
    record_random_pointmaze("test/pointmaze-race-v0")
    real_savez = np.savez
    interleaved = []

    def savez_then_let_another_loader_finish(file, **arrays):
        real_savez(file, **arrays)
        if not interleaved:
            interleaved.append(None)  # the second loader's own write goes straight through
            interleaved[0] = load_minari("test/pointmaze-race-v0")

    monkeypatch.setattr(minari_source.np, "savez", savez_then_let_another_loader_finish)
    first = load_minari("test/pointmaze-race-v0")
    monkeypatch.undo()
    (second,) = interleaved
    np.testing.assert_array_equal(first.observations, second.observations)
    cache_dir = minari_source.cache_root() / "test"
    written = sorted(p.name for p in cache_dir.glob("pointmaze-race-v0*"))
    assert written == ["pointmaze-race-v0.npz"]  # and no temporary file left behind
    np.testing.assert_array_equal(load_minari("test/pointmaze-race-v0").actions, first.actions)
