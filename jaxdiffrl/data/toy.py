"""The project's toy bandits (one-step episodes, a constant dummy state; docs/algorithms.md).

- ``bandit-dql-4mode``: Diffusion-QL's 2-D bandit, 4 Gaussian modes (σ 0.05) at (0, ±0.8),
  (±0.8, 0); reward ~ N(μ, 0.5) with μ bottom 3, right 2, left 1, top 0.
- ``bandit-dql-corners``: the same at the corners (±0.8, ±0.8); μ (0.8, −0.8) 3, (−0.8, −0.8) 2,
  (−0.8, 0.8) 1, (0.8, 0.8) 0.
- ``bandit-idql``: IDQL's 1-D bandit, modes −0.6, 0, 0.6 (σ 0.05), reward means 0, 0.5, 1 (σ 0.3).

The specs live with their env (``jaxdiffrl.envs.bandit``, which pays the mean reward of the mode an
action lands near); ``jaxdiffrl.generators.bandit`` writes the datasets drawn here as Minari datasets.
"""

import numpy as np

from jaxdiffrl.envs.bandit import BANDITS, BanditSpec

__all__ = ["BANDITS", "BanditSpec", "sample_bandit"]


def sample_bandit(spec: BanditSpec, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(actions (size, action_dim), rewards (size,)): an equal mixture over the modes, each action
    clipped to [−1, 1], each reward drawn from its mode's distribution."""
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, len(spec.centres), size)
    actions = spec.centres[modes] + spec.action_std * rng.standard_normal((size, spec.centres.shape[1]))
    rewards = spec.reward_means[modes] + spec.reward_std * rng.standard_normal(size)
    return np.clip(actions, -1.0, 1.0).astype(np.float32), rewards.astype(np.float32)
