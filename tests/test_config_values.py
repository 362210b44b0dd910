"""Every config resolves to the values it had before the vocabulary renames (docs/conventions.md).

``data/config_snapshot.json`` holds each config file's flattened values (default argument and a
few options) as they were before the renames; each must come back under its new name. The only
keys allowed to appear or vanish are the value-loss levels a config does not use (every IQL-style
config now carries the expectile, quantile and exponential levels, and uses the one its
``critic.value_loss`` names).

The correctness fixes that followed the renames (docs/algorithms.md) add the keys in ``ADDED`` and
move the values in ``expected_change``, as does the tuning of the CPU maze configs for the
``maze-cpu`` suite (``MAZE_TUNING``, docs/results/maze-cpu-tuning.md); nothing else may move.
"""

import json
import os

import pytest

from jaxdiffrl.app.cli import CONFIGS_DIR, load_config
from jaxdiffrl.app.cli import _explain_flag_error as explain

SNAPSHOT = json.load(open(os.path.join(os.path.dirname(__file__), "data", "config_snapshot.json")))
RENAMED = {
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
# Options the correctness fixes added: IDQL / ACD's slow actor copy and IDQL's sampler form, D4RL's
# antmaze episodes, IDQL's fine-tuning batches; the optional loggers beside TensorBoard (issue 16);
# what a diverging run does (issue 15).
ADDED = {
    "agent.act_with",
    "agent.implicit_weights",
    "agent.actor_tau",
    "agent.diffusion.clip_iterate",
    "agent.critic.exponential_weight_cap",
    "data.success_ends_episode",
    "data.normalize_observations",
    "logging.wandb",
    "logging.wandb_project",
    "logging.wandb_mode",
    "on_divergence",
    "online.actor_batch_size",
    "online.sampling",
    "online.warmup_steps",
}


# (method, key) → value in that method's configs/<method>/maze.py, from the maze-cpu tuning (issue 16).
MAZE_TUNING = {
    ("iql", "agent.hparams.expectile"): 0.9,
    ("acd", "agent.hparams.expectile"): 0.9,
    ("idql", "agent.hparams.expectile"): 0.9,
    ("idql", "agent.critic_fraction"): 0.75,
    ("idql", "max_steps"): 40_000,
    ("idql", "eval_interval"): 10_000,
    ("idql", "checkpoint_interval"): 10_000,
}


def expected_change(spec: str, key: str, old):
    """The value a correctness fix gave ``key`` of config ``spec`` (``old`` if none did)."""
    method = spec.split("/")[0]
    if method == "diffusion_ql" and key == "agent.max_q_order":
        return "min_of_max"  # CQL's and the reference code's order
    if method == "diffusion_ql" and key == "agent.lr_decay" and not spec.startswith("diffusion_ql/toy.py"):
        return False  # the paper's fixed rate (the toy file sets its own)
    if method in ("idql", "acd") and key == "agent.diffusion.clip_denoised":
        return False  # IDQL's reference sampler clips the iterate instead
    if spec.startswith("bc/antmaze.py") and key == "eval_episodes":
        return 100  # antmaze is evaluated on 100 episodes everywhere
    if spec.startswith(f"{method}/maze.py") and (method, key) in MAZE_TUNING:
        return MAZE_TUNING[method, key]
    return old


LEVELS = {"expectile": "agent.hparams.expectile", "quantile": "agent.hparams.quantile"}
LEVELS["exponential"] = "agent.hparams.alpha_exp"


def flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def renamed(old: dict) -> tuple[dict, set[str]]:
    """The old values under their new names, and the new keys a config may add without using."""
    loss = old.get("agent.critic.value_loss")
    values, unused = {}, set()
    for key, value in old.items():
        if key == "agent.hparams.tau":  # the level of the expectile or quantile loss
            key = LEVELS["quantile"] if loss == "quantile" else LEVELS["expectile"]
            if loss == "exponential":
                continue
        elif key == "agent.hparams.alpha" and loss is not None and loss != "exponential":
            continue
        values[RENAMED.get(key, key)] = value
    if loss is not None:
        unused = {level for name, level in LEVELS.items() if name != loss}
    return values, unused


@pytest.mark.parametrize("spec", sorted(SNAPSHOT))
def test_config_values_survive_the_renames(spec):
    new = flatten(json.loads(load_config(os.path.join(CONFIGS_DIR, spec)).to_json_best_effort()))
    old, unused = renamed(SNAPSHOT[spec])
    for key in unused | ADDED:
        new.pop(key, None)
    missing = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    assert not missing and not added, f"{spec}: lost {missing}, gained {added}"
    differing = {k: (old[k], new[k]) for k in old if expected_change(spec, k, old[k]) != new[k]}
    assert not differing, f"{spec}: values moved {differing}"


@pytest.mark.parametrize("old_key", ["agent.hparams.tau", "agent.critic.num_q", "agent.policy"])
def test_an_old_key_names_its_new_one(old_key):
    config = os.path.join(CONFIGS_DIR, "bc/toy.py" if old_key == "agent.policy" else "iql/toy.py")
    argv = ["train.py", f"--config={config}", f"--config.{old_key}=1"]
    message = explain(argv, KeyError(old_key), config)
    assert (
        message.startswith(f"config key {old_key!r} was renamed: use ")
        and RENAMED.get(old_key, "expectile").split(".")[-1] in message
    ), message


def test_qdq_maze_sets_gamma_ent_per_maze():
    """pointmaze-medium's γ_ent 0.3 (docs/results/maze-cpu-tuning.md); every other maze keeps 1."""
    spec = os.path.join(CONFIGS_DIR, "qdq", "maze.py")
    gammas = {
        name: load_config(f"{spec}:{name}").agent.hparams.gamma_ent
        for name in ("pointmaze-umaze", "pointmaze-medium")
    }
    assert gammas == {"pointmaze-umaze": 1.0, "pointmaze-medium": 0.3}
    assert load_config(spec).agent.hparams.gamma_ent == 1.0  # the default dataset, the umaze
