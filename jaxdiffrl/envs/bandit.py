"""One-step bandit environment for evaluating policies on the toy bandits.

The reward of an action is the mean reward of the nearest mode when the action lies within
``radius`` of it, else 0: the expected return of the task, without the reward noise of the data.
"""

import gymnasium as gym
import numpy as np


class BanditEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, name: str | None = None, centres=None, reward_means=None, radius: float = 0.2):
        """Either ``name`` (a bandit of jaxdiffrl.data.toy.BANDITS) or explicit centres and means."""
        if name is not None:
            from jaxdiffrl.data.toy import BANDITS

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
