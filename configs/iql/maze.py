"""IQL on the PointMaze (D4RL maze2d-style) datasets: sparse rewards, expectile τ 0.9 (the paper's
antmaze value) and β 3 (its locomotion value).

CPU-sized defaults (small budget) so the first run finishes in minutes; the paper trains 1M steps.
τ 0.9 because the goal is far from most starts: on pointmaze-medium at 30k updates τ 0.7 scored
−0.3 / −2.1 (2 seeds) and τ 0.9 37.4 / 41.9 (docs/results/maze-cpu-tuning.md).
"""

from jaxdiffrl.agents.iql import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = default_config()
    agent.hparams.expectile = 0.9
    agent.hparams.temperature = 3.0
    return base_config(
        "iql",
        dataset,
        agent,
        iql_data_config("maze"),
        max_steps=30_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
    )
