"""Write episodes produced by jaxdiffrl's generators as a Minari dataset.

Every generator (mazes, locomotion, car, bandits) hands its episodes to
``write_minari_dataset``, so all embedded datasets share one on-disk layout:

* ``dataset.storage.metadata["ref_min_score"]`` / ``["ref_max_score"]``: the
  reference returns used for normalised scores (Minari's own fields).
* ``dataset.storage.metadata["jaxdiffrl"]``: the generator's ``metadata`` dict
  (e.g. ``generator``, ``config``, ``seed``). Minari keeps extra keys of its
  ``metadata.json`` as they are; nesting under one key cannot clash with
  Minari's own. ``description`` repeats the dict as JSON for humans.
* ``eval_env_spec``: stored explicitly (the data env's spec by default), so
  ``dataset.recover_environment(eval_env=True)`` always rebuilds the eval env.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import gymnasium
import numpy as np
from gymnasium.envs.registration import EnvSpec
from minari import create_dataset_from_buffers
from minari.data_collector import EpisodeBuffer

_EPISODE_KEYS = ("observations", "actions", "rewards", "terminations", "truncations")


def _to_buffer(index: int, episode: dict[str, np.ndarray]) -> EpisodeBuffer:
    """Check one episode's shapes and wrap it in a Minari ``EpisodeBuffer``."""
    missing = set(_EPISODE_KEYS) - episode.keys()
    if missing:
        raise ValueError(f"Episode {index} lacks {sorted(missing)}.")
    observations, actions, rewards, terminations, truncations = (
        np.asarray(episode[key]) for key in _EPISODE_KEYS
    )
    steps = len(rewards)
    lengths = (len(observations) - 1, len(actions), len(terminations), len(truncations))
    if steps == 0 or any(length != steps for length in lengths):
        raise ValueError(
            f"Episode {index}: need T+1 observations and T actions/rewards/flags with T > 0, "
            f"got {len(observations)} observations and T = {steps}."
        )
    return EpisodeBuffer(
        id=index,
        observations=observations,
        actions=actions,
        rewards=rewards,
        terminations=terminations.astype(bool),
        truncations=truncations.astype(bool),
    )


def write_minari_dataset(
    dataset_id: str,
    episodes: list[dict[str, np.ndarray]],
    env_spec_or_env: gymnasium.Env | EnvSpec | str,
    *,
    ref_min_score: float,
    ref_max_score: float,
    algorithm_name: str,
    metadata: dict[str, Any],
    eval_env_spec: EnvSpec | str | None = None,
) -> str:
    """Create Minari dataset ``dataset_id`` (under ``$MINARI_DATASETS_PATH``) from episodes.

    Args:
        dataset_id: Minari id, e.g. ``"jaxdiffrl/pointmaze-umaze-v0"``; must not exist yet.
        episodes: dicts with ``observations`` (T+1, obs_dim), ``actions`` (T, act_dim),
            ``rewards``, ``terminations``, ``truncations`` (T,).
        env_spec_or_env: the (registered) env the data comes from, or its spec / id.
        ref_min_score: mean return of a random policy on the evaluation task.
        ref_max_score: mean return of an expert policy on the evaluation task.
        algorithm_name: name of the data-collecting policy.
        metadata: JSON-serialisable generator info (name, config, seed, ...),
            stored as ``dataset.storage.metadata["jaxdiffrl"]``.
        eval_env_spec: evaluation env; defaults to the data env.

    Returns:
        The dataset's directory (the one holding ``data/``).
    """
    if isinstance(env_spec_or_env, gymnasium.Env):
        env_spec = env_spec_or_env.spec
    elif isinstance(env_spec_or_env, str):
        env_spec = gymnasium.spec(env_spec_or_env)
    else:
        env_spec = env_spec_or_env
    buffers = [_to_buffer(i, episode) for i, episode in enumerate(episodes)]
    # Also fails early, before anything is written, if metadata is not JSON.
    description = f"{algorithm_name}; jaxdiffrl generator metadata: " + json.dumps(metadata, sort_keys=True)
    with warnings.catch_warnings():
        # jaxdiffrl's embedded datasets have no author e-mail or permalink.
        warnings.filterwarnings("ignore", r"`(author_email|code_permalink)` is set to None")
        dataset = create_dataset_from_buffers(
            dataset_id,
            buffers,
            env=env_spec_or_env,
            eval_env=eval_env_spec if eval_env_spec is not None else env_spec,
            algorithm_name=algorithm_name,
            author="jaxdiffrl",
            ref_min_score=float(ref_min_score),
            ref_max_score=float(ref_max_score),
            description=description,
        )
    dataset.storage.update_metadata({"jaxdiffrl": metadata})
    return str(dataset.storage.data_path.parent)
