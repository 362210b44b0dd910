"""TD3+BC on the toy bandits (``bandit-idql`` by default): 2×64 networks, a few thousand steps.

The bandits' state is a constant dummy, which the standardisation maps to 0.
"""

from jaxdiffrl.agents.td3_bc import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-idql"):
    agent = default_config()
    agent.actor_hidden_dims = (64, 64)
    agent.critic_hidden_dims = (64, 64)
    return base_config(
        "td3_bc",
        dataset,
        agent,
        default_data_config(normalize_observations=True),
        max_steps=5_000,
        log_interval=500,
        eval_interval=5_000,
        checkpoint_interval=5_000,
        eval_episodes=100,
    )
