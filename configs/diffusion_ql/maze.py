"""Diffusion-QL on the PointMaze (D4RL maze2d-style) datasets, CPU-sized so that a 3-seed run on
pointmaze-umaze takes minutes.

The paper has no maze2d results: this keeps its locomotion settings (η 1, a fixed lr 3e-4,
no max-Q, raw sparse rewards, 50 candidates when acting) with 3×64 networks, batch 128 and 20k steps,
evaluated (and checkpointed, for model selection) every 5k steps on 10 episodes.
"""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = default_config()
    agent.diffusion.hidden_dims = (64, 64, 64)
    agent.critic_hidden_dims = (64, 64, 64)
    agent.hparams.eta = 1.0
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(),
        max_steps=20_000,
        batch_size=128,
        log_interval=1_000,
        eval_interval=5_000,
        eval_episodes=10,
        checkpoint_interval=5_000,
        checkpoints_to_keep=None,
        model_selection_rank=1,
    )
