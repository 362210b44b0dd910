"""QDQ on the toy bandits (``bandit-idql`` by default): one-step episodes, so each window is one
transition and Q_T its reward. Small networks and a few thousand steps per phase; the Karras grid
has 18 points and the distillation target moves faster (τ 0.05 every update), since QDQ's N = 1000
with τ 0.005 every 5th update propagates consistency far too slowly for a budget this small.
"""

from jaxdiffrl.app.paper_configs import qdq_cpu_agent
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-idql"):
    agent = qdq_cpu_agent()
    agent.denoiser_steps = 2_000
    agent.consistency_steps = 2_000
    agent.hparams.update(alpha=0.99, beta=0.9, gamma_ent=0.0)
    return base_config(
        "qdq",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.denoiser_steps + agent.consistency_steps + 4_000,
        log_interval=500,
        eval_interval=4_000,
        checkpoint_interval=4_000,
        eval_episodes=100,
    )
