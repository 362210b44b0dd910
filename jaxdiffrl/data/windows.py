"""Truncated discounted returns over sliding windows of trajectories (the QDQ paper's Q dataset).

Each trajectory of length L is cut into windows of at most ``width`` steps:

- L ≤ width: one window, the whole trajectory (its whole discounted return);
- otherwise windows start at stride·j for j = 0, 1, … while stride·j + width < L; the first
  window that reaches the trajectory's end (stride·j + width ≥ L) is kept, truncated to L − stride·j
  steps, and the scan stops; at most ``max_windows`` windows per trajectory (the first ones).

Only the window's first state–action pair is kept, labelled with
Q_T = Σ_{m < width, start + m < end} γ^m r_{start + m} — no bootstrap beyond the window.

Everything is vectorised numpy: windows are enumerated with ``np.repeat``, and the truncated
discounted sums for every index are built by doubling (S_{2k}(i) = S_k(i) + γ^k S_k(i + k) while
i + k stays in i's trajectory), O(N log width) work, no loop over transitions or trajectories.
A million transitions take well under a second.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class ReturnWindows:
    """M windows: their first (s, a), raw truncated returns, dataset indices and the return range.

    observations: (M, obs_dim); actions: (M, act_dim); returns: (M,) float64, raw (not scaled);
    starts: (M,) int64 indices of the windows' first transitions in the dataset; low, high: the
    global min and max of ``returns`` — the scale that ``normalise`` / ``denormalise`` use.
    """

    observations: np.ndarray
    actions: np.ndarray
    returns: np.ndarray
    starts: np.ndarray
    low: float
    high: float

    @property
    def size(self) -> int:
        return int(self.returns.shape[0])

    @property
    def normalised_returns(self) -> np.ndarray:
        """(M,) returns min-max scaled to [−1, 1]."""
        return normalise(self.returns, self.low, self.high)


def normalise(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Maps [low, high] affinely onto [−1, 1]; a degenerate range (high = low) maps to 0."""
    values = np.asarray(values, np.float64)
    spread = high - low
    if spread <= 0:
        return np.zeros_like(values)
    return 2.0 * (values - low) / spread - 1.0


def denormalise(scaled: np.ndarray, low: float, high: float) -> np.ndarray:
    """Inverse of ``normalise``: [−1, 1] back onto [low, high] (any array shape)."""
    return low + (np.asarray(scaled, np.float64) + 1.0) * 0.5 * (high - low)


def trajectory_bounds(
    ends: np.ndarray,
    observations: np.ndarray | None = None,
    next_observations: np.ndarray | None = None,
    discontinuity_threshold: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the trajectories, each (K,) int64.

    A trajectory ends at row i where ``ends[i]`` is set, where ‖s_{i+1} − s′_i‖ exceeds the
    threshold (when both observation arrays are given) and at the last row.
    """
    done = np.asarray(ends, bool).copy()
    if done.ndim != 1 or done.size == 0:
        raise ValueError(f"ends must be a non-empty (N,) boolean array, got shape {done.shape}.")
    if observations is not None and next_observations is not None:
        obs = np.asarray(observations).reshape(done.size, -1)
        next_obs = np.asarray(next_observations).reshape(done.size, -1)
        done[:-1] |= np.linalg.norm(obs[1:] - next_obs[:-1], axis=-1) > discontinuity_threshold
    done[-1] = True
    last = np.flatnonzero(done)
    starts = np.concatenate([[0], last[:-1] + 1]).astype(np.int64)
    return starts, (last + 1 - starts).astype(np.int64)


def truncated_discounted_sums(rewards: np.ndarray, segment_end: np.ndarray, width: int, discount: float):
    """S(i) = Σ_{m < width, i + m < segment_end[i]} γ^m r_{i+m} for every index i; (N,) float64.

    ``segment_end[i]`` is one past the last index of i's trajectory. Built by binary doubling of
    the horizon, which is exact up to float64 rounding and needs ⌈log₂ width⌉ passes.
    """
    rewards = np.asarray(rewards, np.float64)
    n = rewards.shape[0]
    index = np.arange(n)
    block = rewards.copy()  # S_k for k = 2^b, the current power of two
    total = np.zeros(n)  # S over the horizon accumulated so far
    horizon, size = 0, 1
    while size <= width:
        if width & size:
            total += _shifted(block, index, horizon, segment_end) * discount**horizon
            horizon += size
        if 2 * size <= width:
            block = block + _shifted(block, index, size, segment_end) * discount**size
        size *= 2
    return total


def _shifted(values: np.ndarray, index: np.ndarray, offset: int, segment_end: np.ndarray) -> np.ndarray:
    """values[i + offset] where i + offset is still inside i's trajectory, else 0."""
    if offset == 0:
        return values
    out = np.zeros_like(values)
    if offset < values.shape[0]:
        out[:-offset] = values[offset:]
    return np.where(index + offset < segment_end, out, 0.0)


def window_starts(
    traj_starts: np.ndarray, traj_lengths: np.ndarray, width: int, stride: int, max_windows: int
) -> np.ndarray:
    """Dataset indices of all window starts, trajectory by trajectory; (M,) int64.

    A trajectory of length L gets min(max_windows, max(0, ⌈(L − width)/stride⌉) + 1) windows,
    starting at stride·j (the last one is the first to reach the end, see the module docstring).
    """
    if not 1 <= stride <= width:
        raise ValueError(f"Window stride must lie in [1, width={width}], got {stride}.")
    if max_windows < 1:
        raise ValueError(f"max_windows must be at least 1, got {max_windows}.")
    lengths = np.asarray(traj_lengths, np.int64)
    counts = np.minimum(max_windows, np.maximum(0, -((width - lengths) // stride)) + 1)
    owner = np.repeat(np.arange(lengths.size), counts)
    first_of_owner = np.cumsum(counts) - counts
    j = np.arange(owner.size) - first_of_owner[owner]
    return np.asarray(traj_starts, np.int64)[owner] + stride * j


def truncated_return_windows(
    observations: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_observations: np.ndarray | None,
    ends: np.ndarray,
    *,
    width: int = 200,
    stride: int = 10,
    max_windows: int = 100,
    discount: float = 0.99,
    discontinuity_threshold: float = 1e-6,
) -> ReturnWindows:
    """The truncated-return windows of an offline dataset (N transitions → M windows).

    observations, next_observations: (N, obs_dim); actions: (N, act_dim); rewards: (N,); ends:
    (N,) bool, True where a trajectory ends. Trajectories are also split where ‖s_{i+1} − s′_i‖ >
    ``discontinuity_threshold`` (skipped when ``next_observations`` is None) and at row N − 1.

    What to pass as ``ends``: the QDQ paper's rule splits at terminals and discontinuities. Pass
    ``terminals | timeouts`` (or ``OfflineDataset.dones``, which already holds terminals,
    truncations and discontinuities): a window must never run from one episode into the next,
    and after a timeout the next row starts a new episode. Where a timeout is followed by a
    reset, as in D4RL / Minari data, the discontinuity test splits there anyway, so both choices
    give the same windows; passing terminals alone relies on that test to find the timeouts.

    Rewards are used as given (apply reward conventions such as antmaze's r − 1 first).
    """
    rewards = np.asarray(rewards)
    n = rewards.shape[0]
    if np.asarray(observations).shape[0] != n or np.asarray(actions).shape[0] != n:
        raise ValueError("observations, actions and rewards must hold one row per transition.")
    traj_starts, traj_lengths = trajectory_bounds(
        ends, observations, next_observations, discontinuity_threshold
    )
    starts = window_starts(traj_starts, traj_lengths, width, stride, max_windows)
    traj_end = np.repeat(traj_starts + traj_lengths, traj_lengths)  # one past each row's trajectory
    sums = truncated_discounted_sums(rewards, traj_end, width, discount)
    returns = sums[starts]
    return ReturnWindows(
        observations=np.asarray(observations)[starts],
        actions=np.asarray(actions)[starts],
        returns=returns,
        starts=starts,
        low=float(returns.min()),
        high=float(returns.max()),
    )


def windows_arrays(
    dataset, *, width: int = 200, stride: int = 10, max_windows: int = 100, discount: float = 0.99
) -> dict[str, np.ndarray]:
    """An ``OfflineDataset``'s windows as training arrays: ``observations`` (M, obs_dim), ``actions``
    (M, act_dim), ``returns`` (M, 1) scaled to [−1, 1], and the 0-d constants ``return_low`` /
    ``return_high`` that undo the scaling. Trajectories end at ``dataset.dones`` (terminals,
    truncations and discontinuities, already found by the data conventions); rewards as loaded.
    """
    windows = truncated_return_windows(
        dataset.observations,
        dataset.actions,
        dataset.rewards,
        None,  # the dones already split at discontinuities (data.discontinuity_threshold)
        dataset.dones,
        width=width,
        stride=stride,
        max_windows=max_windows,
        discount=discount,
    )
    return {
        "observations": windows.observations.astype(np.float32),
        "actions": windows.actions.astype(np.float32),
        "returns": windows.normalised_returns.astype(np.float32)[:, None],
        "return_low": np.float32(windows.low),
        "return_high": np.float32(windows.high),
    }
