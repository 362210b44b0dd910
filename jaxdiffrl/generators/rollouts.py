"""Episodes from gymnasium vector envs for the dataset generators.

``collect`` runs a policy until it has exactly the requested number of transitions, recorded by
``jaxdiffrl.train.episodes.EpisodeRecorder`` (per env, the way Minari stores them).
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.envs.vector import make_vector_env
from jaxdiffrl.train.episodes import EpisodeRecorder


def trim(episodes: list[dict[str, np.ndarray]], transitions: int) -> list[dict[str, np.ndarray]]:
    """The first ``transitions`` transitions; an episode cut short is marked truncated."""
    kept, left = [], transitions
    for episode in episodes:
        if left <= 0:
            break
        steps = len(episode["rewards"])
        if steps > left:
            episode = {k: v[: left + 1] if k == "observations" else v[:left] for k, v in episode.items()}
            episode["truncations"] = episode["truncations"].copy()
            episode["truncations"][-1] = not episode["terminations"][-1]
            steps = left
        kept.append(episode)
        left -= steps
    return kept


def collect(
    make_env: Callable[[], gym.Env],
    act: Callable[[np.ndarray], np.ndarray],
    transitions: int,
    *,
    seed: int,
    num_envs: int = 10,
    progress: bool = True,
    description: str = "collecting",
) -> list[dict[str, np.ndarray]]:
    """Runs ``act`` (observations (num_envs, obs_dim) → actions) in ``num_envs`` copies of the env
    until ``transitions`` transitions are gathered; env i is reset with seed ``seed + i``."""
    envs = make_vector_env(make_env, num_envs)
    observations, _ = envs.reset(seed=[seed + i for i in range(num_envs)])
    recorder = EpisodeRecorder(observations)
    with tqdm(total=transitions, disable=not progress, desc=description, unit="transition") as bar:
        while recorder.transitions < transitions:
            actions = np.asarray(act(np.asarray(observations, np.float32)))
            next_observations, rewards, terminated, truncated, infos = envs.step(actions)
            recorder.step(actions, next_observations, rewards, terminated, truncated, infos)
            observations = next_observations
            bar.update(num_envs)
    envs.close()
    return trim(recorder.episodes(), transitions)
