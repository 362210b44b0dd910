"""The body of every ``launch/train_<algo>.py``: flags → dataset → runs → engine → summary.

Flags beyond ``--config`` (ml_collections config file with ``--config.<key>=value`` overrides):
--seeds N (vmapped), --seed S (first seed), --workdir, --resume, --sweep NAME=V1,V2 (repeatable),
--stop_after N, --progress.
"""

import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import ml_collections
from absl import app, flags, logging
from ml_collections import config_flags

import jaxdiffrl.app  # noqa: F401  (fills the agent and dataset-generator registries)
from jaxdiffrl.data.dataset import DatasetError
from jaxdiffrl.data.minari_source import DatasetNotFoundError
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.train.config import check_config, renamed_key_message
from jaxdiffrl.train.engine import TrainingDiverged, train
from jaxdiffrl.train.runs import make_runs, parse_sweep, point_label

flags.DEFINE_integer("seeds", 1, "Number of seeds trained together (vmapped): seed, seed+1, ….")
flags.DEFINE_integer("seed", 0, "The first seed.")
flags.DEFINE_string("workdir", None, "Output folder (default runs/<algo>/<dataset>/<time>).")
flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint in --workdir.")
flags.DEFINE_multi_string("sweep", [], "NAME=V1,V2,…: a grid over the agent's hparams, times the seeds.")
flags.DEFINE_integer("stop_after", None, "Stop (checkpointed) after this many updates; resume later.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
FLAGS = flags.FLAGS


CONFIGS_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "configs"))
_default_config = ""  # the launch script's default --config, for error messages


def define_config(default: str):
    """Defines ``--config``; ``default`` is relative to configs/, e.g. ``iql/maze.py:pointmaze-umaze``."""
    global _default_config
    default = _default_config = os.path.join(CONFIGS_DIR, default)
    try:  # config_flags applies --config.<key> overrides from sys.argv already here
        return config_flags.DEFINE_config_file("config", default, "Config file[:dataset].", lock_config=True)
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        sys.exit(f"error: {_explain_flag_error(sys.argv, error, default)}")


def launch(agent_cls, config_flag, then: Callable[[Any, dict], None] | None = None) -> None:
    """``app.run`` of ``run(agent_cls, config)``: the whole body of a launch script.

    ``then(config, results)`` runs after a completed training job (results hold ``workdir``):
    online fine-tuning, model-selection reports.
    """

    def main(_):
        logging.set_verbosity(logging.WARNING)  # orbax logs every checkpoint step at INFO
        results = run(agent_cls, config_flag.value)
        if then is not None and results:
            then(config_flag.value, results)

    app.run(main, flags_parser=_parse_flags)


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with bad ``--config.<key>`` overrides reported as one line, not a traceback."""
    try:
        return FLAGS(argv)
    except Exception as error:  # config_flags reports bad overrides as several exception types
        sys.exit(f"error: {_explain_flag_error(argv, error, _default_config)}")


def _explain_flag_error(argv: list[str], error: Exception, default_config: str) -> str:
    """Names the first override whose key is not in the config, with the valid keys at that level."""
    config_arg = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
    try:
        config = load_config(config_arg or default_config)
    except Exception:
        return str(error)
    for arg in argv:
        if not arg.startswith("--config.") or "=" not in arg:
            continue
        path = arg[len("--config.") :].split("=", 1)[0].split(".")
        renamed = renamed_key_message(".".join(path))
        if renamed and not _has_key(config, path):
            return renamed
        node = config
        for depth, key in enumerate(path):
            if not isinstance(node, ml_collections.ConfigDict) or key not in node:
                parent = ".".join(["config", *path[:depth]])
                valid = (
                    ", ".join(sorted(node.keys())) if isinstance(node, ml_collections.ConfigDict) else "none"
                )
                return f"unknown config key {'.'.join(path)!r}: {parent} has no {key!r}; valid keys: {valid}."
            node = node[key]
    return f"{type(error).__name__}: {error}"


def _has_key(config: ml_collections.ConfigDict, path: list[str]) -> bool:
    node = config
    for key in path:
        if not isinstance(node, ml_collections.ConfigDict) or key not in node:
            return False
        node = node[key]
    return True


def load_config(spec: str) -> ml_collections.ConfigDict:
    """Loads ``path/to/config.py[:arg]`` the way ``--config`` does."""
    path, _, arg = spec.partition(":")
    module_spec = importlib.util.spec_from_file_location("jaxdiffrl_config", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.get_config(arg) if arg else module.get_config()


def default_workdir(config) -> str:
    dataset = config.dataset.replace("/", "_")
    return os.path.join("runs", config.algo, dataset, time.strftime("%Y%m%d-%H%M%S"))


def check_workdir(workdir: str, config, resume: bool) -> None:
    """Never overwrites a run: a used workdir needs --resume, and --resume needs the same config."""
    saved_path = os.path.join(workdir, "config.json")
    if not resume:
        if os.path.exists(saved_path) or os.path.isdir(os.path.join(workdir, "checkpoints")):
            raise ValueError(
                f"{workdir} already holds a run; continue it with --resume or choose another --workdir."
            )
        return
    if not os.path.exists(saved_path):
        raise ValueError(f"--resume: {workdir} holds no run (no config.json) to continue.")
    with open(saved_path) as f:
        saved = _flatten(json.load(f))
    current = _flatten(json.loads(config.to_json_best_effort()))
    differing = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
    if differing:
        shown = "; ".join(f"{k}: run has {saved.get(k)!r}, now {current.get(k)!r}" for k in differing[:5])
        raise ValueError(
            f"--resume needs the config the run started with ({saved_path}); differs in {shown}."
        )


def _flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


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
        workdir = FLAGS.workdir or default_workdir(config)
        check_workdir(workdir, config, FLAGS.resume)
        dataset = prepare_dataset(config)
    except (DatasetNotFoundError, DatasetError, ValueError) as error:
        sys.exit(f"error: {error}")
    os.makedirs(workdir, exist_ok=True)
    if not FLAGS.resume:
        with open(os.path.join(workdir, "config.json"), "w") as f:
            f.write(config.to_json_best_effort(indent=2))
    print(f"Training {config.algo} on {dataset.name} ({dataset.size} transitions), {len(runs)} run(s)")
    print(f"Run directory: {workdir}")
    try:
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
    except TrainingDiverged as error:
        sys.exit(f"error: {error}")
    for entry in results.get("runs", []):
        point = point_label(entry["hparams"], list(grid))
        print(
            f"seed {entry['seed']}{point}: normalized score {entry['normalized_score']:.1f} "
            f"(return {entry['return']:.2f})"
        )
    if results:
        speed = results["updates_per_s"]
        print(
            f"updates/s {f'{speed:.0f}' if speed else 'n/a (every chunk compiled)'}; "
            f"wall time {results['wall_time_s']:.0f} s; results in {os.path.join(workdir, 'results.json')}"
        )
        results["workdir"] = workdir
    return results
