"""Observations standardised by fixed statistics, so an evaluation env sees what the agent trained on.

TD3+BC trains on states (s − μ)/(σ + ε), μ and σ the mean and standard deviation of the dataset's
observations per dimension and ε = 1e-3, and feeds the evaluation env's states through the same map.
``standardize`` is that map, the one both the dataset conversion and ``StandardizedObservation``
call, so the two agree bit for bit; ``StandardizedEnvFactory`` builds wrapped envs and keeps the
statistics (a function of the dataset, recomputed whenever it is loaded) readable beside them.

Unlike gymnasium's ``NormalizeObservation`` the statistics never change: they belong to the data.
"""

from collections.abc import Callable

import gymnasium as gym
import numpy as np

EPS = 1e-3


def standardize(observations: np.ndarray, mean: np.ndarray, std: np.ndarray, eps: float = EPS) -> np.ndarray:
    """(s − mean)/(std + eps) as float32, for s (..., obs_dim) and mean, std (obs_dim,); computed in
    float64 so that the dataset's rows and an env's single observations round identically."""
    scaled = (np.asarray(observations, np.float64) - mean) / (std + eps)
    return scaled.astype(np.float32)


class StandardizedObservation(gym.ObservationWrapper):
    """Returns ``standardize(observation, mean, std, eps)`` for every reset and step observation."""

    def __init__(self, env: gym.Env, mean: np.ndarray, std: np.ndarray, eps: float = EPS):
        super().__init__(env)
        if not isinstance(env.observation_space, gym.spaces.Box):
            raise ValueError(
                f"Observation standardisation needs array (Box) observations; this env's are "
                f"{env.observation_space}."
            )
        self.mean = np.asarray(mean, np.float64)
        self.std = np.asarray(std, np.float64)
        self.eps = float(eps)
        shape = env.observation_space.shape
        if shape != self.mean.shape or shape != self.std.shape:
            raise ValueError(
                f"Observation statistics of shape {self.mean.shape} / {self.std.shape} do not match the "
                f"env's observations {shape}."
            )
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape, np.float32)

    def observation(self, observation):
        return standardize(observation, self.mean, self.std, self.eps)


class StandardizedEnvFactory:
    """``make_env`` whose envs are wrapped in ``StandardizedObservation(·, mean, std, eps)``;
    ``mean``, ``std`` and ``eps`` are kept as attributes."""

    def __init__(self, make_env: Callable[[], gym.Env], mean: np.ndarray, std: np.ndarray, eps: float = EPS):
        self.make_env = make_env
        self.mean = np.asarray(mean, np.float64)
        self.std = np.asarray(std, np.float64)
        self.eps = float(eps)

    def __call__(self) -> gym.Env:
        return StandardizedObservation(self.make_env(), self.mean, self.std, self.eps)
