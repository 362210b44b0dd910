"""IQL on Adroit (``D4RL/pen/human-v2`` etc.): τ 0.7, β 0.5, actor dropout 0.1, raw rewards."""

from jaxdiffrl.agents.iql import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/pen/human-v2"):
    agent = default_config()
    agent.hparams.expectile = 0.7
    agent.hparams.temperature = 0.5
    agent.actor_dropout = 0.1
    return base_config(
        "iql",
        dataset,
        agent,
        iql_data_config("adroit"),
        max_steps=1_000_000,
        eval_interval=5_000,
        checkpoint_interval=50_000,
        eval_episodes=10,
    )
