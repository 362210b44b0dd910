"""Bidirectional-Car as in the SfBC reference code: dynamics by hand, the 100-step limit, and its
dataset (four behaviour schemes, a quarter each; single-side drops the negative end)."""

import time

import gymnasium as gym
import minari
import numpy as np
import pytest

import jaxdiffrl.envs  # noqa: F401
from jaxdiffrl.data.registry import GENERATED, load_dataset
from jaxdiffrl.envs.bidirectional_car_sfbc import car_step
from jaxdiffrl.generators.car_sfbc import SCHEMES, sample_car_sfbc

ENV_ID = "jaxdiffrl/BidirectionalCarSfBC-v0"
SMALL = 5_000


def make_env():
    return gym.make(ENV_ID)


def test_steps_match_hand_computed_values():
    env = make_env()
    (x0, v0), _ = env.reset(seed=3)
    assert -1.0 <= x0 < 1.0 and v0 == 0.0
    # (action, expected x, expected v): x moves with the speed *before* the step.
    expected = [(1.0, x0, 0.05), (-0.5, x0 - 0.0025, 0.075), (2.0, x0 - 0.0025 + 0.0075, 0.125)]
    for action, x, v in expected:  # 2.0 is clipped to 1
        (x_now, v_now), reward, terminated, truncated, info = env.step(np.array([action], np.float32))
        assert x_now == pytest.approx(x, abs=1e-6) and v_now == pytest.approx(v, abs=1e-6)
        assert (reward, terminated, truncated, info["side"]) == (0.0, False, False, 0)
    assert env.action_space.low[0] == -1.0 and env.action_space.high[0] == 1.0


def test_speed_is_capped_at_five():
    x, v, arrived = car_step(np.array([0.0, 0.0]), np.array([4.99, 5.0]), np.array([1.0, -1.0]))
    np.testing.assert_allclose(x, [0.499, -0.5])
    np.testing.assert_allclose(v, [5.0, 5.0])
    assert not arrived.any()
    env = make_env()
    env.reset(seed=0)
    env.unwrapped._x, env.unwrapped._v = 0.0, 4.99
    (x, v), *_ = env.step(np.array([1.0], np.float32))
    assert x == pytest.approx(0.499, abs=1e-6) and v == 5.0


def test_reset_draws_x0_uniformly_in_minus_one_one():
    env = make_env()
    starts = np.array([env.reset(seed=s)[0] for s in range(2_000)])
    assert (starts[:, 1] == 0.0).all()
    assert starts[:, 0].min() >= -1.0 and starts[:, 0].max() < 1.0
    assert starts[:, 0].min() < -0.95 and starts[:, 0].max() > 0.95
    assert abs(starts[:, 0].mean()) < 0.05
    shifted, _ = env.reset(seed=0, options={"initial_position": 4.0})
    assert 3.0 <= shifted[0] < 5.0


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_full_throttle_arrives_with_reward_one(side):
    env = make_env()
    (x0, _), _ = env.reset(seed=1)
    # Full throttle: after t steps x = x0 + side·0.0025·t(t − 1) (v = 0.05 t stays under the cap).
    arrival = next(t for t in range(1, 101) if abs(x0 + side * 0.0025 * t * (t - 1)) > 10.0)
    rewards, terminated, truncated = [], False, False
    while not (terminated or truncated):
        (x, _), reward, terminated, truncated, info = env.step(np.array([side], np.float32))
        rewards.append(reward)
    step = len(rewards)
    assert sum(rewards[:-1]) == 0.0
    assert (step, reward, terminated, truncated, info["side"]) == (arrival, 1.0, True, False, side)
    assert abs(x) > 10.0


def test_ten_exactly_does_not_arrive():
    x, _, arrived = car_step(9.5, 5.0, 1.0)
    assert x == 10.0 and not arrived
    x, _, arrived = car_step(x, 5.0, 1.0)
    assert x == 10.5 and arrived
    _, _, arrived = car_step(-10.0, 5.0, -0.01)
    assert arrived


def test_time_limit_is_100_steps():
    env = make_env()
    assert env.spec.max_episode_steps == 100
    env.reset(seed=0)
    steps, truncated = 0, False
    while not truncated:
        _, reward, terminated, truncated, _ = env.step(np.zeros(1, np.float32))
        assert reward == 0.0 and not terminated
        steps += 1
    assert steps == 100


def split_by_scheme(dataset):
    """The dataset's episodes, grouped by behaviour scheme (they are stored scheme by scheme)."""
    episodes = list(dataset.iterate_episodes())
    counts = dataset.storage.metadata["jaxdiffrl"]["scheme_episodes"]
    assert sum(counts) == len(episodes)
    offsets = np.cumsum([0, *counts])
    return {s: episodes[offsets[i] : offsets[i + 1]] for i, s in enumerate(SCHEMES)}


def ends(episodes):
    """+1 / −1 for an arrival at the positive / negative end, 0 for a time-out."""
    return np.array([np.sign(e.observations[-1][0]) * e.rewards.sum() for e in episodes])


@pytest.fixture(scope="module")
def car_datasets(minari_dir):
    GENERATED["bidirectional-car-sfbc"].generate(transitions=SMALL, seed=0, progress=False)
    GENERATED["bidirectional-car-sfbc-single-side"].generate(transitions=SMALL, seed=0, progress=False)
    return (
        minari.load_dataset("jaxdiffrl/bidirectional-car-sfbc-v0"),
        minari.load_dataset("jaxdiffrl/bidirectional-car-sfbc-single-side-v0"),
    )


def test_dataset_follows_the_dynamics(car_datasets):
    dataset, _ = car_datasets
    for episode in dataset.iterate_episodes():
        obs, actions = episode.observations.astype(np.float64), episode.actions[:, 0].astype(np.float64)
        x, v, arrived = car_step(obs[:-1, 0], obs[:-1, 1], actions)
        np.testing.assert_allclose(obs[1:, 0], x, atol=1e-4)
        np.testing.assert_allclose(obs[1:, 1], v, atol=1e-5)
        steps = len(episode.rewards)
        assert steps <= 100 and (episode.rewards == episode.terminations).all()
        assert not episode.terminations[:-1].any() and not episode.truncations[:-1].any()
        assert episode.terminations[-1] == (abs(episode.observations[-1][0]) > 10.0)
        assert episode.truncations[-1] == (steps == 100)
        assert episode.terminations[-1] or episode.truncations[-1]


def test_each_scheme_appears_in_its_proportion(car_datasets):
    dataset, _ = car_datasets
    assert SMALL <= dataset.total_steps <= SMALL + 4 * 100
    metadata = dataset.storage.metadata["jaxdiffrl"]
    assert metadata["generator"] == "car-sfbc" and metadata["seed"] == 0
    fractions = np.array(metadata["scheme_transitions"]) / dataset.total_steps
    np.testing.assert_allclose(fractions, 0.25, atol=0.03)
    groups = split_by_scheme(dataset)

    def actions(scheme):
        return np.concatenate([e.actions[:, 0] for e in groups[scheme]])

    def flip_rate(scheme):
        flips = sum(np.sum(np.diff(np.sign(e.actions[:, 0])) != 0) for e in groups[scheme])
        return flips / sum(len(e.actions) - 1 for e in groups[scheme])

    def starts(scheme):
        return np.array([e.observations[0][0] for e in groups[scheme]])

    # steady: |a| ∈ [0.9, 1), one side per episode, both sides; starts in (−6, 6)
    assert (np.abs(actions("steady")) >= 0.9).all() and (np.abs(actions("steady")) <= 1.0).all()
    assert flip_rate("steady") == 0.0 and set(ends(groups["steady"])) == {-1.0, 1.0}
    assert np.abs(starts("steady")).max() <= 6.0
    # uniform: a ∼ U(−1, 1) i.i.d.; cannot reach an end in 100 steps from |x₀| < 6
    uniform = actions("uniform")
    assert abs(np.abs(uniform).mean() - 0.5) < 0.05 and uniform.min() < -0.95 and uniform.max() > 0.95
    assert abs(flip_rate("uniform") - 0.5) < 0.05 and (ends(groups["uniform"]) == 0).all()
    # sticky: |a| ∈ [0.7, 1), the direction flips with probability 0.1; starts in (−3.5, 3.5)
    assert (np.abs(actions("sticky")) >= 0.7).all() and (np.abs(actions("sticky")) <= 1.0).all()
    assert abs(flip_rate("sticky") - 0.1) < 0.03 and np.abs(starts("sticky")).max() <= 3.5
    # random walk: clipped at ±1 often, small steps between actions; starts anywhere in (−10, 10)
    walk = groups["random-walk"]
    assert np.mean(np.abs(actions("random-walk")) == 1.0) > 0.1
    assert np.std(np.concatenate([np.diff(e.actions[:, 0]) for e in walk])) < 0.5
    assert np.abs(starts("random-walk")).max() > 6.0 and np.abs(starts("random-walk")).max() < 10.0


def test_single_side_never_ends_at_the_negative_end(car_datasets):
    both, single = car_datasets
    assert (ends(list(both.iterate_episodes())) == -1).sum() > 5
    assert (ends(list(single.iterate_episodes())) == -1).sum() == 0
    assert (ends(list(single.iterate_episodes())) == 1).sum() > 5
    assert single.storage.metadata["jaxdiffrl"]["config"]["single_side"] is True
    fractions = np.array(single.storage.metadata["jaxdiffrl"]["scheme_transitions"]) / single.total_steps
    np.testing.assert_allclose(fractions, 0.25, atol=0.03)


def test_loads_through_the_registry(car_datasets):
    dataset, _ = car_datasets
    loaded = load_dataset("bidirectional-car-sfbc", generate_missing=False)
    assert loaded.size == dataset.total_steps and loaded.dones.sum() == dataset.total_episodes
    assert (loaded.ref_min_score, loaded.ref_max_score) == (0.0, 1.0)
    assert loaded.env_id == ENV_ID and loaded.observation_dim == 2 and loaded.action_dim == 1


def test_sampling_is_seeded():
    first, _ = sample_car_sfbc(400, seed=5)
    again, _ = sample_car_sfbc(400, seed=5)
    other, _ = sample_car_sfbc(400, seed=6)
    assert all(np.array_equal(a["actions"], b["actions"]) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0]["actions"], other[0]["actions"])


def test_reference_size_sampling_time():
    start = time.perf_counter()
    episodes, counts = sample_car_sfbc(None, seed=0)
    elapsed = time.perf_counter() - start
    print(
        f"\nbidirectional-car-sfbc: sampled {sum(counts['scheme_transitions'])} transitions "
        f"in {len(episodes)} episodes in {elapsed:.2f} s (Minari writing not included)"
    )
    assert all(250_000 < n <= 250_100 for n in counts["scheme_transitions"])
