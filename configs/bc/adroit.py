"""Behaviour cloning on the adroit domain (Gaussian by default; ``--config.agent.actor_type=diffusion``)."""

from jaxdiffrl.agents.bc import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/pen/human-v2"):
    return base_config(
        "bc", dataset, default_config(), iql_data_config("adroit"), max_steps=1_000_000, eval_interval=5_000
    )
