"""Loads a Minari dataset from local disk into an OfflineDataset (no download unless asked).

Dict observations (goal-conditioned Minari datasets such as ``D4RL/antmaze/*``) are flattened by
one documented rule: ``observation ++ desired_goal``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from jaxdiffrl.data.dataset import DatasetError, OfflineDataset
from jaxdiffrl.data.reference_scores import d4rl_reference_scores


class DatasetNotFoundError(FileNotFoundError):
    """A dataset id that is not on local disk; the message says where we looked and what to run."""


def minari_root() -> Path:
    """The folder Minari reads datasets from: $MINARI_DATASETS_PATH or ~/.minari/datasets."""
    root = os.environ.get("MINARI_DATASETS_PATH")
    return Path(root) if root else Path.home() / ".minari" / "datasets"


def minari_dataset_exists(dataset_id: str) -> bool:
    return (minari_root() / dataset_id / "data").is_dir()


def flatten_observations(observations) -> np.ndarray:
    """Dict observations → observation ++ desired_goal; arrays pass through (as float32)."""
    if isinstance(observations, dict):
        if "observation" not in observations or "desired_goal" not in observations:
            raise DatasetError(
                "Dict observations must hold 'observation' and 'desired_goal' to be flattened "
                f"(observation ++ desired_goal); found keys {sorted(observations)}."
            )
        return np.concatenate(
            [np.asarray(observations["observation"]), np.asarray(observations["desired_goal"])], axis=-1
        ).astype(np.float32)
    return np.asarray(observations, np.float32)


def load_minari(
    dataset_id: str, *, download: bool = False, missing_hint: str | None = None
) -> OfflineDataset:
    """Reads every episode of a local Minari dataset into flat transition arrays.

    Raises DatasetNotFoundError, before importing minari, when the id is not on disk and
    ``download`` is False. ``missing_hint`` is the command that makes the dataset, when we know one.
    """
    if not download and not minari_dataset_exists(dataset_id):
        hint = missing_hint or f"minari download {dataset_id}    (needs internet access)"
        raise DatasetNotFoundError(
            f"Minari dataset '{dataset_id}' was not found in {minari_root()} "
            f"(set MINARI_DATASETS_PATH to look elsewhere). Make it with:\n    {hint}"
        )
    import minari

    source = minari.load_dataset(dataset_id, download=download)
    merged = _cached_columns(dataset_id, source)
    if merged is None:
        raise DatasetError(f"Minari dataset '{dataset_id}' holds no episodes.")

    metadata = source.storage.metadata
    ref_min, ref_max = metadata.get("ref_min_score"), metadata.get("ref_max_score")
    if ref_min is None or ref_max is None:
        fallback = d4rl_reference_scores(dataset_id)
        if fallback is not None:
            logging.warning(
                "Minari dataset %s carries no reference scores; using the D4RL constants %s.",
                dataset_id,
                fallback,
            )
            ref_min, ref_max = fallback
    action_space = source.action_space
    return OfflineDataset(
        observations=merged["obs"],
        actions=merged["actions"],
        rewards=merged["rewards"],
        next_observations=merged["next_obs"],
        masks=1.0 - merged["terminals"].astype(np.float32),
        dones=merged["ends"],
        name=dataset_id,
        env_id=source.env_spec.id if source.env_spec is not None else None,
        ref_min_score=None if ref_min is None else float(ref_min),
        ref_max_score=None if ref_max is None else float(ref_max),
        action_low=np.asarray(getattr(action_space, "low", -np.inf), np.float32),
        action_high=np.asarray(getattr(action_space, "high", np.inf), np.float32),
        make_env=lambda: source.recover_environment(eval_env=True),
    )


def _episode_columns(source) -> dict[str, np.ndarray] | None:
    """Every episode's transitions, concatenated (None when there are no episodes)."""
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("obs", "next_obs", "actions", "rewards", "terminals", "ends")
    }
    for episode in source.iterate_episodes():
        observations = flatten_observations(episode.observations)
        steps = len(episode.rewards)
        columns["obs"].append(observations[:-1])
        columns["next_obs"].append(observations[1:])
        columns["actions"].append(np.asarray(episode.actions, np.float32).reshape(steps, -1))
        columns["rewards"].append(np.asarray(episode.rewards, np.float32))
        columns["terminals"].append(np.asarray(episode.terminations, bool))
        ends = np.asarray(episode.terminations, bool) | np.asarray(episode.truncations, bool)
        ends[-1] = True
        columns["ends"].append(ends)
    if not columns["rewards"]:
        return None
    return {k: np.concatenate(v) for k, v in columns.items()}


def cache_root() -> Path:
    """Flat copies of loaded datasets: ``jaxdiffrl-cache`` beside the Minari datasets folder."""
    return minari_root().parent / "jaxdiffrl-cache"


def _cached_columns(dataset_id: str, source) -> dict[str, np.ndarray] | None:
    """``_episode_columns``, kept as one .npz per dataset: reading an HDF5 Minari dataset costs about
    1 ms per episode (12 s for a 10 000-episode bandit), the cache a few ms. It is keyed by the
    size and mtime of the dataset's files, so a rewritten dataset is read afresh."""
    data_dir = minari_root() / dataset_id / "data"
    stamps = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in data_dir.glob("*") if p.is_file()
    )
    key = np.frombuffer(repr(stamps).encode(), np.uint8)
    path = cache_root() / f"{dataset_id}.npz"
    if path.exists():
        with np.load(path) as cached:
            if np.array_equal(cached["key"], key):
                return {k: cached[k] for k in cached.files if k != "key"}
    merged = _episode_columns(source)
    if merged is not None and stamps:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One temporary file per writer: two jobs that load the same dataset at once (a suite's
        # parallel jobs, pytest workers) each write their own copy and the last rename wins; a
        # shared name let one rename take the other's file away mid-write.
        handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp.npz", dir=path.parent)
        os.close(handle)
        tmp = Path(name)
        try:
            np.savez(tmp, key=key, **merged)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    return merged
