"""Bidirectional-Car (SfBC): a car on [−1, 1] that scores by reaching either end — a bimodal optimum.

State (x, v): x starts at 0, speed v ≥ 0 starts at 0. Action u ∈ [−1, 1]:
v ← min(1, v + 0.1|u|), x ← x + sign(u)·0.1·v. Reaching |x| ≥ 1 ends the episode with reward 1
(both ends alike); otherwise reward 0; 20-step limit (registration). Only a steady direction with
mean |u| ≳ 0.5 arrives in time, so a policy that averages the two sides stalls near x = 0.
"""

import gymnasium as gym
import numpy as np


class BidirectionalCarEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = gym.spaces.Box(np.array([-1.0, 0.0], np.float32), np.ones(2, np.float32))
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._state = np.zeros(2, np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._state = np.zeros(2, np.float32)
        return self._state.copy(), {}

    def step(self, action):
        throttle = float(np.clip(np.asarray(action, np.float32).reshape(-1)[0], -1.0, 1.0))
        x, v = self._state
        v = min(1.0, v + 0.1 * abs(throttle))
        x = float(np.clip(x + np.sign(throttle) * 0.1 * v, -1.0, 1.0))
        self._state = np.array([x, v], np.float32)
        arrived = abs(x) >= 1.0
        return self._state.copy(), float(arrived), arrived, False, {"side": int(np.sign(x)) if arrived else 0}
