"""OfflineDataset: a struct of transition arrays plus where they came from, and its validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import gymnasium as gym
import numpy as np

TRANSITION_FIELDS = ("observations", "actions", "rewards", "next_observations", "masks", "dones")


class DatasetError(ValueError):
    """Raised for data that cannot be trained on; the message names the field, index and fix."""


@dataclasses.dataclass(frozen=True)
class OfflineDataset:
    """N transitions as arrays, with the environment and reference scores they belong to.

    observations, next_observations: (N, obs_dim) float32; actions: (N, act_dim) float32;
    rewards: (N,) float32; masks: (N,) float32, 1 − terminal (bootstrap through truncations);
    dones: (N,) bool, True where a trajectory ends (terminal, truncation or a discontinuity), so
    returns and windows never cross trajectories.
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    masks: np.ndarray
    dones: np.ndarray
    name: str
    env_id: str | None = None
    ref_min_score: float | None = None
    ref_max_score: float | None = None
    action_low: np.ndarray | None = None
    action_high: np.ndarray | None = None
    make_env: Callable[[], gym.Env] | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def size(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def observation_dim(self) -> int:
        return int(self.observations.shape[-1])

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[-1])

    @property
    def episode_starts(self) -> np.ndarray:
        """(N,) bool: True at the first transition of every trajectory."""
        return np.concatenate([[True], self.dones[:-1]])

    def arrays(self) -> dict[str, np.ndarray]:
        """The transition arrays, as the training engine puts them on the device."""
        return {name: getattr(self, name) for name in TRANSITION_FIELDS}

    def trajectory_returns(self) -> np.ndarray:
        """Undiscounted return of every trajectory (segments between ``dones``)."""
        trajectory_ids = np.cumsum(self.episode_starts) - 1
        return np.bincount(trajectory_ids, weights=self.rewards.astype(np.float64))

    def normalized_score(self, returns: np.ndarray | float) -> np.ndarray:
        """D4RL-normalised score 100·(R − min)/(max − min); requires reference scores."""
        if self.ref_min_score is None or self.ref_max_score is None:
            raise DatasetError(
                f"Dataset {self.name!r} has no reference scores, so returns cannot be normalised."
            )
        return 100.0 * (np.asarray(returns) - self.ref_min_score) / (self.ref_max_score - self.ref_min_score)

    def replace(self, **changes) -> OfflineDataset:
        return dataclasses.replace(self, **changes)


def validate(dataset: OfflineDataset) -> OfflineDataset:
    """Checks shapes, finiteness and the action box; raises DatasetError naming what is wrong."""
    n = dataset.size
    if n == 0:
        raise DatasetError(f"Dataset {dataset.name!r} holds no transitions.")
    for field in TRANSITION_FIELDS:
        values = getattr(dataset, field)
        if values.shape[0] != n:
            raise DatasetError(
                f"Dataset {dataset.name!r}: {field} has {values.shape[0]} rows but rewards has {n}; "
                "every field must hold one row per transition."
            )
        if field != "dones" and not np.all(np.isfinite(values)):
            bad = np.argwhere(~np.isfinite(values))[0]
            raise DatasetError(
                f"Dataset {dataset.name!r}: {field} has a non-finite value {values[tuple(bad)]} at index "
                f"{tuple(int(i) for i in bad)} ({int(np.sum(~np.isfinite(values)))} in all). Clean or drop "
                "those transitions before training."
            )
    if dataset.observations.shape != dataset.next_observations.shape:
        raise DatasetError(
            f"Dataset {dataset.name!r}: observations {dataset.observations.shape} and next_observations "
            f"{dataset.next_observations.shape} differ in shape."
        )
    if dataset.action_low is not None and dataset.action_high is not None:
        outside = (dataset.actions < dataset.action_low - 1e-6) | (
            dataset.actions > dataset.action_high + 1e-6
        )
        if np.any(outside):
            index = tuple(int(i) for i in np.argwhere(outside)[0])
            raise DatasetError(
                f"Dataset {dataset.name!r}: actions[{index}] = {dataset.actions[index]:.6g} lies outside the "
                f"action box [{dataset.action_low.min():.6g}, {dataset.action_high.max():.6g}] "
                f"({int(outside.any(-1).sum())} transitions in all). Fix the data or rescale the actions."
            )
    return dataset
