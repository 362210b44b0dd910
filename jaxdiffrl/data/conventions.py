"""D4RL conventions applied by configuration (never by hidden code): rewards, actions, boundaries.

The ``data`` block of every config holds these keys (see ``default_data_config``):
- ``reward_normalization``: ``none``; ``returns`` = r·1000/(max − min trajectory return)
  (IQL / IDQL locomotion); ``standardize`` = (r − mean)/std (Diffusion-QL pen).
- ``reward_shift``, ``reward_scale``: r ← (r + shift)·scale after normalisation; antmaze r − 1 is
  shift −1, scale 1; Diffusion-QL's antmaze (r − 0.5)·4 is shift −0.5, scale 4.
- ``action_clip``: clip dataset actions to ±action_clip (1 − 1e-5 keeps arctanh / log-probs
  finite); 0 disables.
- ``discontinuity_threshold``: a trajectory also ends where ‖s_{i+1} − s′_i‖ exceeds it.
- ``success_ends_episode``: evaluation episodes end at their first success
  (``jaxdiffrl.envs.success.SuccessEndsEpisode``), as D4RL's antmaze evaluation does: the Minari
  antmaze datasets record a never-terminating evaluation env (gymnasium-robotics AntMaze with
  ``continuing_task=True``) that pays reward 1 on every step at the goal, so without this a
  normalised score counts steps at the goal instead of successes. On for every antmaze config.
- ``normalize_observations``: observations and next observations become (s − μ)/(σ + 1e-3), μ and
  σ the per-dimension mean and standard deviation of the dataset's observations (TD3+BC's
  convention), and evaluation envs get the same map (``jaxdiffrl.envs.normalize``). The statistics
  are a function of the dataset alone, recomputed each time it is loaded; the dataset's
  ``make_env`` keeps them as ``make_env.mean`` / ``make_env.std``. Off by default.
"""

import ml_collections
import numpy as np

from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.envs.normalize import EPS as OBSERVATION_EPS
from jaxdiffrl.envs.normalize import StandardizedEnvFactory, standardize
from jaxdiffrl.envs.success import SuccessEndsEpisode


def default_data_config(**overrides) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {
            "reward_normalization": "none",
            "reward_shift": 0.0,
            "reward_scale": 1.0,
            "action_clip": 1.0 - 1e-5,
            "discontinuity_threshold": 1e-6,
            "success_ends_episode": False,
            "normalize_observations": False,
        }
    )
    config.update(overrides)
    return config


def trajectory_ends(
    observations: np.ndarray, next_observations: np.ndarray, ends: np.ndarray, threshold: float
) -> np.ndarray:
    """Terminal / timeout flags OR'ed with observation discontinuities; the last row always ends."""
    jumps = np.linalg.norm(observations[1:] - next_observations[:-1], axis=-1) > threshold
    dones = np.asarray(ends, bool).copy()
    dones[:-1] |= jumps
    dones[-1] = True
    return dones


def apply_conventions(dataset: OfflineDataset, config: ml_collections.ConfigDict) -> OfflineDataset:
    """Returns the dataset with the configured boundary, reward and action conventions applied."""
    dones = trajectory_ends(
        dataset.observations, dataset.next_observations, dataset.dones, config.discontinuity_threshold
    )
    dataset = dataset.replace(dones=dones)
    rewards = dataset.rewards.astype(np.float64)
    if config.reward_normalization == "returns":
        returns = dataset.trajectory_returns()
        spread = returns.max() - returns.min()
        rewards = rewards * 1000.0 / max(spread, 1e-8)
    elif config.reward_normalization == "standardize":
        rewards = (rewards - rewards.mean()) / max(rewards.std(), 1e-8)
    elif config.reward_normalization != "none":
        raise ValueError(
            f"Unknown data.reward_normalization {config.reward_normalization!r}; "
            "choose 'none', 'returns' or 'standardize'."
        )
    rewards = (rewards + config.reward_shift) * config.reward_scale
    actions = dataset.actions
    if config.action_clip > 0:
        actions = np.clip(actions, -config.action_clip, config.action_clip)
    make_env = dataset.make_env
    if config.get("success_ends_episode", False) and make_env is not None:
        make_env = _success_ends_episode(dataset.make_env)
    dataset = dataset.replace(
        rewards=rewards.astype(np.float32), actions=actions.astype(np.float32), make_env=make_env
    )
    if config.get("normalize_observations", False):
        dataset = normalize_observations(dataset)
    return dataset


def _success_ends_episode(make_env):
    return lambda: SuccessEndsEpisode(make_env())


def observation_statistics(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation (float64, ``obs_dim``) of (N, obs_dim) observations."""
    observations = np.asarray(observations, np.float64)
    return observations.mean(axis=0), observations.std(axis=0)


def normalize_observations(dataset: OfflineDataset) -> OfflineDataset:
    """The dataset with observations and next observations standardised by the statistics of its
    observations, and its ``make_env`` (if any) wrapped to standardise by the same statistics."""
    mean, std = observation_statistics(dataset.observations)
    make_env = dataset.make_env
    if make_env is not None:
        make_env = StandardizedEnvFactory(make_env, mean, std, OBSERVATION_EPS)
    return dataset.replace(
        observations=standardize(dataset.observations, mean, std, OBSERVATION_EPS),
        next_observations=standardize(dataset.next_observations, mean, std, OBSERVATION_EPS),
        make_env=make_env,
    )


def iql_data_config(domain: str) -> ml_collections.ConfigDict:
    """IQL's reward conventions, which IDQL, ACD and DAC reuse: locomotion r·1000/(return range),
    antmaze r − 1 (and D4RL's episodes that end at the goal), every other domain raw."""
    if domain == "locomotion":
        return default_data_config(reward_normalization="returns")
    if domain == "antmaze":
        return default_data_config(reward_shift=-1.0, success_ends_episode=True)
    return default_data_config()
