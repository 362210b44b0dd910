"""Behaviour cloning on the antmaze domain (Gaussian by default; ``--config.agent.actor_type=diffusion``)."""

from jaxdiffrl.agents.bc import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    return base_config(
        "bc",
        dataset,
        default_config(),
        iql_data_config("antmaze"),
        max_steps=1_000_000,
        eval_interval=5_000,
        eval_episodes=100,  # as every antmaze paper evaluates
    )
