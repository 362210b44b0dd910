"""ACD / ACD-F / ACG on the PointMaze (D4RL maze2d-style) datasets, CPU-sized (minutes per run).

Not in the paper. IQL's critic 2×256 with its antmaze expectile τ = 0.9 (the goal is far from most
starts; see configs/iql/maze.py), ω = 3, p = 0.1; 24k steps of critic and actor together
(Algorithm 1; IDQL's maze budget), an LN-ResNet of width 64, actor batch 256, ACD-F with N = 16.
On pointmaze-medium τ 0.9 scored 13.0 / 13.5 / 28.0 (docs/results/maze-cpu-tuning.md). Argument
``DATASET[,variant=acd|acd-f|acg]`` (ACG: launch/train_acg.py).
"""

from jaxdiffrl.app.paper_configs import acd_agent
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg


def get_config(arg: str = "pointmaze-umaze"):
    dataset, options = parse_config_arg(arg, {"variant": "acd"})
    agent = acd_agent("maze", options["variant"])
    agent.hparams.expectile = 0.9
    agent.diffusion.resnet_width = 64
    agent.actor_batch_size = 256
    if options["variant"] == "acd-f":
        agent.num_candidates = 16
    return base_config(
        options["variant"],
        dataset,
        agent,
        iql_data_config("maze"),
        max_steps=24_000,
        log_interval=1_000,
        eval_interval=12_000,
        checkpoint_interval=12_000,
        eval_episodes=10,
    )
