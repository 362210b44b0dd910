"""CPED on D4RL locomotion (hopper / halfcheetah / walker2d; Minari ``mujoco/*``).

Argument ``DATASET[,setting=paper|code]`` (``jaxdiffrl.app.paper_configs.cped_agent``): ``paper``
(default) trains α by dual ascent; ``code`` is the reference code's α schedule (1000, then 10 /
7.5 / 5 / 2.5 per 100k, 1.5 after 1M), unclipped target smoothing, its gradient penalty and its
delayed critic (P + 30k) and Q term (P + 50k).
Both: Flow-GAN (NICE 4 × 750-750, WGAN-GP critic [2D, 4D]) for P = 500k updates, then 1M actor-critic
updates (TD3 2×256, actor lr 1e-4, critic 3e-4) at batch 256; raw rewards and observations;
evaluated every 5k steps on 10 episodes.
e.g. ``--config=configs/cped/locomotion.py:mujoco/hopper/medium-v0,setting=code``.
"""

from jaxdiffrl.app.paper_configs import cped_agent
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg


def get_config(arg: str = "mujoco/hopper/medium-v0"):
    dataset, options = parse_config_arg(arg, {"setting": "paper"})
    agent = cped_agent(options["setting"], "locomotion")
    return base_config(
        "cped",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.flow_gan_steps + 1_000_000,
        eval_interval=5_000,
        eval_episodes=10,
        checkpoint_interval=50_000,
    )
