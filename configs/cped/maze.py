"""CPED on the PointMaze (D4RL maze2d-style) datasets, sized for a CPU: the paper's form (dual
ascent on α, clipped smoothing, standard WGAN-GP) with a smaller flow (NICE 4 × 256-256) for 20k
Flow-GAN updates, then 30k actor-critic updates with the TD3 networks; raw sparse rewards and
observations."""

from jaxdiffrl.app.paper_configs import cped_agent
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = cped_agent("paper", "locomotion")
    agent.flow_gan.hidden_dims = (256, 256)
    agent.flow_gan_steps = 20_000
    agent.actor_lr = 3e-4
    return base_config(
        "cped",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.flow_gan_steps + 30_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
    )
