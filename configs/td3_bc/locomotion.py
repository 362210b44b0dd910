"""TD3+BC on D4RL-style locomotion (hopper / halfcheetah / walker2d), the paper's settings: α 2.5,
actor and twin critics 2×256 ReLU, Adam 3e-4, γ 0.99, τ 0.005, policy noise 0.2 clipped at 0.5,
actor every 2nd update; raw rewards, observations standardised by the dataset's statistics; 1M
steps, evaluated every 5k steps on 10 episodes."""

from jaxdiffrl.agents.td3_bc import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "hopper-medium"):
    return base_config(
        "td3_bc",
        dataset,
        default_config(),
        default_data_config(normalize_observations=True),
        max_steps=1_000_000,
        eval_interval=5_000,
        checkpoint_interval=50_000,
        eval_episodes=10,
    )
