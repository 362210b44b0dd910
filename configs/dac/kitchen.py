"""DAC on D4RL Kitchen. DAC reports no Kitchen results, so these are its locomotion defaults
(η₀ = 1, dual ascent λ_η = 1e-3 towards L_bc ≤ 1, ρ = 1) with raw rewards, 1M steps, evaluated
every 50k steps on 100 episodes — a starting point, not a paper setting."""

from jaxdiffrl.agents.dac import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "D4RL/kitchen/complete-v2"):
    agent = default_config()
    agent.hparams.update(eta=1.0, eta_lr=1e-3, rho=1.0, bc_threshold=1.0)
    return base_config(
        "dac",
        dataset,
        agent,
        iql_data_config("kitchen"),
        max_steps=1_000_000,
        eval_interval=50_000,
        eval_episodes=100,
        checkpoint_interval=50_000,
    )
