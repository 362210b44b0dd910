"""SAC behaviour policies for the locomotion datasets, trained once and kept on disk.

One SAC run per (env, seed) gives every policy-made level, D4RL's way:
- ``medium``: the policy at the first evaluation whose (stochastic-policy) return reaches
  ``medium_return`` (about a third of D4RL's expert return; a recipe value, written into the
  metadata), and ``medium_replay``: every episode of that run up to that evaluation;
- ``expert``: the best-evaluated policy of the whole run of ``expert_steps`` env steps.

Files under ``behaviour_root()/<env>-seed<seed>/``: ``medium.msgpack`` and ``expert.msgpack``
(flax-serialised agents), ``medium_replay.npz``, ``behaviour.json`` (recipe, evaluations, wall
time) and TensorBoard events. Training stops at the medium policy when only it is needed; a later
expert request trains the full run from scratch, which reproduces the same medium policy.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import flax.serialization
import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.agents.sac import SACAgent
from jaxdiffrl.agents.sac import default_config as sac_config
from jaxdiffrl.data.minari_source import minari_root
from jaxdiffrl.generators.recipes import LocomotionRecipe
from jaxdiffrl.train.online_training import OnlineRun, default_online_training_config, learn_online


def behaviour_root() -> Path:
    """$JAXDIFFRL_POLICIES_PATH, or ``jaxdiffrl-policies`` beside the Minari datasets folder."""
    root = os.environ.get("JAXDIFFRL_POLICIES_PATH")
    return Path(root) if root else minari_root().parent / "jaxdiffrl-policies"


def behaviour_dir(recipe: LocomotionRecipe, seed: int) -> Path:
    return behaviour_root() / f"{recipe.name}-seed{seed}{recipe.tag}"


def _agent_config(recipe: LocomotionRecipe):
    config = sac_config()
    config.hidden_dims = recipe.hidden_dims
    return config


def _new_agent(recipe: LocomotionRecipe, seed: int) -> SACAgent:
    env = gym.make(recipe.env_id)
    observation = jnp.zeros((1, *env.observation_space.shape))
    action = jnp.zeros((1, *env.action_space.shape))
    env.close()
    return SACAgent.create(jax.random.PRNGKey(seed), observation, action, _agent_config(recipe))


def _save_agent(path: Path, agent: SACAgent) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(flax.serialization.to_bytes(agent))
    tmp.replace(path)  # never a half-written policy


def load_policy(recipe: LocomotionRecipe, seed: int, level: str) -> SACAgent:
    """The saved ``medium`` or ``expert`` agent of (recipe, seed)."""
    path = behaviour_dir(recipe, seed) / f"{level}.msgpack"
    return flax.serialization.from_bytes(_new_agent(recipe, seed), path.read_bytes())


def load_record(recipe: LocomotionRecipe, seed: int) -> dict | None:
    path = behaviour_dir(recipe, seed) / "behaviour.json"
    return json.loads(path.read_text()) if path.exists() else None


def has_policy(recipe: LocomotionRecipe, seed: int, level: str) -> bool:
    record = load_record(recipe, seed)
    if record is None or record.get("medium") is None:
        return False
    return level == "medium" or record.get("finished", False)


def save_episodes(path: Path, episodes: list[dict[str, np.ndarray]]) -> None:
    lengths = np.array([len(e["rewards"]) for e in episodes])
    arrays = {k: np.concatenate([e[k] for e in episodes]) for k in episodes[0]}
    np.savez(path, lengths=lengths, **arrays)


def load_episodes(path: Path) -> list[dict[str, np.ndarray]]:
    with np.load(path) as data:
        lengths, arrays = data["lengths"], {k: data[k] for k in data.files if k != "lengths"}
    episodes, start = [], 0
    for i, length in enumerate(lengths):
        episode = {k: v[start : start + length] for k, v in arrays.items() if k != "observations"}
        # Observations hold T + 1 rows per episode.
        episode["observations"] = arrays["observations"][start + i : start + i + length + 1]
        episodes.append(episode)
        start += length
    return episodes


def train_behaviour(
    recipe: LocomotionRecipe, seed: int, *, until: str = "expert", progress: bool = True
) -> dict:
    """Runs SAC by ``recipe`` and saves its policies; ``until="medium"`` stops at the medium policy.
    Returns the record written to behaviour.json."""
    folder = behaviour_dir(recipe, seed)
    folder.mkdir(parents=True, exist_ok=True)
    config = default_online_training_config(
        steps=recipe.expert_steps, eval_interval=recipe.eval_interval, start_steps=recipe.start_steps
    )
    record = {
        "env_id": recipe.env_id,
        "seed": seed,
        "recipe": dataclasses.asdict(recipe),
        "sac": _agent_config(recipe).to_dict(),
        "training": config.to_dict(),
        "medium": None,
        "expert": None,
        "finished": False,
    }
    start = time.time()
    best = -np.inf

    def write_record() -> None:
        record["wall_seconds"] = time.time() - start
        (folder / "behaviour.json").write_text(json.dumps(record, indent=2))

    def on_evaluation(run: OnlineRun) -> bool:
        nonlocal best
        score = float(run.returns.mean())
        record["evaluations"] = run.history
        if record["medium"] is None and score >= recipe.medium_return:
            _save_agent(folder / "medium.msgpack", run.agent)
            save_episodes(folder / "medium_replay.npz", run.recorder.episodes())
            run.stop_recording()
            record["medium"] = {"env_steps": run.env_steps, "eval_return": score}
        if score > best:
            best = score
            _save_agent(folder / "expert.msgpack", run.agent)
            record["expert"] = {"env_steps": run.env_steps, "eval_return": score}
        write_record()
        return until == "medium" and record["medium"] is not None

    agent = _new_agent(recipe, seed)
    make_env = lambda: gym.make(recipe.env_id)  # noqa: E731
    learn_online(
        agent,
        make_env,
        config,
        seed=seed,
        workdir=str(folder),
        record_episodes=True,
        on_evaluation=on_evaluation,
        progress=progress,
        description=f"SAC {recipe.env_id} (seed {seed})",
    )
    if record["medium"] is None:
        raise RuntimeError(
            f"SAC on {recipe.env_id} never reached the medium return {recipe.medium_return} in "
            f"{recipe.expert_steps} env steps (best evaluation {best:.0f}); see {folder}/tb."
        )
    record["finished"] = until == "expert"
    write_record()
    return record
