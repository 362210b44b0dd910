"""The data layer: the generated maze dataset, missing-data errors, validation, conventions, toys."""

import time

import minari
import numpy as np
import pytest

from jaxdiffrl.data import (
    DatasetError,
    DatasetNotFoundError,
    OfflineDataset,
    apply_conventions,
    default_data_config,
    load_dataset,
    load_minari,
    prepare_dataset,
    validate,
)
from jaxdiffrl.data.minari_source import flatten_observations
from jaxdiffrl.data.reference_scores import d4rl_reference_scores
from jaxdiffrl.data.registry import GENERATED, known_names
from jaxdiffrl.data.toy import BANDITS, sample_bandit
from jaxdiffrl.train.config import base_config

MAZE_ID = "jaxdiffrl/pointmaze-umaze-v0"


# ---------------------------------------------------------------- the generated maze dataset


def test_maze_dataset_agrees_with_minari(tiny_maze_dataset, minari_dir):
    data = tiny_maze_dataset
    assert (minari_dir / MAZE_ID / "data").is_dir(), "the fixture must write under MINARI_DATASETS_PATH"
    source = minari.load_dataset(MAZE_ID)
    episodes = list(source.iterate_episodes())
    lengths = np.array([len(e.rewards) for e in episodes])
    assert data.name == "pointmaze-umaze" and data.env_id == "jaxdiffrl/Maze2D-UMaze-v0"
    assert data.size == source.total_steps == lengths.sum() == 3000
    assert int(data.dones.sum()) == source.total_episodes == len(episodes) == 10
    np.testing.assert_array_equal(np.flatnonzero(data.dones), np.cumsum(lengths) - 1, "dones at episode ends")
    np.testing.assert_array_equal(np.flatnonzero(data.episode_starts), np.cumsum(lengths) - lengths)
    start = lengths[0]  # the second episode, transition by transition
    second = episodes[1]
    np.testing.assert_array_equal(data.observations[start : start + lengths[1]], second.observations[:-1])
    np.testing.assert_array_equal(data.next_observations[start : start + lengths[1]], second.observations[1:])
    np.testing.assert_array_equal(data.actions[start : start + lengths[1]], second.actions)
    np.testing.assert_array_equal(data.rewards[start : start + lengths[1]], second.rewards)
    assert data.observation_dim == 4 and data.action_dim == 2
    assert np.all(data.masks == 1.0), "maze2d never terminates: every transition bootstraps"
    assert set(np.unique(data.rewards)) <= {0.0, 1.0}
    inside = ~data.dones[:-1]
    np.testing.assert_array_equal(data.observations[1:][inside], data.next_observations[:-1][inside])

    metadata = source.storage.metadata
    assert data.ref_min_score is not None and data.ref_max_score is not None, "reference scores missing"
    assert (data.ref_min_score, data.ref_max_score) == (metadata["ref_min_score"], metadata["ref_max_score"])
    assert data.ref_min_score < data.ref_max_score
    assert data.normalized_score(data.ref_max_score) == pytest.approx(100.0)
    assert metadata["jaxdiffrl"]["seed"] == 0 and metadata["jaxdiffrl"]["config"]["transitions"] == 3000
    assert validate(data) is data
    env = data.make_env()
    observation, _ = env.reset(seed=0)
    assert observation.shape == (4,)
    env.close()


def test_prepared_maze_dataset_keeps_its_boundaries(tiny_maze_dataset):
    config = base_config("bc", "pointmaze-umaze", agent=None)
    prepared = prepare_dataset(config)  # reads the fixture's dataset from disk, generating nothing
    assert prepared.size == tiny_maze_dataset.size
    # The stream is cut without gaps, so the discontinuity check must add no boundaries.
    np.testing.assert_array_equal(prepared.dones, tiny_maze_dataset.dones)
    assert np.max(np.abs(prepared.actions)) <= 1 - 1e-5


def test_generation_is_deterministic(tiny_maze_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    path = GENERATED["pointmaze-umaze"].generate(transitions=3000, seed=0, progress=False)
    assert path.startswith(str(tmp_path))
    again = load_minari(MAZE_ID)
    for field, values in tiny_maze_dataset.arrays().items():
        np.testing.assert_array_equal(getattr(again, field), values, f"{field} differs between generations")
    assert (again.ref_min_score, again.ref_max_score) == (
        tiny_maze_dataset.ref_min_score,
        tiny_maze_dataset.ref_max_score,
    )


# ---------------------------------------------------------------- missing data


def test_missing_minari_id_fails_fast_with_a_command(minari_dir):
    start = time.perf_counter()
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("mujoco/hopper/medium-v0")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"the missing-dataset error took {elapsed:.2f} s"
    message = str(info.value)
    assert "'mujoco/hopper/medium-v0'" in message, message
    assert str(minari_dir) in message, f"the message must name the folder looked in: {message}"
    assert "minari download mujoco/hopper/medium-v0" in message, message
    assert isinstance(info.value, FileNotFoundError)


def test_missing_project_dataset_names_the_make_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    for name in ("pointmaze-umaze", "pointmaze-medium"):
        with pytest.raises(DatasetNotFoundError) as info:
            load_dataset(name, generate_missing=False)
        message = str(info.value)
        assert f"python launch/make_dataset.py --dataset={name}" in message, message
        assert str(tmp_path) in message and GENERATED[name].minari_id in message, message
    assert not any(tmp_path.rglob("data")), "generate_missing=False must not write a dataset"


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        load_dataset("hopper-mediocre")
    message = str(info.value)
    assert "'hopper-mediocre'" in message
    for name in known_names():
        assert name in message, f"{name} missing from: {message}"
    assert {"pointmaze-umaze", "bandit-dql-4mode", "bandit-dql-corners", "bandit-idql"} <= set(known_names())
    assert {"hopper-medium", "walker2d-medium-replay", "halfcheetah-medium-expert"} <= set(known_names())


# ---------------------------------------------------------------- validation


def _dataset(rewards=(0.0, 1.0, 0.0, 2.0, 0.0, 3.0), ends=(2, 5), **changes) -> OfflineDataset:
    """A continuous hand-made dataset: trajectories end at ``ends``; obs are (i, −i)."""
    n = len(rewards)
    observations = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float32)
    next_observations = observations + np.array([1.0, -1.0], np.float32)
    for end in ends[:-1]:  # a reset after each trajectory: the next one starts elsewhere
        next_observations[end] += 10.0
    dones = np.zeros(n, bool)
    dones[list(ends)] = True
    fields = {
        "observations": observations,
        "actions": np.linspace(-1, 1, 2 * n, dtype=np.float32).reshape(n, 2),
        "rewards": np.asarray(rewards, np.float32),
        "next_observations": next_observations,
        "masks": np.ones(n, np.float32),
        "dones": dones,
        "name": "hand-made",
        "action_low": -np.ones(2, np.float32),
        "action_high": np.ones(2, np.float32),
    }
    fields.update(changes)
    return OfflineDataset(**fields)


def test_validate_accepts_clean_data():
    data = _dataset()
    assert validate(data) is data


def test_validate_names_a_non_finite_value():
    rewards = np.array([0.0, 1.0, 0.0, np.nan, 0.0, 3.0], np.float32)
    with pytest.raises(DatasetError, match=r"rewards has a non-finite value nan at index \(3,\)"):
        validate(_dataset(rewards=rewards))
    observations = _dataset().observations.copy()
    observations[2, 1] = np.inf
    with pytest.raises(DatasetError, match=r"observations .* at index \(2, 1\)"):
        validate(_dataset(observations=observations))


def test_validate_names_a_length_mismatch():
    with pytest.raises(DatasetError, match=r"masks has 5 rows but rewards has 6"):
        validate(_dataset(masks=np.ones(5, np.float32)))
    with pytest.raises(DatasetError, match="next_observations"):
        validate(_dataset(next_observations=np.zeros((6, 3), np.float32)))
    with pytest.raises(DatasetError, match="no transitions"):
        validate(_dataset(rewards=(), ends=()))


def test_validate_names_actions_outside_the_box():
    actions = _dataset().actions.copy()
    actions[4, 1] = 1.5
    with pytest.raises(
        DatasetError, match=r"actions\[\(4, 1\)\] = 1\.5 lies outside the action box \[-1, 1\]"
    ):
        validate(_dataset(actions=actions))


# ---------------------------------------------------------------- conventions


def test_returns_normalisation_spans_1000():
    data = _dataset(rewards=(1.0, 0.0, 0.0, 2.0, 2.0, 2.0))  # trajectory returns 1 and 6
    out = apply_conventions(data, default_data_config(reward_normalization="returns"))
    returns = out.trajectory_returns()
    assert returns.max() - returns.min() == pytest.approx(1000.0, rel=1e-6)
    np.testing.assert_allclose(out.rewards, np.asarray(data.rewards) * 1000 / 5, rtol=1e-6)
    assert out.rewards.dtype == np.float32


def test_reward_shift_scale_and_standardisation():
    data = _dataset()
    shifted = apply_conventions(data, default_data_config(reward_shift=-0.5, reward_scale=4.0))
    np.testing.assert_allclose(shifted.rewards, (data.rewards - 0.5) * 4.0, rtol=1e-6)
    antmaze = apply_conventions(data, default_data_config(reward_shift=-1.0))
    np.testing.assert_allclose(antmaze.rewards, data.rewards - 1.0)
    standardized = apply_conventions(data, default_data_config(reward_normalization="standardize"))
    assert abs(standardized.rewards.mean()) < 1e-6 and standardized.rewards.std() == pytest.approx(1.0, 1e-5)
    with pytest.raises(ValueError, match="reward_normalization"):
        apply_conventions(data, default_data_config(reward_normalization="max"))


def test_action_clipping():
    data = _dataset()
    assert np.max(np.abs(data.actions)) == 1.0
    clipped = apply_conventions(data, default_data_config())
    np.testing.assert_allclose(clipped.actions, np.clip(data.actions, -(1 - 1e-5), 1 - 1e-5))
    assert np.max(np.abs(clipped.actions)) < 1.0, "clipped actions keep arctanh finite"
    untouched = apply_conventions(data, default_data_config(action_clip=0.0))
    np.testing.assert_array_equal(untouched.actions, data.actions)


def test_discontinuities_split_trajectories():
    data = _dataset(ends=(5,))  # no dones inside, but a jump after index 2 ...
    next_observations = data.next_observations.copy()
    next_observations[2] += 0.01  # ... that only the observations reveal
    data = data.replace(next_observations=next_observations, dones=np.zeros(6, bool))
    out = apply_conventions(data, default_data_config())
    np.testing.assert_array_equal(
        np.flatnonzero(out.dones), [2, 5], "a jump and the last row end trajectories"
    )
    np.testing.assert_array_equal(out.masks, data.masks, "a discontinuity is not a terminal")
    assert len(out.trajectory_returns()) == 2
    tolerant = apply_conventions(data, default_data_config(discontinuity_threshold=0.1))
    np.testing.assert_array_equal(np.flatnonzero(tolerant.dones), [5])


def test_dict_observations_are_flattened_observation_then_goal():
    flat = flatten_observations(
        {"observation": np.ones((3, 4)), "desired_goal": np.zeros((3, 2)), "achieved_goal": np.ones((3, 2))}
    )
    np.testing.assert_array_equal(flat, np.concatenate([np.ones((3, 4)), np.zeros((3, 2))], axis=1))
    assert flat.dtype == np.float32
    with pytest.raises(DatasetError, match="desired_goal"):
        flatten_observations({"observation": np.ones((3, 4))})


def test_d4rl_reference_scores():
    assert d4rl_reference_scores("mujoco/hopper/medium-v0") == (-20.272305, 3234.3)
    assert d4rl_reference_scores("mujoco/halfcheetah/expert-v0") == (-280.178953, 12135.0)
    assert d4rl_reference_scores("mujoco/walker2d/simple-v0") == (1.629008, 4592.3)
    assert d4rl_reference_scores("D4RL/antmaze/umaze-v1") == (0.0, 1.0)
    assert d4rl_reference_scores("D4RL/pen/human-v2") == (96.262799, 3076.8331)
    assert d4rl_reference_scores("D4RL/kitchen/mixed-v2") == (0.0, 4.0)
    assert d4rl_reference_scores("some/unknown-v0") is None


# ---------------------------------------------------------------- toy bandits

BANDIT_SPECS = {  # ALGORITHMS.md, "Toy tasks": centre → reward mean; action σ; reward σ
    "bandit-dql-4mode": ({(0.0, -0.8): 3.0, (0.8, 0.0): 2.0, (-0.8, 0.0): 1.0, (0.0, 0.8): 0.0}, 0.05, 0.5),
    "bandit-dql-corners": (
        {(0.8, -0.8): 3.0, (-0.8, -0.8): 2.0, (-0.8, 0.8): 1.0, (0.8, 0.8): 0.0},
        0.05,
        0.5,
    ),
    "bandit-idql": ({(-0.6,): 0.0, (0.0,): 0.5, (0.6,): 1.0}, 0.05, 0.3),
}


@pytest.mark.parametrize("name", sorted(BANDIT_SPECS))
def test_bandit_datasets_match_their_specification(name):
    reward_means, action_std, reward_std = BANDIT_SPECS[name]
    centres = np.array(list(reward_means))
    data = validate(load_dataset(name))
    assert data.size == 10_000 and data.action_dim == centres.shape[1]
    distances = np.linalg.norm(data.actions[:, None] - centres[None], axis=-1)
    nearest = distances.argmin(1)
    assert distances.min(1).max() < 0.3, "every action belongs to a mode"
    for k, (centre, mean) in enumerate(reward_means.items()):
        members = nearest == k
        count = int(members.sum())
        assert abs(count / data.size - 1 / len(centres)) < 0.03, f"{name}: mode {centre} holds {count}"
        np.testing.assert_allclose(
            data.actions[members].mean(0), centre, atol=0.005, err_msg=f"{name} {centre}"
        )
        np.testing.assert_allclose(data.actions[members].std(0), action_std, rtol=0.1)
        rewards = data.rewards[members]
        assert abs(rewards.mean() - mean) < 4 * reward_std / np.sqrt(count), f"{name}: reward at {centre}"
        assert rewards.std() == pytest.approx(reward_std, rel=0.1)
    assert np.all(data.dones) and np.all(data.masks == 0), "one-step episodes"
    assert np.all(data.observations == 0) and data.observation_dim == 1
    assert (data.ref_min_score, data.ref_max_score) == (
        min(reward_means.values()),
        max(reward_means.values()),
    )
    env = data.make_env()  # the Minari dataset's recovered eval env
    for centre, mean in reward_means.items():
        env.reset(seed=0)
        assert env.step(np.asarray(centre, np.float32))[1] == mean
    env.reset(seed=0)
    assert env.step(np.full(centres.shape[1], 0.3, np.float32))[1] == 0.0, "far from every mode: no reward"
    actions, _ = sample_bandit(BANDITS[name], data.size, seed=0)
    np.testing.assert_array_equal(actions, data.actions)  # written with seed 0
    assert not np.array_equal(sample_bandit(BANDITS[name], data.size, seed=1)[0], actions), "seed matters"
