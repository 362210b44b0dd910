"""Bidirectional-Car as the SfBC reference code defines it (a second, larger instance of the toy).

State (x, v), both unbounded in principle (observation box ±100 as in the reference). Reset:
x₀ = c + U(−1, 1) with c = 0 by default (``options={"initial_position": c}`` shifts it, as the
reference's data generator does), v₀ = 0. Action a ∈ [−1, 1] (clipped):

    x ← x + a·v/10      (with the speed *before* this step)
    v ← clip(v + 0.05·|a|, 0, 5)

The episode ends (terminated, reward 1) as soon as |x| > 10, either side alike; every other step
has reward 0. The registration adds a 100-step time limit. Full throttle toward either end
arrives after 64 steps from x₀ = 0, so both ends are optimal: a bimodal optimum again, on a
longer horizon than the project's own ``BidirectionalCarEnv``.

The state is kept in float64 (as in the reference) and observed as float32. ``car_step`` is the
same update on arrays, for generators that step many cars at once.
"""

import gymnasium as gym
import numpy as np

GOAL = 10.0  # |x| beyond this arrives
SPEED_GAIN = 0.05  # speed added per unit |a|
SPEED_CAP = 5.0
POSITION_SCALE = 10.0  # x moves a·v / POSITION_SCALE per step
TIME_LIMIT = 100  # max_episode_steps of the registration
START_SPREAD = 1.0  # x₀ − c ∼ U(−START_SPREAD, START_SPREAD)


def car_step(x, v, a):
    """One step of the reference dynamics on scalars or arrays: returns (x', v', arrived)."""
    a = np.clip(a, -1.0, 1.0)
    x = x + a * v / POSITION_SCALE
    v = np.clip(v + SPEED_GAIN * np.abs(a), 0.0, SPEED_CAP)
    return x, v, np.abs(x) > GOAL


class SfBCBidirectionalCarEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = gym.spaces.Box(-100.0, 100.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._x, self._v = 0.0, 0.0

    def _observation(self) -> np.ndarray:
        return np.array([self._x, self._v], np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        centre = float((options or {}).get("initial_position", 0.0))
        self._x = centre + float(self.np_random.uniform(-START_SPREAD, START_SPREAD))
        self._v = 0.0
        return self._observation(), {}

    def step(self, action):
        a = float(np.asarray(action, np.float64).reshape(-1)[0])
        x, v, arrived = car_step(self._x, self._v, a)
        self._x, self._v, arrived = float(x), float(v), bool(arrived)
        info = {"side": int(np.sign(self._x)) if arrived else 0}
        return self._observation(), float(arrived), arrived, False, info
