"""CPED on AntMaze (e.g. D4RL/antmaze/umaze-v1).

Argument ``DATASET[,setting=paper|code]`` (``jaxdiffrl.app.paper_configs.cped_agent``); ``code``
uses the reference code's antmaze α schedule (5, 0.5, 0.25, 0.1, 0.08 at 100k / 300k / 500k / 800k).
Both: rewards r − 1, D4RL's episodes that end at the goal, raw observations; Flow-GAN for P = 300k
updates (the reference README suggests 400–500k for the large mazes: override
``--config.agent.flow_gan_steps`` and ``--config.max_steps`` together), 1M updates in all, actor lr
3e-4; evaluated every 50k steps on 100 episodes.
"""

from jaxdiffrl.app.paper_configs import cped_agent
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg


def get_config(arg: str = "D4RL/antmaze/umaze-v1"):
    dataset, options = parse_config_arg(arg, {"setting": "paper"})
    return base_config(
        "cped",
        dataset,
        cped_agent(options["setting"], "antmaze"),
        default_data_config(reward_shift=-1.0, success_ends_episode=True),
        max_steps=1_000_000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
    )
