"""Behaviour cloning on the PointMaze (D4RL maze2d-style) datasets, with the IQL maze budget.

``agent.actor_type`` picks Gaussian BC (default) or diffusion BC (DDPM behaviour model).
"""

from jaxdiffrl.agents.bc import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    return base_config(
        "bc",
        dataset,
        default_config(),
        iql_data_config("maze"),
        max_steps=30_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
    )
