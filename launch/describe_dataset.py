"""Summarise a dataset as the loaders see it: size, episodes, returns and D4RL-normalised score.

    python launch/describe_dataset.py --dataset=hopper-medium [--dataset=hopper-expert ...] [--json=out.json]

Reads local data only (a missing project dataset is reported with its make command, not made).
Returns are per episode; an episode cut at the dataset's end counts as it stands.
"""

import json

import numpy as np
from absl import app, flags, logging

import jaxdiffrl.generators  # noqa: F401  (registers the generators)
from jaxdiffrl.data.dataset import DatasetError
from jaxdiffrl.data.registry import load_dataset

flags.DEFINE_multi_string("dataset", ["pointmaze-umaze"], "Project dataset names or Minari ids.")
flags.DEFINE_string("json", None, "Also write the summaries to this JSON file.")
FLAGS = flags.FLAGS


def describe(name: str) -> dict:
    data = load_dataset(name, generate_missing=False)
    returns = data.trajectory_returns()
    summary = {
        "dataset": name,
        "transitions": int(data.size),
        "episodes": int(len(returns)),
        "terminal_transitions": int((data.masks == 0).sum()),
        "return_mean": float(returns.mean()),
        "return_std": float(returns.std()),
        "return_min": float(returns.min()),
        "return_max": float(returns.max()),
    }
    try:
        summary["normalized_score_mean"] = float(np.mean(data.normalized_score(returns)))
        summary["reference_scores"] = [data.ref_min_score, data.ref_max_score]
    except DatasetError:
        pass
    return summary


def main(_):
    logging.set_verbosity(logging.WARNING)
    summaries = [describe(name) for name in FLAGS.dataset]
    for s in summaries:
        score = f", normalised {s['normalized_score_mean']:.1f}" if "normalized_score_mean" in s else ""
        print(
            f"{s['dataset']}: {s['transitions']} transitions, {s['episodes']} episodes "
            f"({s['terminal_transitions']} terminal), return {s['return_mean']:.1f} ± {s['return_std']:.1f} "
            f"[{s['return_min']:.1f}, {s['return_max']:.1f}]{score}"
        )
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(summaries, f, indent=2)


if __name__ == "__main__":
    app.run(main)
