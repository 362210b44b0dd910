"""Diffusion-QL on D4RL locomotion (Table 3): η 1, lr 3e-4, no max-Q, raw rewards, 2000 epochs of
1000 steps, evaluated every 50 epochs on 10 episodes. Gradient-norm clip and the offline model
selection rank (``top_k``) per task are the reference code's."""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

# Tasks outside Table 3 (e.g. Minari's mujoco/*/simple or expert) get these.
DEFAULTS = {"actor_lr": 3e-4, "eta": 1.0, "max_q_backup": False, "grad_clip": 5.0, "rank": 1}
TASKS = {
    "halfcheetah-medium": {"grad_clip": 9.0, "rank": 1},
    "hopper-medium": {"grad_clip": 9.0, "rank": 2},
    "walker2d-medium": {"grad_clip": 1.0, "rank": 1},
    "halfcheetah-medium-replay": {"grad_clip": 2.0, "rank": 0},
    "hopper-medium-replay": {"grad_clip": 4.0, "rank": 2},
    "walker2d-medium-replay": {"grad_clip": 4.0, "rank": 1},
    "halfcheetah-medium-expert": {"grad_clip": 7.0, "rank": 0},
    "hopper-medium-expert": {"grad_clip": 5.0, "rank": 2},
    "walker2d-medium-expert": {"grad_clip": 5.0, "rank": 1},
}


def get_config(dataset: str = "mujoco/hopper/medium-v0"):
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
        default_data_config(),
        max_steps=2_000_000,
        eval_interval=50_000,
        eval_episodes=10,
        checkpoint_interval=50_000,
        checkpoints_to_keep=None,
        model_selection_rank=task["rank"],
    )
