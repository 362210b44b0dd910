"""CPED on the PointMaze (D4RL maze2d-style) datasets, sized for a CPU: the paper's form of the
actor-critic (dual ascent on α, clipped smoothing, standard WGAN-GP), with a flow that learns in
a CPU budget: RealNVP 4 × 256-256 without standardising the couplings' inputs (with x = [s, a] of
6 features, NICE's per-sample standardisation leaves each conditioner 1 of its 3 inputs' degrees
of freedom: a 4 000-update NLL fit reached 8.95 nats against 5.0 without it and 2.7 for RealNVP),
Adam 1e-3 with the usual β₂ 0.999, the flow stepping on every update, for 10k Flow-GAN updates;
then 10k actor-critic updates with the TD3 networks; raw sparse rewards and observations. 10k, not
more: on pointmaze-medium the scores were 37.9 / −4.9 / 61.8 after 10k actor-critic updates and
−4.0 / −2.9 / −4.0 after 30k, the critic's values climbing all along (docs/results/maze-cpu-tuning.md)."""

from jaxdiffrl.app.paper_configs import cped_agent
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "pointmaze-umaze"):
    agent = cped_agent("paper", "locomotion")
    agent.flow_gan.update(
        flow="realnvp",
        hidden_dims=(256, 256),
        standardize="hidden",
        flow_lr=1e-3,
        flow_b2=0.999,
        flow_eps=1e-8,
        discriminator_lr=1e-3,
        flow_every=1,
    )
    agent.flow_gan_steps = 10_000
    agent.actor_lr = 3e-4
    return base_config(
        "cped",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.flow_gan_steps + 10_000,
        log_interval=1_000,
        eval_interval=5_000,
        checkpoint_interval=5_000,
        eval_episodes=10,
    )
