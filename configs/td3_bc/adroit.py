"""TD3+BC on Adroit (``D4RL/pen/human-v2`` etc.) with the locomotion settings (α 2.5, …; the paper has
no runs on this domain): raw rewards, observations standardised; 1M steps, evaluated every 5k
steps on 10 episodes."""

from jaxdiffrl.agents.td3_bc import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/pen/human-v2"):
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
