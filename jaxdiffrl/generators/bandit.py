"""The toy bandits as Minari datasets: one-step episodes from a constant dummy state."""

import numpy as np
from tqdm.auto import tqdm

from jaxdiffrl.data.minari_writer import write_minari_dataset
from jaxdiffrl.data.toy import BANDITS, sample_bandit
from jaxdiffrl.envs import BANDIT_ENV_IDS


def generate_bandit(
    dataset_id: str, *, name: str, transitions: int | None = None, seed: int = 0, progress: bool = True
) -> str:
    """Writes bandit ``name`` as ``transitions`` one-step episodes (default: the spec's size).
    Reference scores: the worst and best mode's mean reward."""
    spec = BANDITS[name]
    size = spec.size if transitions is None else transitions
    actions, rewards = sample_bandit(spec, size, seed)
    state = np.zeros((2, 1), np.float32)  # s and s′ of every episode
    episodes = [
        {
            "observations": state,
            "actions": actions[i : i + 1],
            "rewards": rewards[i : i + 1],
            "terminations": np.ones(1, bool),
            "truncations": np.zeros(1, bool),
        }
        for i in tqdm(range(size), disable=not progress, desc=dataset_id)
    ]
    config = {"name": name, "transitions": size, "action_std": spec.action_std, "reward_std": spec.reward_std}
    return write_minari_dataset(
        dataset_id,
        episodes,
        BANDIT_ENV_IDS[name],
        ref_min_score=float(spec.reward_means.min()),
        ref_max_score=float(spec.reward_means.max()),
        algorithm_name="mixture of the bandit's modes",
        metadata={"generator": "bandit", "config": config, "seed": seed},
    )
