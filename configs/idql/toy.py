"""IDQL on the toy bandits (``bandit-idql``, ``bandit-dql-4mode``, ``bandit-dql-corners``); CPU-sized.

T = 50 diffusion steps (IDQL found T = 50 best for its 2-D toy data, T = 5 for D4RL) and a small
LN-ResNet; one-step episodes, so evaluation is cheap (100 episodes).
Argument ``DATASET[,loss=expectile|quantile|exponential]`` (expectile τ 0.7, quantile τ 0.6,
exponential α 1.0).
"""

from jaxdiffrl.app.paper_configs import idql_agent
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.online import default_online_config


def get_config(arg: str = "bandit-idql"):
    dataset, options = parse_config_arg(arg, {"loss": "expectile"})
    agent = idql_agent("toy", "1", options["loss"])
    agent.critic.hidden_dims = (64, 64)
    agent.diffusion.update(resnet_width=64, num_steps=50)
    agent.actor_batch_size = 256
    agent.num_candidates = 32
    return base_config(
        "idql",
        dataset,
        agent,
        iql_data_config("toy"),
        max_steps=6_000,
        log_interval=500,
        eval_interval=3_000,
        checkpoint_interval=3_000,
        eval_episodes=100,
        online=default_online_config(steps=1_000, log_interval=100, eval_interval=500),
    )
