"""The body of every ``launch/train_<algo>.py``: flags → dataset → runs → engine → summary.

Flags beyond ``--config`` (ml_collections config file with ``--config.<key>=value`` overrides):
--seeds N (vmapped), --seed S (first seed), --workdir, --resume, --sweep NAME=V1,V2 (repeatable),
--stop_after N, --progress, --verbose, --runs_per_program K; multi-process jobs:
--coordinator_address, --num_processes, --process_id (or none of them under SLURM).
``--resume --workdir=DIR`` alone continues a run as it started (``jaxdiffrl.app.workdir``).
"""

import contextlib
import importlib.util
import logging as std_logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import ml_collections
from absl import app, flags, logging
from ml_collections import config_flags

import jaxdiffrl.app  # noqa: F401  (fills the agent and dataset-generator registries)
from jaxdiffrl import jax_compat
from jaxdiffrl.app.workdir import IDENTITY, check_new_workdir, fault_line, make_identity, resolve_resume
from jaxdiffrl.data.dataset import DatasetError
from jaxdiffrl.data.minari_source import DatasetNotFoundError
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.train import distributed as dist
from jaxdiffrl.train.config import check_config, renamed_key_message
from jaxdiffrl.train.engine import TrainingDiverged, is_finished, read_results, train
from jaxdiffrl.train.files import WorkdirBusy, WorkdirLock, atomic_write, write_json
from jaxdiffrl.train.logging import WANDB_MISSING, wandb_enabled
from jaxdiffrl.train.preflight import check_agent, check_spaces, warn_large_values
from jaxdiffrl.train.runs import make_runs, parse_sweep, point_label

flags.DEFINE_integer("seeds", 1, "Number of seeds trained together (vmapped): seed, seed+1, ….")
flags.DEFINE_integer("seed", 0, "The first seed.")
flags.DEFINE_string("workdir", None, "Output folder (default runs/<algo>/<dataset>/<time>).")
flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint in --workdir.")
flags.DEFINE_multi_string("sweep", [], "NAME=V1,V2,…: a grid over the agent's hparams, times the seeds.")
flags.DEFINE_integer("stop_after", None, "Stop (checkpointed) after this many updates; resume later.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_bool("verbose", False, "Show the traceback of a disk or permission fault, not one line.")
flags.DEFINE_integer(
    "runs_per_program", None, "Train the runs as ceil(R/K) vmapped programs of K runs one after another."
)
flags.DEFINE_string("coordinator_address", None, "host:port of process 0 of a multi-process job.")
flags.DEFINE_integer("num_processes", None, "Processes (hosts) of a multi-process job.")
flags.DEFINE_integer("process_id", None, "This process's index in [0, --num_processes).")
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
        jax_compat.unroll_cpu_threefry()  # the same random bits, faster on CPU; a no-op elsewhere
        try:
            dist.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
        except ValueError as error:
            sys.exit(f"error: {error}")
        job: dict = {}
        with faults_in_one_line(job):
            results = run(agent_cls, config_flag.value, job)
            if then is not None and results:
                try:
                    then(job.get("config", config_flag.value), results)
                except TrainingDiverged as error:  # online fine-tuning: the offline results stand
                    sys.exit(f"error: {error}")

    app.run(main, flags_parser=_parse_flags)


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with bad ``--config.<key>`` overrides reported as one line, not a traceback;
    a config asking for a logger that is not installed is refused here, before anything runs.

    ``--help`` (also ``-h``, ``-?``, ``--helpshort``) prints :func:`usage`: the script's flags, then
    every key of the chosen config (after the other flags' overrides) with its value; absl's
    ``--helpfull`` is left as it is."""
    wants_help = any(arg in HELP_ARGS for arg in argv[1:])
    argv = [argv[0], *(arg for arg in argv[1:] if arg not in HELP_ARGS)]
    try:
        remaining = FLAGS(argv)
    except Exception as error:  # config_flags reports bad overrides as several exception types
        sys.exit(f"error: {_explain_flag_error(argv, error, _default_config)}")
    config = FLAGS["config"].value if "config" in FLAGS else None
    try:  # config_flags defers a config file's load error to the first use of the config
        wandb_on = config is not None and wandb_enabled(config)
    except OSError as error:
        spec = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), _default_config)
        path = spec.partition(":")[0]
        reason = f"no such file {path}" if not os.path.exists(path) else str(error).strip().splitlines()[-1]
        sys.exit(f"error: --config={spec}: {reason} (config files are configs/<algo>/<domain>.py).")
    if wants_help:
        print(usage())
        sys.exit(0)
    if wandb_on and importlib.util.find_spec("wandb") is None:
        sys.exit(f"error: {WANDB_MISSING}")
    return remaining


HELP_ARGS = ("--help", "-h", "-?", "--helpshort")
_COMMENT_SKIP = ("noqa", "type:", "pragma", "fmt:")


def usage() -> str:
    """``--help`` of a launch script: its docstring, the project's flags (the launch script's and
    this module's, not absl's own), then :func:`config_help` of the ``--config`` as parsed."""
    main = sys.modules.get("__main__")
    lines = [(main.__doc__ or "").strip() if main else "", "", "Flags:"]
    by_module = FLAGS.flags_by_module_dict()
    main_name = sys.argv[0] if sys.argv else ""
    ours = [name for name in by_module if name == main_name or name.endswith(".py")] + [__name__]
    seen: set[str] = set()
    for module in ours:
        for flag in sorted(by_module.get(module, []), key=lambda f: f.name):
            if flag.name in seen:
                continue
            seen.add(flag.name)
            default = flag.default_as_str.strip("'") if flag.default_as_str else flag.default_as_str
            default = _relative(default) if flag.name == "config" else default
            lines.append(f"  --{flag.name}: {flag.help} (default: {default})")
    lines.append("  --helpfull: every flag, absl's own (logging, debugging) included")
    if "config" in FLAGS and FLAGS["config"].value is not None:
        spec = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--config=")), _default_config)
        lines += ["", config_help(FLAGS["config"].value, config_comments(spec.partition(":")[0]), spec)]
    return "\n".join(lines)


def _relative(path: str) -> str:
    path = path.strip("'\"")
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else relative


def config_help(
    config: ml_collections.ConfigDict,
    comments: Sequence[tuple[str, str, str]] = (),
    spec: str | None = None,
) -> str:
    """Every key of ``config`` with its current value, grouped by block (top-level keys first, then
    each nested block), with the one-line meaning that ``comments`` (see :func:`config_comments`)
    gives the key."""
    groups: dict[str, list[tuple[str, Any]]] = {}

    def walk(node: ml_collections.ConfigDict, prefix: str) -> None:
        groups.setdefault(prefix, [])
        for key in node.keys():
            value = node[key]
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, ml_collections.ConfigDict):
                walk(value, path)
            else:
                groups[prefix].append((path, value))

    walk(config, "")
    blocks_of: dict[str, set[str]] = {}
    for group, entries in groups.items():
        for path, _ in entries:
            blocks_of.setdefault(path.rsplit(".", 1)[-1], set()).add(group.rsplit(".", 1)[-1])
    title = f"Config keys of {_relative(spec)}" if spec else "Config keys"
    lines = [f"{title} (override any with --config.<key>=value):"]
    for group, entries in groups.items():
        name = group or "run"
        if group.endswith("hparams"):
            name += " (per-run hyperparameters: --sweep=NAME=V1,V2,… makes a grid of them)"
        lines.append(f"  {name}:")
        if not entries:
            lines.append("    (none)")
        width = max((len(f"{path} = {_show(value)}") for path, value in entries), default=0) + 2
        for path, value in entries:
            text = f"{path} = {_show(value)}"
            meaning = _meaning(path, comments, blocks_of)
            lines.append(f"    {text:<{width}}# {meaning}" if meaning else f"    {text}")
    return "\n".join(lines)


def _meaning(path: str, comments: Sequence[tuple[str, str, str]], blocks_of: dict[str, set[str]]):
    """The comment for ``path``: one on its full dotted path, else one on its last name — where
    that name also names keys of other blocks, only from a function that builds the key's block
    (``online.actor_lr`` ← ``default_online_config``, ``agent.schedule`` ← an agent's
    ``default_config``)."""
    exact = [text for key, _, text in comments if key == path]
    if exact:
        return exact[0]
    name = path.rsplit(".", 1)[-1]
    block = path.rsplit(".", 2)[-2] if "." in path else ""
    candidates = [(scope, text) for key, scope, text in comments if key == name]
    if len(blocks_of.get(name, ())) <= 1:
        return candidates[0][1] if candidates else None
    blocks = {b for names in blocks_of.values() for b in names if b}
    for scope, text in candidates:
        if _block_of_scope(scope, blocks) == block:
            return text
    return None


def _block_of_scope(scope: str, blocks: set[str]) -> str | None:
    """The block a config-building function builds: the longest block name in its name
    (``default_online_config`` → online), an agent's ``default_config`` / ``*_agent`` → agent,
    ``base_config`` → the top level; None when unknown."""
    named = [block for block in blocks if block in scope]
    if named:
        return max(named, key=len)
    if scope == "default_config" or scope.endswith("_agent"):
        return "agent"
    return "" if scope == "base_config" else None


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "(" + ",".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def config_comments(config_path: str) -> list[tuple[str, str, str]]:
    """(key, function, trailing comment) along the calls that build the config: the whole config
    file (function ""), then each jaxdiffrl function it imports and calls (``default_config``,
    ``base_config``, …) and the functions those call, nearer first. Read from
    ``"key": value,  # meaning``, ``key=value,  # meaning`` and ``a.b.key = value  # meaning``
    lines; keys are last names, and dotted paths for dotted assignments."""
    import ast
    import io
    import re
    import tokenize

    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    modules: dict[str, tuple] = {}

    def parsed(path: str):
        if path not in modules:
            try:
                with open(path) as f:
                    source = f.read()
                tree = ast.parse(source)
                tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)]
            except (OSError, SyntaxError, tokenize.TokenError):
                modules[path] = None
                return None
            functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
            imported, module_aliases = {}, {}  # name → (file, function); alias → module file
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jaxdiffrl"):
                    base = os.path.join(repo_root, *node.module.split("."))
                    for alias in node.names:
                        if os.path.exists(os.path.join(base, alias.name + ".py")):  # a module
                            module_aliases[alias.asname or alias.name] = os.path.join(
                                base, alias.name + ".py"
                            )
                        else:
                            imported[alias.asname or alias.name] = (base + ".py", alias.name)
            comments = [t for t in tokens if t.type == tokenize.COMMENT]
            modules[path] = (source.splitlines(), functions, imported, module_aliases, comments)
        return modules[path]

    found: list[tuple[str, str, str]] = []

    def read_comments(path: str, first: int, last: int, scope: str) -> None:
        lines, _, _, _, comments = modules[path]
        for token in comments:
            row, col = token.start
            if not first <= row <= last:
                continue
            code, text = lines[row - 1][:col], token.string.lstrip("#").strip()
            if not code.strip() or not text or text.startswith(_COMMENT_SKIP):
                continue
            key = re.search(r"[\"'](\w+)[\"']\s*:", code)
            keys = [key.group(1)] if key else []
            assigned = None if key else re.search(r"([A-Za-z_][\w.]*)\s*=(?!=)", code)
            if assigned:
                dotted = assigned.group(1).removeprefix("config.")
                keys = [dotted, dotted.rsplit(".", 1)[-1]] if "." in dotted else [dotted]
            found.extend((name, scope, text) for name in keys)

    config_path = os.path.abspath(config_path)
    module = parsed(config_path)
    if module is None:
        return found
    read_comments(config_path, 1, len(module[0]), "")
    queue = [(config_path, node) for node in module[1].values()]
    visited: set[tuple[str, str]] = set()
    while queue:
        path, function = queue.pop(0)
        if (path, function.name) in visited:
            continue
        visited.add((path, function.name))
        read_comments(path, function.lineno, function.end_lineno, function.name)
        _, functions, imported, module_aliases, _ = modules[path]
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            target, name = None, None
            if isinstance(node.func, ast.Name) and node.func.id in functions:
                queue.append((path, functions[node.func.id]))
            elif isinstance(node.func, ast.Name) and node.func.id in imported:
                target, name = imported[node.func.id]
            elif (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in module_aliases
            ):
                target, name = module_aliases[node.func.value.id], node.func.attr
            other = parsed(target) if target else None
            if other is not None and name in other[1]:
                queue.append((target, other[1][name]))
    return found


def _explain_flag_error(argv: list[str], error: Exception, default_config: str) -> str:
    """Names the first override whose key is not in the config, with the valid keys at that level."""
    config_arg = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
    try:
        config = load_config(config_arg or default_config)
    except Exception as config_error:  # the config file itself refuses (e.g. variant=acdf): its one line
        return f"--config={config_arg or default_config}: {type(config_error).__name__}: {config_error}"
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


def check_processes(config, num_runs: int) -> None:
    """What a multi-process job cannot do, refused before it starts: runs that do not split evenly
    over the processes, online fine-tuning after training (a single-process loop)."""
    count = dist.process_count()
    if count == 1:
        return
    if num_runs % count:
        raise ValueError(
            f"a job of {count} processes needs a number of runs (seeds × sweep points) that is a multiple "
            f"of {count}; it has {num_runs}. Change --seeds or the sweep."
        )
    if FLAGS.runs_per_program is not None and FLAGS.runs_per_program % count:
        raise ValueError(f"--runs_per_program must be a multiple of the job's {count} processes.")
    online = config.get("online", None)
    if online is not None and online.get("enabled", False):
        raise ValueError(
            "online fine-tuning after training runs in a single process: leave --config.online.enabled "
            "off in a multi-process job, or run the whole job (training and fine-tuning) in one process."
        )


def check_algo(agent_cls, config) -> None:
    """The config file is one for this launch script's agent (``config.algo`` names one of the
    algorithms the agent class trains)."""
    from jaxdiffrl.agents import AGENTS

    algos = sorted(algo for algo, cls in AGENTS.items() if cls is agent_cls)
    if algos and config.algo not in algos:
        raise ValueError(
            f"the config is for algo {config.algo!r}, but this script trains {agent_cls.__name__} "
            f"({', '.join(algos)}): use the config files of configs/{algos[0].split('-')[0]}/ "
            f"or launch/train_{config.algo.split('-')[0]}.py."
        )


def _resolve(config) -> tuple[ml_collections.ConfigDict, str, list[int], dict]:
    """(config, workdir, seeds, sweep grid): from the flags, or, with --resume, as the run started."""
    if FLAGS.resume and not FLAGS.workdir:
        raise ValueError("--resume needs the --workdir of the run to continue.")
    if FLAGS.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {FLAGS.seeds}.")
    if FLAGS.runs_per_program is not None and FLAGS.runs_per_program < 1:
        raise ValueError(f"--runs_per_program must be at least 1, got {FLAGS.runs_per_program}.")
    check_config(config)
    if not FLAGS.resume:
        seeds = [FLAGS.seed + i for i in range(FLAGS.seeds)]
        grid = parse_sweep(FLAGS.sweep, config.agent.hparams)
        workdir = FLAGS.workdir or default_workdir(config)
        check_new_workdir(workdir)
        return config, workdir, seeds, grid
    flag = FLAGS["config"]
    config, seeds, grid = resolve_resume(
        FLAGS.workdir, config, spec=flag.config_filename, spec_given=bool(flag.present),
        overrides=flag.override_values, flag_values={"seed": FLAGS.seed, "seeds": FLAGS.seeds},
        given=[name for name in ("seed", "seeds", "sweep") if FLAGS[name].present],
        load_config=load_config, parse_grid=lambda c: parse_sweep(FLAGS.sweep, c.agent.hparams),
    )  # fmt: skip
    check_config(config)
    return config, FLAGS.workdir, seeds, grid


def run(agent_cls, config, job: dict | None = None) -> dict:
    """Trains ``agent_cls`` as the flags say; user errors exit with a short message, no traceback.

    Everything is checked — the config, the dataset against its env, the agent's options, the
    run directory (``--resume``: the saved identity) — before anything is written. ``job`` (if
    given) receives the config and workdir actually used."""
    job = {} if job is None else job
    lock = None
    try:
        config, workdir, seeds, grid = _resolve(config)
        job.update(config=config, workdir=workdir)
        if FLAGS.resume:
            if is_finished(read_results(workdir), config.max_steps):
                dist.say(f"{workdir} holds a finished run ({config.max_steps} steps): nothing changed.")
                return {}
            if not os.path.isdir(os.path.join(workdir, "checkpoints")):
                folder = os.path.join(workdir, "checkpoints")
                raise ValueError(f"{folder}: no such folder; the run has nothing to resume from.")
            if dist.is_main():  # one process of a job holds the run directory
                lock = WorkdirLock(workdir)
                lock.acquire()
        check_algo(agent_cls, config)
        check_processes(config, len(make_runs(seeds, config.agent.hparams, grid)))
        runs = make_runs(seeds, config.agent.hparams, grid)
        if not dist.is_main():  # process 0 makes a missing dataset; the others then read it
            dist.barrier("jaxdiffrl-dataset")
        dataset = prepare_dataset(config)
        if dist.is_main():
            dist.barrier("jaxdiffrl-dataset")
        check_spaces(dataset)
        check_agent(agent_cls, config, dataset, runs[0].hparams)
    except (DatasetNotFoundError, DatasetError, ValueError, WorkdirBusy) as error:
        if lock is not None:
            lock.release()
        sys.exit(f"error: {error}")
    dist.barrier("jaxdiffrl-checked")  # every process checked the run directory before it is made
    try:
        if not FLAGS.resume and dist.is_main():
            os.makedirs(workdir, exist_ok=True)
            lock = WorkdirLock(workdir)
            try:
                lock.acquire()
            except WorkdirBusy as error:
                sys.exit(f"error: {error}")
            atomic_write(os.path.join(workdir, "config.json"), config.to_json_best_effort(indent=2) + "\n")
            spec = FLAGS["config"].config_filename
            write_json(os.path.join(workdir, IDENTITY), make_identity(spec, seeds, grid, runs))
            os.makedirs(os.path.join(workdir, "checkpoints"), exist_ok=True)
        dist.barrier("jaxdiffrl-workdir-ready")
        processes = f" on {dist.process_count()} processes" if dist.process_count() > 1 else ""
        dist.say(
            f"Training {config.algo} on {dataset.name} ({dataset.size} transitions), {len(runs)} run(s)"
            + processes
        )
        dist.say(f"Run directory: {workdir}")
        if dist.is_main():
            warn_large_values(dataset)
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
                runs_per_program=FLAGS.runs_per_program,
            )
        except TrainingDiverged as error:
            sys.exit(f"error: {error}")
    finally:
        if lock is not None:
            lock.release()
    for entry in results.get("runs", []):
        point = point_label(entry["hparams"], list(grid))
        if entry.get("status", "finished") != "finished":
            record = entry.get("diverged") or {}
            print(
                f"seed {entry['seed']}{point}: {entry['status']} between steps "
                f"{'–'.join(map(str, record.get('between_steps', [])))} ({record.get('metric')} = "
                f"{record.get('value')}); no score"
            )
            continue
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
        if results.get("diverged_runs"):
            sys.exit(
                f"error: {results['diverged_runs']} of {len(results['runs'])} run(s) diverged (frozen at "
                "their last finite state, no score; results.json marks them); the others finished. Nothing "
                "runs after training (fine-tuning, reports) for a job with diverged runs."
            )
        results["workdir"] = workdir
    return results


@contextlib.contextmanager
def faults_in_one_line(job: dict):
    """A full or read-only disk, or a permission error: ``error: <path>: <cause>`` and exit 1
    (the traceback with --verbose). Orbax's own error logs of such a fault (one traceback per
    background thread) are dropped unless --verbose."""

    class OrbaxFaults(std_logging.Filter):
        def filter(self, record: std_logging.LogRecord) -> bool:
            error = record.exc_info[1] if record.exc_info else None
            if FLAGS.verbose or error is None or "orbax" not in record.pathname:
                return True
            return fault_line(error) is None

    handler = logging.get_absl_handler()
    handler.addFilter(fault_filter := OrbaxFaults())
    try:
        yield
    except Exception as error:
        line = fault_line(error, job.get("workdir"))
        if line is None or FLAGS.verbose:
            raise
        sys.exit(f"error: {line}")
    finally:
        handler.removeFilter(fault_filter)
