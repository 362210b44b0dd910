"""SfBC on the toy tasks (``bidirectional-car`` by default; the bandits work too): a small score
network (128-64-32), batch 1024, 4k behaviour steps, then K = 2 planning iterations of 1k Q steps
(2×64), acting by the single best of 32 candidates.
"""

from jaxdiffrl.agents.sfbc import default_config, total_steps
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bidirectional-car"):
    agent = default_config()
    agent.behaviour.widths = (128, 64, 32)
    agent.behaviour_steps = 4_000
    agent.behaviour_batch_size = 1024
    agent.behaviour_lr = 1e-3
    agent.critic_hidden_dims = (64, 64)
    agent.critic_steps = 1_000
    agent.critic_batch_size = 1024
    agent.top_k = 1
    return base_config(
        "sfbc",
        dataset,
        agent,
        default_data_config(),
        max_steps=total_steps(agent),
        batch_size=1024,
        log_interval=500,
        eval_interval=1_000,
        checkpoint_interval=1_000,
        eval_episodes=100,
    )
