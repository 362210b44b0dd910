"""Diffusion-QL on D4RL Kitchen (Table 3): η 0.005, lr 3e-4, raw rewards, 1000 epochs of 1000 steps
(250 for kitchen-complete, as the reference code), evaluated every 50 epochs on 100 episodes.
Gradient-norm clip and offline model selection rank (``top_k``) per task are the reference code's."""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {"eta": 0.005, "grad_clip": 10.0, "rank": 2, "epochs": 1000}
TASKS = {
    "complete": {"grad_clip": 9.0, "rank": 2, "epochs": 250},
    "partial": {"grad_clip": 10.0, "rank": 2},
    "mixed": {"grad_clip": 10.0, "rank": 0},
}


def get_config(dataset: str = "D4RL/kitchen/complete-v2"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.hparams.eta = task["eta"]
    agent.grad_clip = task["grad_clip"]
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(),
        max_steps=task["epochs"] * 1000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
        checkpoints_to_keep=None,
        model_selection_rank=task["rank"],
    )
