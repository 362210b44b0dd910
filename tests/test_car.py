"""Bidirectional-Car: dynamics as specified, and its datasets (both ends; single-side drops the left)."""

import gymnasium as gym
import minari
import numpy as np

import jaxdiffrl.envs  # noqa: F401
from jaxdiffrl.data.registry import GENERATED, load_dataset


def drive(throttles):
    env = gym.make("jaxdiffrl/BidirectionalCar-v0")
    env.reset(seed=0)
    for step, u in enumerate(throttles, start=1):
        (x, _), reward, terminated, truncated, _ = env.step(np.array([u], np.float32))
        if terminated or truncated:
            return step, float(x), reward, terminated
    raise AssertionError("the 20-step limit must end every episode")


def test_full_throttle_arrives_either_way_and_averaging_stalls():
    assert drive([1.0] * 20)[:3] == (15, 1.0, 1.0)
    assert drive([-1.0] * 20)[:3] == (15, -1.0, 1.0)
    steps, x, reward, terminated = drive([1.0, -1.0] * 10)  # a policy averaging both sides
    assert (steps, reward, terminated) == (20, 0.0, False) and abs(x) < 0.2


def test_car_datasets(minari_dir):
    GENERATED["bidirectional-car"].generate(transitions=3_000, seed=0, progress=False)
    GENERATED["bidirectional-car-single-side"].generate(transitions=3_000, seed=0, progress=False)
    both, single = (
        minari.load_dataset(f"jaxdiffrl/{n}-v0")
        for n in ("bidirectional-car", "bidirectional-car-single-side")
    )

    def ends(dataset):
        return [np.sign(e.observations[-1][0]) * e.rewards.sum() for e in dataset.iterate_episodes()]

    assert ends(both).count(1.0) > 10 and ends(both).count(-1.0) > 10
    assert ends(single).count(-1.0) == 0 and ends(single).count(1.0) > 10
    loaded = load_dataset("bidirectional-car")
    assert loaded.size == both.total_steps and loaded.dones.sum() == both.total_episodes
    assert (loaded.ref_min_score, loaded.ref_max_score) == (0.0, 1.0)
    assert both.storage.metadata["jaxdiffrl"]["generator"] == "car"
