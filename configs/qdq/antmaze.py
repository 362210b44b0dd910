"""QDQ on AntMaze (D4RL/antmaze/*), the reference code's per-task values.

- every task: rewards r − 1, D4RL's episodes that end at the goal, β 0.9, actor 2×256 ReLU
  (antmaze-large adds LayerNorm), critic gradients clipped at 7 (large-diverse 3);
- every task but umaze-diverse: α 0.99, γ_ent 0 (medium-diverse 1), the AWR actor and the
  ``mild`` target weight 1 + 0.1 (1 − 1/H_Q) on U;
- umaze-diverse: α 0.01, γ_ent 1.5, the Gaussian actor and the ``inverse`` weight 1/H_Q on U.
Return model 800k + distillation 1.6M steps, then 1M Q-learning steps; evaluated every 100k steps
on 100 episodes.
"""

from jaxdiffrl.agents.qdq import default_config
from jaxdiffrl.app.paper_configs import task_settings
from jaxdiffrl.data.conventions import default_data_config
from jaxdiffrl.train.config import base_config

DEFAULTS = {
    "alpha": 0.99,
    "gamma_ent": 0.0,
    "actor_type": "awr",
    "weighting": "mild",
    "actor_layer_norm": False,
    "grad_clip": 7.0,
}
TASKS = {
    "umaze-diverse": {"alpha": 0.01, "gamma_ent": 1.5, "actor_type": "gaussian", "weighting": "inverse"},
    "medium-diverse": {"gamma_ent": 1.0},
    "large": {"actor_layer_norm": True},
    "large-diverse": {"actor_layer_norm": True, "grad_clip": 3.0},
}


def get_config(dataset: str = "D4RL/antmaze/umaze-v1"):
    task = task_settings(TASKS, dataset, DEFAULTS)
    agent = default_config()
    agent.hparams.update(alpha=task["alpha"], beta=0.9, gamma_ent=task["gamma_ent"])
    agent.actor_hidden_dims = (256, 256)
    agent.update({key: task[key] for key in ("actor_type", "weighting", "actor_layer_norm", "grad_clip")})
    q_steps = 1_000_000
    return base_config(
        "qdq",
        dataset,
        agent,
        default_data_config(reward_shift=-1.0, success_ends_episode=True),
        max_steps=agent.denoiser_steps + agent.consistency_steps + q_steps,
        eval_interval=100_000,
        eval_episodes=100,
        checkpoint_interval=100_000,
    )
