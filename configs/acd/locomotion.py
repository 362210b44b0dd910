"""ACD / ACD-F / ACG on D4RL locomotion (Minari ``mujoco/*``), rewards ×1000/return range.

The paper reports halfcheetah-medium only.

Argument ``DATASET[,variant=acd|acd-f|acg]``: ACD (default), ACD-F (IDQL's N guided samples, the
argmax of Q̄ executed) or ACG (a Gaussian policy; train it with launch/train_acg.py).
The paper's ω = 3 and p = 0.1, IDQL's diffusion model, IQL's expectile; it gives no step count,
so this trains IQL's 1M steps, critic and actor together (Algorithm 1).
"""

from jaxdiffrl.agents.acd import paper_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.domains import iql_data_config


def get_config(arg: str = "mujoco/halfcheetah/medium-v0"):
    dataset, options = parse_config_arg(arg, {"variant": "acd"})
    return base_config(
        options["variant"],
        dataset,
        paper_config("locomotion", options["variant"]),
        iql_data_config("locomotion"),
        max_steps=1_000_000,
        log_interval=5_000,
        eval_interval=100_000,
        checkpoint_interval=100_000,
        eval_episodes=10,
    )
