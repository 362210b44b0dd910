"""Vector envs for the online loops and data collection: SAME_STEP autoreset, where a finished
episode's last observation arrives in ``infos["final_obs"]`` and the returned observation is
already the next episode's first."""

from collections.abc import Callable

import gymnasium as gym
import numpy as np


def make_vector_env(make_env: Callable[[], gym.Env], num_envs: int) -> gym.vector.SyncVectorEnv:
    return gym.vector.SyncVectorEnv([make_env] * num_envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


def final_observations(observations: np.ndarray, infos: dict) -> np.ndarray:
    """s′ of each env's last step: for envs whose episode just ended, the observation before reset."""
    final = np.array(observations, np.float32)
    for i in np.flatnonzero(infos.get("_final_obs", np.zeros(len(final), bool))):
        final[i] = infos["final_obs"][i]
    return final
