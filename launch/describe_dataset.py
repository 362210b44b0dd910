"""Summarise a dataset as the loaders see it: size, episodes, dimensions and action box, what is
wrong with the data, returns and D4RL-normalised score.

    python launch/describe_dataset.py --dataset=hopper-medium [--dataset=hopper-expert ...] [--json=out.json]

Reads local data only (a missing project dataset is reported with its make command, not made; a
misspelled name with the closest known ones). Returns are per episode; an episode cut at the
dataset's end counts as it stands. Validation lists, per field, the NaN and ±inf values and the
actions outside the action box (training refuses such data); returns and scores are over the
episodes whose return is finite.
"""

import difflib
import json
import os
import sys

import numpy as np
from absl import app, flags, logging

import jaxdiffrl.generators  # noqa: F401  (registers the generators)
from jaxdiffrl.data.dataset import TRANSITION_FIELDS, DatasetError, OfflineDataset
from jaxdiffrl.data.minari_source import DatasetNotFoundError, minari_root
from jaxdiffrl.data.registry import GENERATED, known_names, load_dataset


def local_minari_ids() -> list[str]:
    """The Minari ids on disk under $MINARI_DATASETS_PATH (folders holding ``data/``)."""
    root = minari_root()
    ids = []
    for path, dirs, _ in os.walk(root) if root.is_dir() else []:
        if "data" in dirs:
            ids.append(os.path.relpath(path, root))
            dirs.clear()
    return sorted(ids)


def unknown_name_message(name: str) -> str:
    """One line for a name that is neither a project dataset nor a local Minari id."""
    close = difflib.get_close_matches(name, known_names() + local_minari_ids(), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return (
        f"unknown dataset {name!r}: {hint}Give a project dataset (python launch/make_dataset.py --help lists "
        f"them) or the id of a Minari dataset under {minari_root()}, e.g. mujoco/hopper/medium-v0."
    )


def _transitions(n: int) -> str:
    return f"{n} transition{'s' * (n != 1)}"


def load(name: str) -> OfflineDataset:
    """The dataset, or DatasetError / DatasetNotFoundError with a one-line message."""
    if name not in GENERATED and not (minari_root() / name / "data").is_dir():
        misspelled = difflib.get_close_matches(name, local_minari_ids(), n=1, cutoff=0.6)
        if "/" not in name or misspelled:  # else: a Minari id to download, which load_dataset names
            raise DatasetError(unknown_name_message(name))
    try:
        return load_dataset(name, generate_missing=False)
    except DatasetNotFoundError as error:
        raise DatasetNotFoundError(" ".join(str(error).split())) from error
    except ValueError as error:
        raise DatasetError(" ".join(str(error).split())) from error


def validation_findings(data: OfflineDataset) -> list[str]:
    """What ``validate`` would refuse, all of it: NaN / ±inf per field, actions outside the box,
    shape mismatches."""
    findings = []
    for field in TRANSITION_FIELDS:
        values = np.asarray(getattr(data, field))
        if values.shape[0] != data.size:
            findings.append(f"{field} has {values.shape[0]} rows, rewards {data.size}")
        if field == "dones" or not np.issubdtype(values.dtype, np.floating):
            continue
        counts = {"NaN": int(np.isnan(values).sum()), "+inf": int(np.isposinf(values).sum())}
        counts["-inf"] = int(np.isneginf(values).sum())
        if any(counts.values()):
            rows = int((~np.isfinite(values.reshape(values.shape[0], -1))).any(axis=1).sum())
            listed = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
            findings.append(f"{field}: {listed} (in {_transitions(rows)})")
    if data.observations.shape != data.next_observations.shape:
        findings.append(
            f"observations {data.observations.shape} and next_observations {data.next_observations.shape}"
        )
    if data.action_low is not None and data.action_high is not None:
        with np.errstate(invalid="ignore"):
            outside = (data.actions < data.action_low - 1e-6) | (data.actions > data.action_high + 1e-6)
        if outside.any():
            findings.append(f"actions: {_transitions(int(outside.any(-1).sum()))} outside the action box")
    return findings


def _box(low, high) -> str:
    low, high = np.asarray(low, np.float64).reshape(-1), np.asarray(high, np.float64).reshape(-1)
    if low.size and np.all(low == low[0]) and np.all(high == high[0]):
        return f"[{low[0]:g}, {high[0]:g}]^{low.size}"
    return "[" + ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in zip(low, high, strict=True)) + "]"


def summarize_dataset(data: OfflineDataset) -> dict:
    """The summary of a loaded dataset (what ``describe`` prints and writes as JSON)."""
    returns = data.trajectory_returns()
    finite = returns[np.isfinite(returns)]
    actions = np.asarray(data.actions, np.float64)
    finite_actions = np.where(np.isfinite(actions), actions, np.nan)
    with np.errstate(all="ignore"):
        data_low, data_high = np.nanmin(finite_actions, axis=0), np.nanmax(finite_actions, axis=0)
    summary = {
        "dataset": data.name,
        "env_id": data.env_id,
        "transitions": int(data.size),
        "episodes": int(len(returns)),
        "terminal_transitions": int((data.masks == 0).sum()),
        "observation_dim": data.observation_dim,
        "action_dim": data.action_dim,
        "action_low": None if data.action_low is None else np.asarray(data.action_low).tolist(),
        "action_high": None if data.action_high is None else np.asarray(data.action_high).tolist(),
        "action_data_low": data_low.tolist(),
        "action_data_high": data_high.tolist(),
        "validation": validation_findings(data),
        "finite_return_episodes": int(finite.size),
        "return_mean": float(finite.mean()) if finite.size else None,
        "return_std": float(finite.std()) if finite.size else None,
        "return_min": float(finite.min()) if finite.size else None,
        "return_max": float(finite.max()) if finite.size else None,
    }
    if data.ref_min_score is not None and data.ref_max_score is not None:
        summary["reference_scores"] = [data.ref_min_score, data.ref_max_score]
        if finite.size:
            scores = data.normalized_score(finite)
            summary["normalized_score_mean"] = float(np.mean(scores))
            summary["normalized_score_std"] = float(np.std(scores))
    return summary


def describe(name: str) -> dict:
    return summarize_dataset(load(name))


def format_summary(s: dict) -> str:
    """A few lines: size and env; dimensions and action box; returns and score; validation."""
    env = f"; env {s['env_id']}" if s.get("env_id") else ""
    lines = [
        f"{s['dataset']}: {s['transitions']} transitions, {s['episodes']} episodes "
        f"({s['terminal_transitions']} terminal){env}"
    ]
    box = _box(s["action_low"], s["action_high"]) if s["action_low"] is not None else "no box recorded"
    lines.append(
        f"  observations {s['observation_dim']}-D; actions {s['action_dim']}-D in {box} "
        f"(data spans {_box(s['action_data_low'], s['action_data_high'])})"
    )
    if s["return_mean"] is None:
        lines.append("  returns: none finite (every episode has a NaN or inf reward)")
    else:
        left_out = s["episodes"] - s["finite_return_episodes"]
        over = f" over {s['finite_return_episodes']} episodes with a finite return" if left_out else ""
        text = (
            f"  return {s['return_mean']:.1f} ± {s['return_std']:.1f} "
            f"[{s['return_min']:.1f}, {s['return_max']:.1f}]{over}"
        )
        if "normalized_score_mean" in s:
            low, high = s["reference_scores"]
            text += (
                f"; normalised {s['normalized_score_mean']:.1f} ± {s['normalized_score_std']:.1f} "
                f"(reference returns {low:g} → 0, {high:g} → 100)"
            )
        else:
            text += "; no reference scores, so no normalised score"
        lines.append(text)
    findings = s["validation"]
    lines.append(
        "  validation: " + ("ok" if not findings else "; ".join(findings) + " — training refuses this data")
    )
    return "\n".join(lines)


def main(_):
    logging.set_verbosity(logging.WARNING)
    summaries, failed = [], False
    for name in FLAGS.dataset:
        try:
            summaries.append(describe(name))
        except (DatasetError, DatasetNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            failed = True
            continue
        print(format_summary(summaries[-1]))
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(summaries, f, indent=2)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    flags.DEFINE_multi_string("dataset", ["pointmaze-umaze"], "Project dataset names or Minari ids.")
    flags.DEFINE_string("json", None, "Also write the summaries to this JSON file.")
    FLAGS = flags.FLAGS
    app.run(main)
