"""CPED on the 2-D bandits (``bandit-dql-4mode`` by default), sized for a CPU test.

Departures from the locomotion settings, each because of the toy: the flow models the action alone
(``density_features='action'``: the bandit's state is a constant dummy, which would make p(s, a)
degenerate, and p(a | s) = p(a) for the one state); RealNVP with 2 × 64 conditioners (NICE's
additive couplings fit the four σ = 0.05 modes poorly at this budget); Adam with its usual
β₂ = 0.999 and lr 1e-3 for the flow and critic, the flow stepping on every update; 2 × 64 actor and
critics; 4 000 Flow-GAN updates, then 3 000 actor-critic updates.
"""

from jaxdiffrl.agents.cped import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-dql-4mode"):
    agent = default_config()
    agent.density_features = "action"
    agent.flow_gan.update(
        flow="realnvp",
        hidden_dims=(64, 64),
        standardize="hidden",
        flow_lr=1e-3,
        flow_b2=0.999,
        flow_eps=1e-8,
        discriminator_lr=1e-3,
        flow_every=1,
    )
    agent.flow_gan_steps = 4_000
    agent.actor_hidden_dims = agent.critic_hidden_dims = (64, 64)
    agent.actor_lr = agent.critic_lr = 1e-3
    return base_config(
        "cped",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.flow_gan_steps + 3_000,
        batch_size=256,
        log_interval=500,
        eval_interval=1_000,
        checkpoint_interval=3_500,
        eval_episodes=100,
    )
