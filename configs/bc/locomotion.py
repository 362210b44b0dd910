"""Behaviour cloning on the locomotion domain (Gaussian by default; diffusion with
``--config.agent.actor_type=diffusion``)."""

from jaxdiffrl.agents.bc import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "hopper-medium"):
    return base_config(
        "bc",
        dataset,
        default_config(),
        iql_data_config("locomotion"),
        max_steps=1_000_000,
        eval_interval=5_000,
    )
