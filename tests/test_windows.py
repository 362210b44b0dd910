"""Truncated-return windows: hand-computed counts, starts and returns; the cap; scaling; speed."""

import time

import numpy as np
import pytest

from jaxdiffrl.data.windows import (
    denormalise,
    normalise,
    trajectory_bounds,
    truncated_return_windows,
)

WIDTH, STRIDE, GAMMA = 5, 2, 0.5


def hand_dataset():
    """Four trajectories (global rows): A 0–2 (terminal), B 3–12 (terminal), C 13–20 (cut by an
    observation jump), D 21–26 (dataset end). Observations are the row index, continuous inside
    trajectories (s′_i = s_{i+1}) and also across A→B and B→C, so only the flags split those.
    """
    n = 27
    observations = np.arange(n, dtype=np.float32)[:, None]
    next_observations = observations + 1.0
    next_observations[20] = 1000.0  # C's last next-state does not match D's first state
    ends = np.zeros(n, bool)
    ends[[2, 12]] = True
    actions = -np.arange(n, dtype=np.float32)[:, None]
    rewards = (np.arange(n) % 7 + 1).astype(np.float32) * np.where(np.arange(n) % 2, 1.0, -1.0)
    return observations, actions, rewards, next_observations, ends


def discounted(rewards, start, length):
    return sum(GAMMA**m * float(rewards[start + m]) for m in range(length))


def test_trajectory_bounds():
    observations, _, _, next_observations, ends = hand_dataset()
    starts, lengths = trajectory_bounds(ends, observations, next_observations, 1e-6)
    np.testing.assert_array_equal(starts, [0, 3, 13, 21])
    np.testing.assert_array_equal(lengths, [3, 10, 8, 6])
    # Without the observations only the flags and the dataset end split.
    starts, lengths = trajectory_bounds(ends)
    np.testing.assert_array_equal(starts, [0, 3, 13])
    np.testing.assert_array_equal(lengths, [3, 10, 14])


def test_hand_computed_windows():
    observations, actions, rewards, next_observations, ends = hand_dataset()
    windows = truncated_return_windows(
        observations, actions, rewards, next_observations, ends, width=WIDTH, stride=STRIDE, discount=GAMMA
    )
    # (start, steps) by hand, width 5, stride 2:
    # A (L=3 ≤ 5): one window, the whole trajectory.
    # B (L=10): j=0,1,2 full (0+5, 2+5, 4+5 < 10); j=3 reaches the end (6+5 ≥ 10): 4 steps; stop.
    # C (L=8): j=0,1 full (5, 7 < 8); j=2 reaches the end: 8 − 4 = 4 steps.
    # D (L=6): j=0 full (5 < 6); j=1 reaches the end: 6 − 2 = 4 steps.
    expected = [
        (0, 3),
        (3, 5), (5, 5), (7, 5), (9, 4),
        (13, 5), (15, 5), (17, 4),
        (21, 5), (23, 4),
    ]  # fmt: skip
    np.testing.assert_array_equal(windows.starts, [s for s, _ in expected])
    np.testing.assert_allclose(windows.returns, [discounted(rewards, s, k) for s, k in expected], rtol=1e-12)
    np.testing.assert_array_equal(windows.observations[:, 0], windows.starts)
    np.testing.assert_array_equal(windows.actions[:, 0], -windows.starts)
    assert windows.size == 10
    assert windows.low == windows.returns.min() and windows.high == windows.returns.max()
    # Spot check one window written out term by term: B's first, rows 3..7.
    r = rewards
    assert windows.returns[1] == pytest.approx(r[3] + 0.5 * r[4] + 0.25 * r[5] + 0.125 * r[6] + 0.0625 * r[7])
    # A trajectory of exactly `width` steps gives one window too.
    one_end = np.array([False, False, False, False, True])
    exact = truncated_return_windows(
        observations[:5], actions[:5], rewards[:5], None, one_end, width=5, stride=2
    )
    np.testing.assert_array_equal(exact.starts, [0])


def test_max_windows_cap():
    n = 100
    rewards = np.ones(n)
    zeros = np.zeros((n, 1))
    ends = np.zeros(n, bool)
    capped = truncated_return_windows(zeros, zeros, rewards, None, ends, width=5, stride=2, max_windows=3)
    np.testing.assert_array_equal(capped.starts, [0, 2, 4])
    np.testing.assert_allclose(capped.returns, (1 - 0.99**5) / (1 - 0.99))  # full windows only
    free = truncated_return_windows(zeros, zeros, rewards, None, ends, width=5, stride=2, max_windows=1000)
    assert free.size == 49  # ⌈(100 − 5)/2⌉ + 1
    assert free.starts[-1] == 96  # 96 + 5 ≥ 100: the last, truncated window (4 steps)
    np.testing.assert_allclose(free.returns[-1], (1 - 0.99**4) / (1 - 0.99))


def naive_windows(rewards, ends, width, stride, max_windows, discount):
    """A direct transcription of the rule, one trajectory and one window at a time."""
    starts, returns, begin = [], [], 0
    for i in range(len(rewards)):
        if not (ends[i] or i == len(rewards) - 1):
            continue
        length = i + 1 - begin
        if length <= width:
            starts.append(begin)
            returns.append(sum(discount**m * rewards[begin + m] for m in range(length)))
        else:
            for j in range(max_windows):
                steps = width if stride * j + width < length else length - stride * j
                starts.append(begin + stride * j)
                returns.append(sum(discount**m * rewards[begin + stride * j + m] for m in range(steps)))
                if steps < width or stride * j + width >= length:
                    break
        begin = i + 1
    return np.array(starts), np.array(returns)


@pytest.mark.parametrize("width,stride,max_windows", [(7, 3, 4), (16, 5, 100), (13, 13, 2), (1, 1, 100)])
def test_matches_a_direct_transcription(width, stride, max_windows):
    rng = np.random.default_rng(width)
    n = 600
    rewards = rng.normal(size=n)
    ends = rng.random(n) < 0.03
    zeros = np.zeros((n, 1))
    windows = truncated_return_windows(
        zeros, zeros, rewards, None, ends, width=width, stride=stride, max_windows=max_windows, discount=0.9
    )
    starts, returns = naive_windows(rewards, ends, width, stride, max_windows, 0.9)
    np.testing.assert_array_equal(windows.starts, starts)
    np.testing.assert_allclose(windows.returns, returns, rtol=1e-10, atol=1e-12)


def test_scaling_round_trip():
    observations, actions, rewards, next_observations, ends = hand_dataset()
    windows = truncated_return_windows(
        observations, actions, rewards, next_observations, ends, width=WIDTH, stride=STRIDE, discount=GAMMA
    )
    scaled = windows.normalised_returns
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_allclose(denormalise(scaled, windows.low, windows.high), windows.returns, rtol=1e-12)
    np.testing.assert_allclose(
        normalise(denormalise(np.array([-1.0, 0.0, 0.3]), 2.0, 6.0), 2.0, 6.0), [-1, 0, 0.3]
    )
    np.testing.assert_allclose(denormalise(np.zeros((2, 3)), 2.0, 6.0), np.full((2, 3), 4.0))
    np.testing.assert_array_equal(normalise(np.array([3.0, 3.0]), 3.0, 3.0), [0.0, 0.0])


def test_argument_checks():
    zeros = np.zeros((10, 1))
    with pytest.raises(ValueError, match="stride"):
        truncated_return_windows(zeros, zeros, np.zeros(10), None, np.zeros(10, bool), width=5, stride=6)
    with pytest.raises(ValueError, match="one row per transition"):
        truncated_return_windows(zeros[:9], zeros, np.zeros(10), None, np.zeros(10, bool))


def test_million_transitions_runs_quickly():
    """Not a timed assertion: prints the time of a D4RL-sized run (1M rows, 1000-step episodes)."""
    rng = np.random.default_rng(0)
    n, obs_dim = 1_000_000, 17
    observations = rng.normal(size=(n, obs_dim)).astype(np.float32)
    next_observations = np.roll(observations, -1, axis=0)
    ends = np.zeros(n, bool)
    ends[rng.choice(n, 300, replace=False)] = True  # terminals
    timeouts = np.zeros(n, bool)
    timeouts[999::1000] = True
    next_observations[timeouts] += 1.0  # a reset follows every timeout
    actions = rng.uniform(-1, 1, size=(n, 6)).astype(np.float32)
    rewards = rng.normal(size=n).astype(np.float32)
    start = time.perf_counter()
    windows = truncated_return_windows(observations, actions, rewards, next_observations, ends)
    elapsed = time.perf_counter() - start
    print(f"\n1M transitions -> {windows.size} windows in {elapsed:.2f} s")
    with_timeouts = truncated_return_windows(
        observations, actions, rewards, next_observations, ends | timeouts
    )
    np.testing.assert_array_equal(with_timeouts.starts, windows.starts)  # the jump test finds the resets
    assert windows.returns.shape == (windows.size,) and windows.observations.shape == (windows.size, obs_dim)
