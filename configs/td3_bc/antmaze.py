"""TD3+BC on AntMaze (e.g. D4RL/antmaze/umaze-v1) with the locomotion settings (α 2.5, …): raw
rewards, observations standardised, D4RL's episodes that end at the goal; 1M steps, evaluated
every 5k steps on 100 episodes."""

from jaxdiffrl.agents.td3_bc import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    return base_config(
        "td3_bc",
        dataset,
        default_config(),
        default_data_config(success_ends_episode=True, normalize_observations=True),
        max_steps=1_000_000,
        eval_interval=5_000,
        checkpoint_interval=50_000,
        eval_episodes=100,
    )
