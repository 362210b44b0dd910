"""DAC on the PointMaze (D4RL maze2d-style) datasets, CPU-sized so that a 3-seed run on
pointmaze-umaze takes minutes.

DAC reports no maze2d results: this keeps its locomotion settings (η₀ = 1 with dual ascent
λ_η = 1e-3 towards L_bc ≤ 1, LCB ρ = 1, lr 3e-4 with cosine decay, raw sparse rewards) with 3×64
networks, 5 critics, 4 target samples per next state, batch 128 and 10k steps, evaluated every
2.5k steps on 10 episodes. The paper's ensemble is 10 critics × 10 target samples.
"""

from jaxdiffrl.agents.dac import default_config
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = default_config()
    agent.diffusion.hidden_dims = (64, 64, 64)
    agent.critic_hidden_dims = (64, 64, 64)
    agent.num_qs = 5
    agent.target_samples = 4
    agent.hparams.update(eta=1.0, eta_lr=1e-3, rho=1.0, bc_threshold=1.0)
    return base_config(
        "dac",
        dataset,
        agent,
        iql_data_config("maze"),
        max_steps=10_000,
        batch_size=128,
        log_interval=500,
        eval_interval=2_500,
        eval_episodes=10,
        checkpoint_interval=2_500,
    )
