"""Diffusion-QL on D4RL Adroit pen (Table 3): policy lr 3e-5, η 0.15 (human) / 0.1 (cloned), rewards
standardised, 1000 epochs of 1000 steps, evaluated every 50 epochs on 100 episodes. Gradient-norm
clip and offline model selection rank (``top_k``) per task are the reference code's."""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {"actor_lr": 3e-5, "eta": 0.1, "grad_clip": 8.0, "rank": 2}
TASKS = {
    "pen-human": {"eta": 0.15, "grad_clip": 7.0},
    "pen-cloned": {"eta": 0.1, "grad_clip": 8.0},
}


def get_config(dataset: str = "D4RL/pen/human-v2"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.actor_lr = task["actor_lr"]
    agent.hparams.eta = task["eta"]
    agent.grad_clip = task["grad_clip"]
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(reward_normalization="standardize"),
        max_steps=1_000_000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
        checkpoints_to_keep=None,
        model_selection_rank=task["rank"],
    )
