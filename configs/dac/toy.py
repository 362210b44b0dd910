"""DAC on the 2-D bandits, with the reference code's bandit settings: T = 50, 3×64 mish networks,
5 critics, lr 1e-3 for both with cosine decay, batch 128, 20k steps, η₀ = 1 with dual ascent
(λ_η = 0.01, b = 1.3), no x̂₀ clipping in the sampler, actor target averaged from step 10,
one candidate when acting."""

from jaxdiffrl.agents.dac import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config


def get_config(dataset: str = "bandit-dql-4mode"):
    agent = default_config()
    agent.diffusion.num_steps = 50
    agent.diffusion.hidden_dims = (64, 64, 64)
    agent.diffusion.clip_denoised = False
    agent.critic_hidden_dims = (64, 64, 64)
    agent.num_qs = 5
    agent.actor_lr = agent.critic_lr = 1e-3
    agent.actor_target_start = 10
    agent.num_candidates = 1
    agent.hparams.update(eta=1.0, eta_lr=0.01, bc_threshold=1.3, rho=1.0)
    return base_config(
        "dac",
        dataset,
        agent,
        default_data_config(),
        max_steps=20_000,
        batch_size=128,
        log_interval=1_000,
        eval_interval=5_000,
        eval_episodes=100,
        checkpoint_interval=5_000,
    )
