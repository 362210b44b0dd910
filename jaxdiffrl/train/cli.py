"""The body of every ``launch/train_<algo>.py``: flags → dataset → runs → engine → summary.

Flags beyond ``--config`` (ml_collections config file with ``--config.<key>=value`` overrides):
--seeds N (vmapped), --seed S (first seed), --workdir, --resume, --sweep NAME=V1,V2 (repeatable),
--stop_after N, --progress.
"""

import os
import sys
import time

from absl import flags

from jaxdiffrl.data.dataset import DatasetError
from jaxdiffrl.data.minari_source import DatasetNotFoundError
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.train.config import check_config
from jaxdiffrl.train.engine import train
from jaxdiffrl.train.runs import make_runs, parse_sweep

flags.DEFINE_integer("seeds", 1, "Number of seeds trained together (vmapped): seed, seed+1, ….")
flags.DEFINE_integer("seed", 0, "The first seed.")
flags.DEFINE_string("workdir", None, "Output folder (default runs/<algo>/<dataset>/<time>).")
flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint in --workdir.")
flags.DEFINE_multi_string("sweep", [], "NAME=V1,V2,…: a grid over the agent's hparams, times the seeds.")
flags.DEFINE_integer("stop_after", None, "Stop (checkpointed) after this many updates; resume later.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
FLAGS = flags.FLAGS


def default_workdir(config) -> str:
    dataset = config.dataset.replace("/", "_")
    return os.path.join("runs", config.algo, dataset, time.strftime("%Y%m%d-%H%M%S"))


def run(agent_cls, config) -> dict:
    """Trains ``agent_cls`` as the flags say; user errors exit with a short message, no traceback."""
    try:
        check_config(config)
        if FLAGS.resume and not FLAGS.workdir:
            raise ValueError("--resume needs the --workdir of the run to continue.")
        if FLAGS.seeds < 1:
            raise ValueError(f"--seeds must be at least 1, got {FLAGS.seeds}.")
        seeds = [FLAGS.seed + i for i in range(FLAGS.seeds)]
        grid = parse_sweep(FLAGS.sweep, config.agent.hparams)
        runs = make_runs(seeds, config.agent.hparams, grid)
        dataset = prepare_dataset(config)
    except (DatasetNotFoundError, DatasetError, ValueError) as error:
        sys.exit(f"error: {error}")
    workdir = FLAGS.workdir or default_workdir(config)
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "config.json"), "w") as f:
        f.write(config.to_json_best_effort(indent=2))
    print(
        f"Training {config.algo} on {dataset.name} ({dataset.size} transitions): {len(runs)} run(s) → {workdir}"
    )
    results = train(
        agent_cls,
        config,
        dataset,
        runs,
        workdir,
        resume=FLAGS.resume,
        stop_after=FLAGS.stop_after,
        progress=FLAGS.progress,
    )
    for entry in results.get("runs", []):
        point = "".join(f" {k}={entry['hparams'][k]:g}" for k in grid)
        print(
            f"seed {entry['seed']}{point}: normalized score {entry['normalized_score']:.1f} "
            f"(return {entry['return']:.2f})"
        )
    if results:
        print(
            f"updates/s {results['updates_per_s']:.0f}; wall time {results['wall_time_s']:.0f} s; "
            f"results in {os.path.join(workdir, 'results.json')}"
        )
    return results
