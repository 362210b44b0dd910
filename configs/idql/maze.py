"""IDQL on the PointMaze (D4RL maze2d-style) datasets, CPU-sized so the first run takes minutes.

IDQL's maze2d results (its Table 5) give no hyperparameters; this uses the IQL critic 2×256 with
its antmaze expectile τ 0.9 (the goal is far from most starts; see configs/iql/maze.py) and a smaller
budget and behaviour model: critic 30k + actor 10k steps, LN-ResNet width 64, actor batch 256,
N = 16. At this budget the critic, not the behaviour model, limits the score, hence 75 % of the
steps for it instead of the paper's third: on pointmaze-medium a 14.4k-update critic at τ 0.9 gave
−1.1 / 0.3 / 0.1, a 30k-update one 23.0 / 3.6 / 11.2 (docs/results/maze-cpu-tuning.md). Evaluations
before step 30k use an untrained behaviour model.
Argument ``DATASET[,loss=expectile|quantile|exponential]``.
"""

from jaxdiffrl.app.paper_configs import idql_agent
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.online import default_online_config


def get_config(arg: str = "pointmaze-umaze"):
    dataset, options = parse_config_arg(arg, {"loss": "expectile"})
    agent = idql_agent("maze", "1", options["loss"])
    agent.diffusion.resnet_width = 64
    agent.actor_batch_size = 256
    agent.num_candidates = 16
    agent.hparams.expectile = 0.9
    agent.critic_fraction = 0.75
    return base_config(
        "idql",
        dataset,
        agent,
        iql_data_config("maze"),
        max_steps=40_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
        online=default_online_config(steps=5_000, log_interval=500, eval_interval=2_500),
    )
