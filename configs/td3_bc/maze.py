"""TD3+BC on the PointMaze (D4RL maze2d-style) datasets with the paper's settings (α 2.5, …), raw
sparse rewards and standardised observations.

CPU-sized defaults (small budget) so the first run finishes in minutes; the paper trains 1M steps.
"""

from jaxdiffrl.agents.td3_bc import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    return base_config(
        "td3_bc",
        dataset,
        default_config(),
        default_data_config(normalize_observations=True),
        max_steps=30_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
    )
