"""DAC on D4RL AntMaze (DAC paper; reference code): η = 0.1 fixed (no dual ascent), LCB ρ = 1
(large-play 1.1), max over the 10 target samples (max-Q), critic lr 1e-3 on the large mazes;
rewards r − 1 (IQL's convention; the DAC paper does not state its own); 2M steps, evaluated every 50k
steps on 100 episodes."""

from jaxdiffrl.agents.dac import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {"rho": 1.0, "critic_lr": 3e-4}
TASKS = {
    "large": {"critic_lr": 1e-3},
    "large-play": {"rho": 1.1, "critic_lr": 1e-3},
}


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.max_q_backup = True
    agent.critic_lr = task["critic_lr"]
    agent.hparams.update(eta=0.1, eta_lr=0.0, rho=task["rho"])
    return base_config(
        "dac",
        dataset,
        agent,
        iql_data_config("antmaze"),
        max_steps=2_000_000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
    )
