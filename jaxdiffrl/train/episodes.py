"""The bookkeeping every loop that steps environments shares: transitions, returns, scores,
recorded episodes.

Used by the offline engine (evaluation), online fine-tuning (``online.finetune``), training from
scratch (``online_training.learn_online``) and the dataset generators, which are otherwise
different programs. ``EpisodeRecorder`` follows a vector env with SAME_STEP autoreset (a finished
episode's last observation arrives in ``infos["final_obs"]``) and keeps terminations and
truncations apart, the way Minari stores episodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from jaxdiffrl.envs.vector import final_observations


def transition_from_step(
    observations: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_observations: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    infos: dict,
) -> dict[str, np.ndarray]:
    """One vector-env step as replay rows (num_envs, …): s′ is the episode's last observation where
    an episode just ended (SAME_STEP autoreset), masks bootstrap through time limits."""
    return {
        "observations": observations,
        "actions": actions,
        "rewards": rewards,
        "next_observations": final_observations(next_observations, infos),
        "masks": 1.0 - terminated,
        "dones": terminated | truncated,
    }


class EpisodeReturns:
    """Undiscounted returns of the episodes each env copy finishes, collected between reads."""

    def __init__(self, num_envs: int):
        self.running = np.zeros(num_envs)
        self.finished: list[list[float]] = [[] for _ in range(num_envs)]

    def add(self, rewards: np.ndarray, done: np.ndarray) -> None:
        self.running += rewards
        for i in np.flatnonzero(done):
            self.finished[i].append(float(self.running[i]))
            self.running[i] = 0.0

    def any_finished(self) -> bool:
        return any(self.finished)

    def pop(self) -> list[list[float]]:
        """The returns finished since the last ``pop``, per env copy."""
        finished, self.finished = self.finished, [[] for _ in self.finished]
        return finished


def evaluate_and_score(
    evaluator, agents, seeds: Sequence[int], step: int, normalize: Callable[[np.ndarray], np.ndarray] | None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One evaluation of every run: ({"return", "normalized_score"} per run (R,), the means over
    the episodes; the returns of every episode (R, E)). The score is the return itself when
    ``normalize`` is None (no reference scores)."""
    returns = evaluator.evaluate(agents, seeds, step)
    scores = normalize(returns) if normalize is not None else returns
    return {"return": returns.mean(1), "normalized_score": scores.mean(1)}, returns


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
                self.finished.append(as_arrays(episode))
                self._current[i] = self._new(next_observations[i])

    def episodes(self) -> list[dict[str, np.ndarray]]:
        """The finished episodes, then each env's unfinished one cut short (marked truncated)."""
        unfinished = [as_arrays(e) for e in self._current if e["rewards"]]
        for episode in unfinished:
            episode["truncations"][-1] = True
        return self.finished + unfinished


def as_arrays(episode: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in episode.items()}
