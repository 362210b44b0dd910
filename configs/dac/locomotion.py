"""DAC on D4RL locomotion (DAC paper; reference code): η₀ = 1 with dual ascent (λ_η = 1e-3) towards
L_bc ≤ b, b = 1 (hopper-medium-expert 0.05, halfcheetah-medium-expert 0.1); LCB pessimism ρ = 1
walker2d, 1.5 hopper, 0 halfcheetah; rewards ×1000/(return range) as the reference's
``iql_locomotion``; 2M steps, evaluated every 10k steps on 10 episodes."""

from jaxdiffrl.agents.dac import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {"rho": 1.0, "bc_threshold": 1.0}
TASKS = {
    "walker2d": {"rho": 1.0},
    "hopper": {"rho": 1.5},
    "halfcheetah": {"rho": 0.0},
    "hopper-medium-expert": {"rho": 1.5, "bc_threshold": 0.05},
    "halfcheetah-medium-expert": {"rho": 0.0, "bc_threshold": 0.1},
}


def get_config(dataset: str = "mujoco/hopper/medium-v0"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.hparams.update(eta=1.0, eta_lr=1e-3, rho=task["rho"], bc_threshold=task["bc_threshold"])
    return base_config(
        "dac",
        dataset,
        agent,
        iql_data_config("locomotion"),
        max_steps=2_000_000,
        eval_interval=10_000,
        eval_episodes=10,
        checkpoint_interval=50_000,
    )
