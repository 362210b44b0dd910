"""Behaviour cloning on the toy bandits: diffusion BC with T = 50 (Diffusion-QL's bandit figure).

Gaussian BC: ``--config.agent.actor_type=gaussian``.
"""

from jaxdiffrl.agents.bc import default_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-dql-4mode"):
    agent = default_config()
    agent.actor_type = "diffusion"
    agent.diffusion.num_steps = 50
    agent.diffusion.hidden_dims = (128, 128, 128)
    agent.stochastic_actions = True
    agent.actor_lr = 3e-3  # at 3e-4 (cosine) 5k steps leave most samples between the modes
    return base_config(
        "bc",
        dataset,
        agent,
        max_steps=5_000,
        log_interval=500,
        eval_interval=5_000,
        checkpoint_interval=5_000,
        eval_episodes=100,
    )
