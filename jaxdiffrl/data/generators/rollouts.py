"""Episodes from gymnasium vector envs, kept apart per env and written the way Minari stores them.

``EpisodeRecorder`` follows a vector env with SAME_STEP autoreset (a finished episode's last
observation arrives in ``infos["final_obs"]``) and keeps terminations and truncations apart.
``collect`` runs a policy until it has exactly the requested number of transitions.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.envs.vector import final_observations, make_vector_env

_KEYS = ("observations", "actions", "rewards", "terminations", "truncations")


class EpisodeRecorder:
    """Builds one episode per env of a vector env; ``finished`` holds completed ones in end order."""

    def __init__(self, observations: np.ndarray):
        self.finished: list[dict[str, np.ndarray]] = []
        self.transitions = 0
        self._current = [self._new(o) for o in observations]

    @staticmethod
    def _new(observation: np.ndarray) -> dict[str, list]:
        return {"observations": [np.asarray(observation, np.float32)], **{k: [] for k in _KEYS[1:]}}

    def step(self, actions, next_observations, rewards, terminated, truncated, infos) -> None:
        final = final_observations(next_observations, infos)
        self.transitions += len(self._current)
        for i, episode in enumerate(self._current):
            episode["observations"].append(final[i])
            episode["actions"].append(np.asarray(actions[i], np.float32))
            episode["rewards"].append(np.float32(rewards[i]))
            episode["terminations"].append(bool(terminated[i]))
            episode["truncations"].append(bool(truncated[i]))
            if terminated[i] or truncated[i]:
                self.finished.append(_as_arrays(episode))
                self._current[i] = self._new(next_observations[i])

    def episodes(self) -> list[dict[str, np.ndarray]]:
        """The finished episodes, then each env's unfinished one cut short (marked truncated)."""
        unfinished = [_as_arrays(e) for e in self._current if e["rewards"]]
        for episode in unfinished:
            episode["truncations"][-1] = True
        return self.finished + unfinished


def _as_arrays(episode: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in episode.items()}


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
