"""IQL on AntMaze (e.g. D4RL/antmaze/umaze-v1): τ 0.9, β 10, rewards r − 1, 1M steps, 100 eval episodes."""

from jaxdiffrl.agents.iql import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    agent = default_config()
    agent.hparams.expectile = 0.9
    agent.hparams.temperature = 10.0
    return base_config(
        "iql",
        dataset,
        agent,
        iql_data_config("antmaze"),
        max_steps=1_000_000,
        eval_interval=100_000,
        checkpoint_interval=50_000,
        eval_episodes=100,
    )
