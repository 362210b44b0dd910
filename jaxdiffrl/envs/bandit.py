"""One-step bandit environment for evaluating policies on the toy bandits.

The reward of an action is the mean reward of the nearest mode when the action lies within
``radius`` of it, else 0: the expected return of the task, without the reward noise of the data.
"""

from dataclasses import dataclass

import gymnasium as gym
import numpy as np


@dataclass(frozen=True)
class BanditSpec:
    centres: np.ndarray  # (modes, action_dim)
    reward_means: np.ndarray  # (modes,)
    action_std: float
    reward_std: float
    size: int


BANDITS: dict[str, BanditSpec] = {
    "bandit-dql-4mode": BanditSpec(
        np.array([[0.0, -0.8], [0.8, 0.0], [-0.8, 0.0], [0.0, 0.8]]),
        np.array([3.0, 2.0, 1.0, 0.0]),
        0.05,
        0.5,
        10_000,
    ),
    "bandit-dql-corners": BanditSpec(
        np.array([[0.8, -0.8], [-0.8, -0.8], [-0.8, 0.8], [0.8, 0.8]]),
        np.array([3.0, 2.0, 1.0, 0.0]),
        0.05,
        0.5,
        10_000,
    ),
    "bandit-idql": BanditSpec(np.array([[-0.6], [0.0], [0.6]]), np.array([0.0, 0.5, 1.0]), 0.05, 0.3, 10_000),
}


class BanditEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, name: str | None = None, centres=None, reward_means=None, radius: float = 0.2):
        """Either ``name`` (one of ``BANDITS``) or explicit centres and means."""
        if name is not None:
            centres, reward_means = BANDITS[name].centres, BANDITS[name].reward_means
        self.centres = np.asarray(centres, np.float32)
        self.reward_means = np.asarray(reward_means, np.float32)
        self.radius = radius
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (self.centres.shape[1],), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        distances = np.linalg.norm(self.centres - np.asarray(action, np.float32), axis=-1)
        nearest = int(np.argmin(distances))
        reward = float(self.reward_means[nearest]) if distances[nearest] <= self.radius else 0.0
        return np.zeros(1, np.float32), reward, True, False, {"mode": nearest}
