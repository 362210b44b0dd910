"""Diffusion-QL on the 2-D bandits (paper §5, Figure 1; settings of the reference toy script):
T = 50, 3×128 mish ε-network and critics, η 2.5, Adam 3e-4 without decay or clipping, batch 100,
1000 epochs of 100 steps. ``--config.agent.hparams.eta=0`` gives BC-Diffusion. Evaluation takes the
bandit's expected reward of the chosen action (normalised: 0 = worst mode, 100 = best mode)."""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-dql-4mode"):
    agent = default_config()
    agent.diffusion.num_steps = 50
    agent.diffusion.hidden_dims = (128, 128, 128)
    agent.critic_hidden_dims = (128, 128, 128)
    agent.lr_decay = False
    agent.grad_clip = 0.0
    agent.hparams.eta = 2.5
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(),
        max_steps=100_000,
        batch_size=100,
        log_interval=1_000,
        eval_interval=10_000,
        eval_episodes=100,
        checkpoint_interval=10_000,
        checkpoints_to_keep=None,
        model_selection_rank=1,
    )
