"""IQL on the toy bandits (``bandit-idql`` by default): small networks, a few thousand steps."""

from jaxdiffrl.agents.iql import default_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-idql"):
    agent = default_config()
    agent.critic.hidden_dims = (64, 64)
    agent.actor_hidden_dims = (64, 64)
    return base_config(
        "iql",
        dataset,
        agent,
        max_steps=5_000,
        log_interval=500,
        eval_interval=5_000,
        checkpoint_interval=5_000,
        eval_episodes=100,
    )
