"""Diffusion-QL on the 2-D bandits (paper §5, Figure 1; settings of the reference toy script):
T = 50, 3×128 mish ε-network and critics, η 2.5, Adam 3e-4 without decay or clipping, batch 100,
1000 epochs of 100 steps. ``--config.agent.hparams.eta=0`` gives BC-Diffusion. Evaluation takes the
bandit's expected reward of the chosen action (normalised: 0 = worst mode, 100 = best mode).

Argument ``DATASET[,budget=paper|cpu]``. ``cpu`` is ours, about two and a half minutes for 3 seeds
× 2 η on the 2-core CPU: T = 10, 3×32 networks, η 1, batch 64, lr 1e-2 with cosine decay and
clipping, 8000 steps. On the 4-mode bandit it puts 86–88 % of Diffusion-QL's samples within 0.2 of
the best centre (seeds 0–2; docs/results/bandit-dql-4mode.md). Draw them with launch/plot_bandit.py.
"""

from jaxdiffrl.agents.diffusion_ql import default_config
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg

BUDGETS = ("paper", "cpu")


def get_config(arg: str = "bandit-dql-4mode"):
    dataset, options = parse_config_arg(arg, {"budget": "paper"})
    if options["budget"] not in BUDGETS:
        raise ValueError(f"Unknown budget {options['budget']!r}; choose one of {BUDGETS}.")
    paper = options["budget"] == "paper"
    agent = default_config()
    agent.diffusion.num_steps = 50 if paper else 10
    agent.diffusion.hidden_dims = agent.critic_hidden_dims = (128,) * 3 if paper else (32,) * 3
    agent.actor_lr = agent.critic_lr = 3e-4 if paper else 1e-2
    agent.lr_decay = not paper
    agent.grad_clip = 0.0 if paper else 1.0
    agent.hparams.eta = 2.5 if paper else 1.0
    max_steps, interval = (100_000, 10_000) if paper else (8_000, 2_000)
    return base_config(
        "diffusion_ql",
        dataset,
        agent,
        default_data_config(),
        max_steps=max_steps,
        batch_size=100 if paper else 64,
        log_interval=1_000,
        eval_interval=interval,
        eval_episodes=100,
        checkpoint_interval=interval,
        checkpoints_to_keep=None,
        model_selection_rank=1,
    )
