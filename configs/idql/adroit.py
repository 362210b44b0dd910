"""IDQL on Adroit (Minari ``D4RL/pen/*``, door, hammer, relocate), raw rewards.

IDQL reports no offline numbers here, so this takes its one-hyperparameter defaults: IQL's
expectile τ 0.7 (quantile 0.6, exponential α 1.0), the "-1" budget (critic 1M + actor 2M), N = 64.
Argument ``DATASET[,setting=A|1][,loss=expectile|quantile|exponential]`` as in locomotion.py.
"""

from jaxdiffrl.app.paper_configs import idql_run


def get_config(arg: str = "D4RL/pen/human-v2"):
    return idql_run("adroit", arg)
