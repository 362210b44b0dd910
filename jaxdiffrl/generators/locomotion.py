"""D4RL-style MuJoCo locomotion levels, written as Minari datasets.

- ``random``: uniform actions; ``medium`` / ``expert``: the SAC behaviour policies of
  ``behaviour.py``, acting stochastically; ``medium-replay``: the medium run's episodes up to its
  stopping point; ``medium-expert``: medium episodes then expert episodes, half the transitions each.

Episodes last up to 1 000 steps; terminations (falls) and truncations (time limit, or a cut at the
requested size) are kept apart. Normalised scores use D4RL's reference returns for the env family,
so they compare with published numbers; the returns this project's own random and expert policies
reach are recorded next to them in the metadata.
"""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import jax
import numpy as np

from jaxdiffrl.data.minari_writer import write_minari_dataset
from jaxdiffrl.data.reference_scores import D4RL_REFERENCE_SCORES
from jaxdiffrl.generators.behaviour import (
    behaviour_dir,
    has_policy,
    load_episodes,
    load_policy,
    load_record,
    train_behaviour,
)
from jaxdiffrl.generators.recipes import LEVELS, LOCOMOTION
from jaxdiffrl.generators.rollouts import collect, trim

_LEVEL_CODE = {level: i for i, level in enumerate(LEVELS)}


def _policy_actor(agent, seed: int):
    """observations (n, obs_dim) → stochastic actions, one jitted call per vector step."""
    sample = jax.jit(lambda a, obs, key: a.sample_actions(obs, key))
    key = jax.random.PRNGKey(seed)

    def act(observations: np.ndarray) -> np.ndarray:
        nonlocal key
        key, sub = jax.random.split(key)
        return np.asarray(sample(agent, observations, sub))

    return act


def _rollouts(recipe, level: str, transitions: int, seed: int, progress: bool, part: int = 0):
    """Episodes of the random, medium or expert policy; seeds differ per (seed, level, part)."""
    collect_seed = int(np.random.SeedSequence([seed, _LEVEL_CODE[level], part]).generate_state(1)[0] % 2**30)
    make_env = lambda: gym.make(recipe.env_id)  # noqa: E731
    if level == "random":
        rng = np.random.default_rng(collect_seed)
        space = gym.make(recipe.env_id).action_space

        def act(observations: np.ndarray) -> np.ndarray:
            return rng.uniform(space.low, space.high, (len(observations), *space.shape)).astype(np.float32)

    else:
        act = _policy_actor(load_policy(recipe, seed, level), collect_seed)
    return collect(make_env, act, transitions, seed=collect_seed, progress=progress, description=level)


def generate_locomotion(
    dataset_id: str,
    *,
    env: str,
    level: str,
    transitions: int | None = None,
    seed: int = 0,
    progress: bool = True,
    recipe_overrides: dict | None = None,
) -> str:
    """Writes ``level`` of ``env`` (a key of LOCOMOTION) as Minari dataset ``dataset_id``.

    ``transitions`` None: 1M (2M for medium-expert; the whole buffer for medium-replay). The SAC
    behaviour run is trained first when its policies are not on disk yet.
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}.")
    recipe = LOCOMOTION[env].with_overrides(recipe_overrides)
    needs = {"medium": "medium", "medium-replay": "medium", "expert": "expert", "medium-expert": "expert"}
    if level in needs and not has_policy(recipe, seed, needs[level]):
        print(f"Training the SAC behaviour policies for {recipe.env_id} (seed {seed}) first.")
        train_behaviour(recipe, seed, until=needs[level], progress=progress)

    if level == "medium-replay":
        episodes = load_episodes(behaviour_dir(recipe, seed) / "medium_replay.npz")
        if transitions is not None:
            episodes = trim(episodes, transitions)
    elif level == "medium-expert":
        total = 2_000_000 if transitions is None else transitions
        episodes = _rollouts(recipe, "medium", total // 2, seed, progress, part=1)
        episodes += _rollouts(recipe, "expert", total - total // 2, seed, progress, part=1)
    else:
        episodes = _rollouts(recipe, level, 1_000_000 if transitions is None else transitions, seed, progress)

    ref_min, ref_max = D4RL_REFERENCE_SCORES[env]
    record = load_record(recipe, seed) if level != "random" else None
    returns = [float(e["rewards"].sum()) for e in episodes]
    metadata = {
        "generator": "locomotion",
        "config": {
            "env": env,
            "level": level,
            "transitions": transitions,
            "recipe": dataclasses.asdict(recipe),
        },
        "seed": seed,
        "behaviour": None if record is None else {k: record[k] for k in ("medium", "expert", "wall_seconds")},
        "reference_scores": "D4RL (random, expert) returns of the env family",
        "episode_return_mean": float(np.mean(returns)),
    }
    return write_minari_dataset(
        dataset_id,
        episodes,
        recipe.env_id,
        ref_min_score=ref_min,
        ref_max_score=ref_max,
        algorithm_name=f"{level} (SAC behaviour)" if level != "random" else "uniform random",
        metadata=metadata,
    )
