"""SfBC on AntMaze (D4RL/antmaze/*): raw 0/1 rewards, D4RL's episodes that end at the goal; K = 4
planning iterations on umaze, 5 on the others (the reference code's default is 2 everywhere: set
``--config.agent.planning_iterations``); an epoch is 2M samples (48.8k steps at batch 4096);
antmaze-large uses a 512-256-256 Q network; acting takes the single best of 32 candidates.
Evaluated on 100 episodes.
"""

from jaxdiffrl.agents.sfbc import default_config, total_steps
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

TASKS = {"umaze": {"planning_iterations": 4}, "large": {"critic_hidden_dims": (512, 256, 256)}}


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    agent = default_config()
    agent.update(task_settings(TASKS, dataset, {"planning_iterations": 5, "critic_hidden_dims": (256, 256)}))
    agent.critic_steps = 48_828
    agent.top_k = 1
    return base_config(
        "sfbc",
        dataset,
        agent,
        default_data_config(success_ends_episode=True),
        max_steps=total_steps(agent),
        batch_size=4096,
        eval_interval=50_000,
        checkpoint_interval=50_000,
        eval_episodes=100,
    )
