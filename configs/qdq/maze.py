"""QDQ on the PointMaze (D4RL maze2d-style) datasets, sized for a CPU: raw sparse rewards, the
locomotion weighting (1/H_Q on U, β elsewhere), α 0.99, β 0.9, γ_ent 1 (the log-likelihood term
is the actor's only tie to the data here; the paper's tables have no maze row).

Small networks (64 wide), an 18-point Karras grid with a fast distillation target (see
configs/qdq/toy.py), 10k + 10k return-model steps, then 30k Q-learning steps; the paper trains
800k + 1.6M + 1M. Target networks move at τ 0.02, not the paper's 0.005: the sparse reward has to
travel far back from the goal in 30k updates (on pointmaze-medium the paper's rate scored 0.2 / −5.0
/ −1.7, docs/results/maze-cpu-tuning.md).

Per maze, as the paper's tables set γ_ent per task: pointmaze-medium takes γ_ent 0.3. With sparse
rewards the critic's values start small (mean Q ≈ 6 after 10k Q-learning updates), and at γ_ent 1
the log-likelihood term held the actor at BC's level there (mean 2.3 / 2.2 / −1.8 at 30k / 40k /
50k updates); at 0.3 the means were 18.7 / 16.1 / 1.3, at 0.1 23.0 / −3.6 / −4.2
(docs/results/maze-cpu-tuning.md). The umaze keeps 1 (28.4 there).
"""

from jaxdiffrl.app.paper_configs import qdq_cpu_agent, task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

MAZES = {"pointmaze-medium": {"gamma_ent": 0.3}}


def get_config(dataset: str = "pointmaze-umaze"):
    task = task_settings(MAZES, dataset, {"gamma_ent": 1.0})
    agent = qdq_cpu_agent()
    agent.denoiser_steps = 10_000
    agent.consistency_steps = 10_000
    agent.hparams.update(alpha=0.99, beta=0.9, gamma_ent=task["gamma_ent"])
    agent.tau = 0.02
    return base_config(
        "qdq",
        dataset,
        agent,
        default_data_config(),
        max_steps=agent.denoiser_steps + agent.consistency_steps + 30_000,
        log_interval=1_000,
        eval_interval=10_000,
        checkpoint_interval=10_000,
        eval_episodes=10,
    )
