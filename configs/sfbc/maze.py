"""SfBC on the PointMaze (D4RL maze2d-style) datasets, sized for a CPU: a score network a quarter
as wide (128-64-32), batch 512 at Adam 1e-3, 10k behaviour steps; K = 2 planning iterations of 3k
Q steps at batch 1024; acting by the top 4 of 32 candidates (locomotion's rule). Raw sparse
rewards.
"""

from jaxdiffrl.agents.sfbc import default_config, total_steps
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = default_config()
    agent.behaviour.widths = (128, 64, 32)
    agent.behaviour_steps = 10_000
    agent.behaviour_batch_size = 512
    agent.behaviour_lr = 1e-3
    agent.critic_steps = 3_000
    agent.critic_batch_size = 1024
    return base_config(
        "sfbc",
        dataset,
        agent,
        default_data_config(),
        max_steps=total_steps(agent),
        batch_size=1024,
        log_interval=1_000,
        eval_interval=3_000,
        checkpoint_interval=3_000,
        eval_episodes=10,
    )
