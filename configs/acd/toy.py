"""ACD / ACD-F / ACG on the toy bandits (``bandit-idql``, ``bandit-dql-4mode``, ``bandit-dql-corners``).

CPU-sized: small networks, T = 50 (IDQL's choice for toy data), 6k steps. Argument
``DATASET[,variant=acd|acd-f|acg]``. The critic's expectile is 0.99, so that V ≈ max Q and the best
mode's advantage is ≈ 0: the bandit's advantages take three values only, and A = 0 must not fall in
a gap between them (with τ = 0.7 the best mode's advantage is about 0.3). No dropout: guidance
(ω = 3) amplifies the ε-model's errors, and with dropout 0.1 only ~60% of the guided samples land
on the best mode after 6k steps (~90% without).
"""

from jaxdiffrl.app.paper_configs import acd_agent
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg


def get_config(arg: str = "bandit-idql"):
    dataset, options = parse_config_arg(arg, {"variant": "acd"})
    agent = acd_agent("toy", options["variant"])
    agent.hparams.expectile = 0.99
    agent.critic.hidden_dims = (64, 64)
    agent.diffusion.update(resnet_width=64, num_steps=50, dropout_rate=0.0)
    agent.gaussian.hidden_dims = (64, 64)
    agent.actor_batch_size = 256
    return base_config(
        options["variant"],
        dataset,
        agent,
        iql_data_config("toy"),
        max_steps=6_000,
        log_interval=500,
        eval_interval=3_000,
        checkpoint_interval=3_000,
        eval_episodes=100,
    )
