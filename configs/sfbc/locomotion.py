"""SfBC on D4RL locomotion (hopper / halfcheetah / walker2d; Minari ``mujoco/*``), the paper's and
reference code's values: VP-SDE behaviour model 586k steps at batch 4096 (600 epochs of 4M samples
for a 1M-row dataset), Adam 1e-4; K = 2 planning iterations of 100 epochs (1M samples each) at
batch 4096, Q 2×256 SiLU, Adam 1e-3; M = 16 behaviour samples per state, α = 20; acting by the
mean of the top 4 of 32 DPM-Solver candidates (15 steps, order 3, time-uniform). Raw rewards;
trajectories end at terminals and timeouts. Evaluated on 20 episodes.
"""

from jaxdiffrl.agents.sfbc import default_config, total_steps
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "mujoco/hopper/medium-v0"):
    agent = default_config()
    return base_config(
        "sfbc",
        dataset,
        agent,
        default_data_config(),
        max_steps=total_steps(agent),
        batch_size=4096,
        eval_interval=10_000,
        checkpoint_interval=24_000,
        eval_episodes=20,
    )
