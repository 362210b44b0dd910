"""The toy bandits of ALGORITHMS.md, built in memory (one-step episodes, a constant dummy state).

- ``bandit-dql-4mode``: Diffusion-QL's 2-D bandit, 4 Gaussian modes (σ 0.05) at (0, ±0.8),
  (±0.8, 0); reward ~ N(μ, 0.5) with μ bottom 3, right 2, left 1, top 0.
- ``bandit-dql-corners``: the same at the corners (±0.8, ±0.8); μ (0.8, −0.8) 3, (−0.8, −0.8) 2,
  (−0.8, 0.8) 1, (0.8, 0.8) 0.
- ``bandit-idql``: IDQL's 1-D bandit, modes −0.6, 0, 0.6 (σ 0.05), reward means 0, 0.5, 1 (σ 0.3).
"""

from dataclasses import dataclass

import numpy as np

from jaxdiffrl.data.dataset import OfflineDataset


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


def make_bandit_dataset(name: str, seed: int = 0, size: int | None = None) -> OfflineDataset:
    """Samples a bandit dataset: an equal mixture over modes, rewards from each mode's distribution."""
    from jaxdiffrl.envs.bandit import BanditEnv

    spec = BANDITS[name]
    size = spec.size if size is None else size
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, len(spec.centres), size)
    actions = spec.centres[modes] + spec.action_std * rng.standard_normal((size, spec.centres.shape[1]))
    actions = np.clip(actions, -1.0, 1.0).astype(np.float32)
    rewards = (spec.reward_means[modes] + spec.reward_std * rng.standard_normal(size)).astype(np.float32)
    observations = np.zeros((size, 1), np.float32)
    return OfflineDataset(
        observations=observations,
        actions=actions,
        rewards=rewards,
        next_observations=observations.copy(),
        masks=np.zeros(size, np.float32),
        dones=np.ones(size, bool),
        name=name,
        env_id=f"jaxdiffrl/{name}",
        ref_min_score=float(spec.reward_means.min()),
        ref_max_score=float(spec.reward_means.max()),
        action_low=-np.ones(spec.centres.shape[1], np.float32),
        action_high=np.ones(spec.centres.shape[1], np.float32),
        make_env=lambda: BanditEnv(spec.centres, spec.reward_means),
    )
