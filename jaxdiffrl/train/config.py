"""The top-level config every method and domain shares; per-method blocks live under ``agent``.

Top-level keys: algo, dataset, max_steps, batch_size, log_interval, eval_interval, eval_episodes,
checkpoint_interval, checkpoints_to_keep, on_divergence (what a run turning NaN or inf does), logging
(optional loggers beside TensorBoard), data (D4RL conventions), agent (the method's own).
"""

import ml_collections

from jaxdiffrl.data.conventions import default_data_config


def default_logging_config() -> ml_collections.ConfigDict:
    """Loggers beside TensorBoard and metrics.jsonl (which always run)."""
    return ml_collections.ConfigDict(
        {
            "wandb": False,  # also log every scalar to Weights & Biases (pip install -e ".[wandb]")
            "wandb_project": "jaxdiffrl",  # W&B project; the entity comes from WANDB_ENTITY or the login
            "wandb_mode": "offline",  # offline (no network; wandb sync later) | online | disabled
        }
    )


def base_config(
    algo: str,
    dataset: str,
    agent: ml_collections.ConfigDict,
    data: ml_collections.ConfigDict | None = None,
    **overrides,
) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {
            "algo": algo,
            "dataset": dataset,  # a project dataset name or a local Minari id
            "max_steps": 1_000_000,  # updates, summed over the agent's phases
            "batch_size": 256,  # transitions per update (a phase may set its own)
            "log_interval": 1_000,  # updates per scanned chunk; infos are the chunk's means
            "eval_interval": 50_000,  # updates between evaluations (a multiple of log_interval)
            "eval_episodes": 10,  # episodes per run and evaluation
            "checkpoint_interval": 50_000,  # updates between checkpoints (a multiple of log_interval)
            "checkpoints_to_keep": 2,  # None keeps every checkpoint
            "on_divergence": "stop",  # a run turning NaN/inf: "stop" the job, or "continue" the others
            "logging": default_logging_config(),
            "data": data if data is not None else default_data_config(),
            "agent": agent,
        }
    )
    config.update(overrides)
    return config


def check_config(config: ml_collections.ConfigDict) -> None:
    """Raises ValueError for intervals and options the engine cannot honour."""
    for name in (
        "max_steps",
        "batch_size",
        "log_interval",
        "eval_interval",
        "eval_episodes",
        "checkpoint_interval",
    ):
        if config[name] <= 0:
            raise ValueError(f"config.{name} must be positive, got {config[name]}.")
    keep = config.get("checkpoints_to_keep", 2)
    if keep is not None and keep < 1:
        raise ValueError(
            f"config.checkpoints_to_keep must be at least 1, got {keep} (a resume needs a checkpoint)."
        )
    if config.get("on_divergence", "stop") not in ("stop", "continue"):
        raise ValueError(f"config.on_divergence must be 'stop' or 'continue', got {config.on_divergence!r}.")
    for name in ("eval_interval", "checkpoint_interval"):
        if config[name] % config.log_interval:
            raise ValueError(
                f"config.{name}={config[name]} must be a multiple of config.log_interval="
                f"{config.log_interval} (evaluation and checkpoints happen between scanned chunks)."
            )


# Config keys renamed when the agents took one vocabulary (docs/conventions.md): old → new.
RENAMED_KEYS = {
    "agent.hparams.tau": "agent.hparams.expectile (or agent.hparams.quantile for the quantile loss); "
    "tau now always names an EMA rate",
    "agent.hparams.alpha": "agent.hparams.alpha_exp",
    "agent.critic.num_q": "agent.critic.num_qs",
    "agent.critic.target_update_rate": "agent.critic.tau",
    "agent.num_critics": "agent.num_qs",
    "agent.actor_cosine_decay": "agent.lr_decay",
    "agent.cosine_decay": "agent.lr_decay",
    "agent.lr": "agent.actor_lr",
    "agent.hidden_dims": "agent.actor_hidden_dims",
    "agent.dropout": "agent.actor_dropout",
    "agent.policy": "agent.actor_type",
    "agent.num_samples": "agent.num_candidates",
    "agent.filter_samples": "agent.num_candidates",
    "agent.eval_candidates": "agent.num_candidates",
    "agent.eval_selection": "agent.selection",
}


def renamed_key_message(key: str) -> str | None:
    """``key`` (e.g. ``agent.hparams.tau``) is an old name: the one line that names its new key."""
    new = RENAMED_KEYS.get(key)
    if new is None:
        return None
    return f"config key {key!r} was renamed: use {new}."


def parse_config_arg(arg: str, allowed: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Splits a config-file argument ``DATASET[,key=value…]`` into the dataset and its options.

    ``allowed`` maps each option to its default; e.g. ``mujoco/hopper/medium-v0,setting=1``.
    """
    dataset, *pairs = arg.split(",")
    options = dict(allowed)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in allowed:
            raise ValueError(f"Bad config option {pair!r}; expected KEY=VALUE with KEY in {sorted(allowed)}.")
        options[key] = value
    return dataset, options
