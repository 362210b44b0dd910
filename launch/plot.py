"""Learning curves from run directories: mean over seeds with a min–max band, one line per run dir.

    python launch/plot.py runs/iql-umaze runs/bc-umaze --metric=eval/normalized_score --out=umaze.png

Reads each directory's metrics.jsonl (every scalar the engine logged); the legend label is the
run's ``algo`` from config.json, or the directory name. Runs of a sweep are grouped by hparams.
"""

import collections
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_string("metric", "eval/normalized_score", "Logged scalar to plot.")
flags.DEFINE_string("out", "curves.png", "Image file to write.")
flags.DEFINE_string("title", None, "Figure title (default: the dataset).")
FLAGS = flags.FLAGS


def read_curves(workdir: str, metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{label: (steps (S,), values (S, seeds))} for one run directory, grouped by hparams point."""
    with open(os.path.join(workdir, "config.json")) as f:
        config = json.load(f)
    results_path = os.path.join(workdir, "results.json")
    hparams_of_run = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            hparams_of_run = {r["run"]: r["hparams"] for r in json.load(f)["runs"]}
    values = collections.defaultdict(lambda: collections.defaultdict(list))
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            if metric in row:
                point = hparams_of_run.get(row["run"], {})
                values[json.dumps(point, sort_keys=True)][row["step"]].append(row[metric])
    curves = {}
    for point, by_step in values.items():
        steps = np.array(sorted(by_step))
        label = config.get("algo", os.path.basename(workdir))
        if len(values) > 1:
            label += " " + ",".join(f"{k}={v:g}" for k, v in json.loads(point).items())
        curves[label] = (steps, np.array([by_step[s] for s in steps]))
    return curves


def main(argv):
    workdirs = argv[1:]
    if not workdirs:
        raise app.UsageError("Give one or more run directories.")
    figure, axis = plt.subplots(figsize=(8, 4))
    dataset = None
    for workdir in workdirs:
        with open(os.path.join(workdir, "config.json")) as f:
            dataset = dataset or json.load(f).get("dataset")
        for label, (steps, values) in read_curves(workdir, FLAGS.metric).items():
            line = axis.plot(steps, values.mean(1), label=f"{label} ({values.shape[1]} seeds)")[0]
            axis.fill_between(steps, values.min(1), values.max(1), alpha=0.2, color=line.get_color())
    axis.set_xlabel("update step")
    axis.set_ylabel(FLAGS.metric)
    axis.set_title(FLAGS.title or dataset)
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.tight_layout()
    figure.savefig(FLAGS.out, dpi=120)
    print(f"Wrote {FLAGS.out}")


if __name__ == "__main__":
    app.run(main)
