"""IDQL on Adroit (Minari ``D4RL/pen/*``, door, hammer, relocate), raw rewards.

IDQL reports no offline numbers here, so this takes its one-hyperparameter defaults: IQL's
expectile τ 0.7 (quantile 0.6, exponential α 1.0), the "-1" budget (critic 1M + actor 2M), N = 64.
Argument ``DATASET[,setting=A|1][,loss=expectile|quantile|exponential]`` as in locomotion.py.
"""

from jaxdiffrl.agents.idql import PAPER_TOTAL_STEPS, paper_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.domains import iql_data_config
from jaxdiffrl.train.online import default_online_config


def get_config(arg: str = "D4RL/pen/human-v2"):
    dataset, options = parse_config_arg(arg, {"setting": "1", "loss": "expectile"})
    return base_config(
        "idql",
        dataset,
        paper_config("adroit", options["setting"], options["loss"]),
        iql_data_config("adroit"),
        max_steps=PAPER_TOTAL_STEPS[options["setting"]],
        log_interval=5_000,
        eval_interval=250_000,
        checkpoint_interval=250_000,
        eval_episodes=10,
        online=default_online_config(),
    )
