"""The papers' hyperparameter tables that several config files share, and their builders.

Config files (``configs/<algo>/<domain>.py``) hold each method's own numbers; what two or more of
them share lives here: IDQL's Appendix E tables (also ACD's critic and ACD-F's N), the full run
configs of the IDQL and ACD paper domains, and the per-task lookup the Diffusion-QL and DAC tables
use.

Per-task tables: a table maps task keys in D4RL spelling (``hopper-medium-replay``,
``umaze-diverse``, ``pen-human``) to settings. A dataset name — a D4RL name or a Minari id such
as ``mujoco/hopper/medium-replay-v0`` or ``D4RL/antmaze/umaze-diverse-v1`` — selects the longest
key it contains, reading '/' and '_' as '-'; a name no key matches gets the defaults alone.
"""

from collections.abc import Mapping

import ml_collections

from jaxdiffrl.agents import acd, idql, qdq
from jaxdiffrl.agents.value_losses import LEVEL_KEYS, VALUE_LOSSES
from jaxdiffrl.data.conventions import iql_data_config
from jaxdiffrl.train.config import base_config, parse_config_arg
from jaxdiffrl.train.online import default_online_config

IDQL_SETTINGS = ("A", "1")
# IDQL Appendix E. The level of each value loss (τ, or α for the exponential)…
IDQL_CRITIC_LEVELS = {
    "locomotion": {"expectile": 0.7, "quantile": 0.6, "exponential": 1.0},
    "antmaze": {"expectile": 0.9, "quantile": 0.8, "exponential": 0.5},
}
# …and the samples per state N and the total critic + actor steps of the "-A" (any tuning) and
# "-1" (one hyperparameter per domain) settings: critic 1.5M + actor 3M, or 1M + 2M.
IDQL_NUM_CANDIDATES = {"A": {"locomotion": 128, "antmaze": 32}, "1": {"locomotion": 64, "antmaze": 64}}
IDQL_TOTAL_STEPS = {"A": 4_500_000, "1": 3_000_000}
# Per paper domain: the default setting ("-A" where IDQL reports it, else "-1"), eval cadence.
IDQL_RUNS = {
    "locomotion": {"setting": "A", "eval_interval": 250_000, "eval_episodes": 10},
    "antmaze": {"setting": "A", "eval_interval": 500_000, "eval_episodes": 100},
    "kitchen": {"setting": "1", "eval_interval": 250_000, "eval_episodes": 10},
    "adroit": {"setting": "1", "eval_interval": 250_000, "eval_episodes": 10},
}


def task_settings(table: Mapping[str, Mapping], dataset: str, defaults: Mapping) -> dict:
    """``defaults`` updated with the row of the longest table key found in ``dataset``."""
    name = dataset.lower().replace("/", "-").replace("_", "-")
    matches = [key for key in table if key in name]
    row = table[max(matches, key=len)] if matches else {}
    return {**defaults, **row}


def _critic_table(domain: str) -> dict:
    """IDQL tunes locomotion and antmaze only; every other domain takes the locomotion values."""
    return IDQL_CRITIC_LEVELS[domain if domain in IDQL_CRITIC_LEVELS else "locomotion"]


def idql_agent(domain: str, setting: str = "A", value_loss: str = "expectile") -> ml_collections.ConfigDict:
    """IDQL's agent block for ``domain`` in setting "A" or "1" with the given critic loss; every
    loss's level is the paper's for the domain, so switching ``critic.value_loss`` keeps it."""
    if setting not in IDQL_SETTINGS:
        raise ValueError(f"Unknown IDQL setting {setting!r}; choose 'A' (any tuning) or '1' (one hparam).")
    if value_loss not in VALUE_LOSSES:
        raise ValueError(f"Unknown value loss {value_loss!r}; choose one of {VALUE_LOSSES}.")
    config = idql.default_config()
    config.critic.value_loss = value_loss
    for loss, level in _critic_table(domain).items():
        config.hparams[LEVEL_KEYS[loss]] = level
    table = domain if domain in IDQL_CRITIC_LEVELS else "locomotion"
    config.num_candidates = IDQL_NUM_CANDIDATES[setting][table]
    return config


def idql_run(domain: str, arg: str) -> ml_collections.ConfigDict:
    """The full IDQL run config of a paper domain from ``DATASET[,setting=A|1][,loss=…]``."""
    run = IDQL_RUNS[domain]
    dataset, options = parse_config_arg(arg, {"setting": run["setting"], "loss": "expectile"})
    return base_config(
        "idql",
        dataset,
        idql_agent(domain, options["setting"], options["loss"]),
        iql_data_config(domain),
        max_steps=IDQL_TOTAL_STEPS[options["setting"]],
        log_interval=5_000,
        eval_interval=run["eval_interval"],
        checkpoint_interval=250_000,
        eval_episodes=run["eval_episodes"],
        online=default_online_config(),
    )


def acd_agent(domain: str, variant: str = "acd") -> ml_collections.ConfigDict:
    """ACD's agent block for ``domain``: IQL's expectile (0.7 locomotion-like, 0.9 antmaze), every
    value-loss level from IDQL's table, and for ACD-F IDQL's N ("ACD-F adopts N from IDQL")."""
    config = acd.default_config(variant)
    table = "antmaze" if domain == "antmaze" else "locomotion"
    for loss, level in IDQL_CRITIC_LEVELS[table].items():
        config.hparams[LEVEL_KEYS[loss]] = level
    if variant == "acd-f":
        config.num_candidates = IDQL_NUM_CANDIDATES["A"][table]
    return config


def acd_run(domain: str, arg: str) -> ml_collections.ConfigDict:
    """The full run config of a paper domain from ``DATASET[,variant=acd|acd-f|acg]``: IQL's 1M
    steps (the paper gives none), antmaze evaluated on 100 episodes."""
    dataset, options = parse_config_arg(arg, {"variant": "acd"})
    antmaze = domain == "antmaze"
    return base_config(
        options["variant"],
        dataset,
        acd_agent(domain, options["variant"]),
        iql_data_config(domain),
        max_steps=1_000_000,
        log_interval=5_000,
        eval_interval=200_000 if antmaze else 100_000,
        checkpoint_interval=100_000,
        eval_episodes=100 if antmaze else 10,
    )


def qdq_cpu_agent(width: int = 64) -> ml_collections.ConfigDict:
    """The CPU-sized network and distillation settings the toy and maze configs share."""
    agent = qdq.default_config()
    agent.return_model.hidden_dims = (width,) * 3
    agent.return_model.group_norm = 16
    agent.critic_hidden_dims = (width,) * 2
    agent.actor_hidden_dims = (width,) * 2
    agent.num_scales = 18
    agent.consistency_tau = 0.05
    agent.consistency_ema_every = 1
    return agent


CPED_SETTINGS = ("paper", "code")


def cped_agent(setting: str, domain: str) -> ml_collections.ConfigDict:
    """CPED's agent block for ``domain`` ('locomotion' | 'antmaze') in ``setting``:

    - ``paper`` (default): α by dual ascent, the smoothed target action clipped to the box, the
      standard WGAN-GP penalty, the paper's NICE (standardisation before every layer), the critic
      and the actor's Q term from the first actor-critic update;
    - ``code``: the reference code's choices — its α schedule for the domain, the unclipped smoothed
      action, its gradient penalty (0.5, u ~ N(0, 1)), no standardisation in the couplings (what its
      normalisation computes), the critic from P + 30k and the Q term from P + 50k.
    Both: P = 500k Flow-GAN updates (antmaze 300k), actor lr 1e-4 (antmaze 3e-4).
    """
    from jaxdiffrl.agents import cped

    if setting not in CPED_SETTINGS:
        raise ValueError(f"Unknown CPED setting {setting!r}; choose one of {CPED_SETTINGS}.")
    agent = cped.default_config()
    if domain == "antmaze":
        agent.flow_gan_steps = 300_000
        agent.actor_lr = 3e-4
    if setting == "code":
        agent.alpha_mode = f"{domain}_schedule"
        agent.clip_target_action = False
        agent.flow_gan.gradient_penalty = "code"
        agent.flow_gan.standardize = "none"
        agent.critic_delay = 30_000
        agent.q_delay = 50_000
    return agent
