"""Diffusion-QL on D4RL AntMaze (Table 3): η and max-Q backup per maze, rewards (r − 0.5)·4 (CQL's
convention, as the paper), 1000 epochs of 1000 steps, evaluated every 50 epochs on 100 episodes.
Gradient-norm clip and offline model selection rank (``top_k``) per task are the reference code's."""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {"actor_lr": 3e-4, "eta": 2.0, "max_q_backup": True, "grad_clip": 2.0, "rank": 1}
TASKS = {
    "umaze": {"eta": 0.5, "max_q_backup": False, "grad_clip": 2.0, "rank": 2},
    "umaze-diverse": {"eta": 2.0, "grad_clip": 3.0, "rank": 2},
    "medium-play": {"actor_lr": 1e-3, "eta": 2.0, "grad_clip": 2.0, "rank": 1},
    "medium-diverse": {"eta": 3.0, "grad_clip": 1.0, "rank": 1},
    "large-play": {"eta": 4.5, "grad_clip": 10.0, "rank": 2},
    "large-diverse": {"eta": 3.5, "grad_clip": 7.0, "rank": 1},
}


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.actor_lr = task["actor_lr"]
    agent.hparams.eta = task["eta"]
    agent.max_q_backup = task["max_q_backup"]
    agent.grad_clip = task["grad_clip"]
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(reward_shift=-0.5, reward_scale=4.0, success_ends_episode=True),
        max_steps=1_000_000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
        checkpoints_to_keep=None,
        model_selection_rank=task["rank"],
    )
