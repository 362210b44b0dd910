"""IQL on D4RL-style locomotion (hopper / halfcheetah / walker2d): τ 0.7, β 3, 1M steps.

Rewards ×1000/(max − min trajectory return), as IQL does for these tasks.
"""

from jaxdiffrl.agents.iql import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "hopper-medium"):
    agent = default_config()
    agent.hparams.expectile = 0.7
    agent.hparams.temperature = 3.0
    return base_config(
        "iql",
        dataset,
        agent,
        iql_data_config("locomotion"),
        max_steps=1_000_000,
        eval_interval=5_000,
        checkpoint_interval=50_000,
        eval_episodes=10,
    )
