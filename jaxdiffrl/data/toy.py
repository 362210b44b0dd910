"""The toy bandits of ALGORITHMS.md (one-step episodes, a constant dummy state).

- ``bandit-dql-4mode``: Diffusion-QL's 2-D bandit, 4 Gaussian modes (σ 0.05) at (0, ±0.8),
  (±0.8, 0); reward ~ N(μ, 0.5) with μ bottom 3, right 2, left 1, top 0.
- ``bandit-dql-corners``: the same at the corners (±0.8, ±0.8); μ (0.8, −0.8) 3, (−0.8, −0.8) 2,
  (−0.8, 0.8) 1, (0.8, 0.8) 0.
- ``bandit-idql``: IDQL's 1-D bandit, modes −0.6, 0, 0.6 (σ 0.05), reward means 0, 0.5, 1 (σ 0.3).

``jaxdiffrl.data.generators.bandit`` writes them as Minari datasets; their env
(``jaxdiffrl.envs.BANDIT_ENV_IDS``) pays the mean reward of the mode an action lands near.
"""

from dataclasses import dataclass

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


def sample_bandit(spec: BanditSpec, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(actions (size, action_dim), rewards (size,)): an equal mixture over the modes, each action
    clipped to [−1, 1], each reward drawn from its mode's distribution."""
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, len(spec.centres), size)
    actions = spec.centres[modes] + spec.action_std * rng.standard_normal((size, spec.centres.shape[1]))
    rewards = spec.reward_means[modes] + spec.reward_std * rng.standard_normal(size)
    return np.clip(actions, -1.0, 1.0).astype(np.float32), rewards.astype(np.float32)
