"""Run monitoring: one TensorBoard writer per run, a JSONL of every scalar, console summaries.

Tags are ``<group>/<name>``: agents' update infos arrive grouped already (``critic/loss``,
``actor/bc_loss``, …; see ``jaxdiffrl.agents.infos``), and the loops add their own groups below,
so TensorBoard shows one section per network and one per kind of evaluation.

With ``config.logging.wandb`` every scalar also goes to Weights & Biases (one W&B run per run,
grouped per algorithm, dataset and sweep point), beside TensorBoard and the JSONL, never instead.
"""

import hashlib
import importlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from tensorboardX import SummaryWriter

from jaxdiffrl.train.files import atomic_write, dumps
from jaxdiffrl.train.runs import Run, swept_keys

WANDB_MISSING = (
    'config.logging.wandb=True needs the wandb package: pip install -e ".[wandb]" '
    "(or pip install wandb), or leave config.logging.wandb off."
)

EVAL = "eval"  # offline evaluations: return, normalized_score
ONLINE = "online"  # online fine-tuning: online/<agent info>, online/eval/…, online/rollout/…
ROLLOUT = "rollout"  # episodes of the acting policy while it trains online


class MetricsLogger:
    """Writes ``{step, run, seed, <name>: value}`` rows and per-run TensorBoard scalars.

    On resume from ``start_step``, rows and events logged after it by the interrupted job are
    dropped, so the logs read as one uninterrupted run.

    ``config`` (the job's config, a dict or ConfigDict) turns on the loggers of its ``logging``
    block; by default it is the ``config.json`` the launch scripts save in ``workdir``, if any.

    In a multi-process job each process logs to TensorBoard (and W&B) the runs it holds
    (``local``: their indices; default every run), and one of them writes the JSONL of every run
    (``rows``); ``log`` is given the metrics of every run on every process.
    """

    def __init__(
        self,
        workdir: str,
        runs: Sequence[Run],
        start_step: int = 0,
        config: Mapping | None = None,
        *,
        local: Sequence[int] | None = None,
        rows: bool = True,
    ):
        self.runs = runs
        self.local = list(range(len(runs))) if local is None else list(local)
        self.rows = rows
        if config is None:
            config = saved_config(workdir)
        held = [runs[i] for i in self.local]
        self.wandb_runs = {}
        if wandb_enabled(config):
            self.wandb_runs = dict(zip(self.local, start_wandb(config, held, workdir), strict=True))
        self.path = os.path.join(workdir, "metrics.jsonl")
        if rows and start_step > 0 and os.path.exists(self.path):
            kept = [line for line, row in read_rows(self.path, warn=True) if row["step"] <= start_step]
            atomic_write(self.path, "".join(kept))
        elif rows and os.path.exists(self.path):
            os.remove(self.path)
        self.writers = {
            run.index: SummaryWriter(
                os.path.join(workdir, "tb", f"run{run.index:03d}-{run.label}"),
                purge_step=start_step + 1 if start_step > 0 else None,
            )
            for run in held
        }

    def log(self, step: int, metrics: Mapping[str, np.ndarray], prefix: str | None = None) -> None:
        """``metrics`` holds one (runs,) array per name; each is logged as ``prefix/name``, or as
        ``name`` itself without a prefix."""
        lines = []
        for run in self.runs:
            row = {"step": step, "run": run.index, "seed": run.seed}
            for name, values in metrics.items():
                tag = f"{prefix}/{name}" if prefix else name
                row[tag] = float(np.asarray(values)[run.index])
            lines.append(dumps(row) + "\n")  # strict JSON: NaN and inf as null
            scalars = {k: v for k, v in row.items() if k not in ("step", "run", "seed")}
            if run.index in self.writers:
                for tag, value in scalars.items():
                    self.writers[run.index].add_scalar(tag, value, step)
            if run.index in self.wandb_runs:
                self.wandb_runs[run.index].log(scalars, step=step)
        if self.rows:
            with open(self.path, "a") as f:
                f.write("".join(lines))
        for writer in self.writers.values():  # a crash loses no event logged so far
            flush_events(writer)

    def history(self, prefix: str) -> list[dict]:
        """Every step logged under ``prefix``, as {step, name: [value per run]} — read back from the
        JSONL, so a resumed job's history includes what it logged before the interruption."""
        by_step: dict[int, dict[str, list[float]]] = {}
        for _, row in read_rows(self.path):
            values = {
                k.split("/", 1)[1]: np.nan if v is None else v
                for k, v in row.items()
                if k.startswith(prefix + "/")
            }
            if values:
                entry = by_step.setdefault(row["step"], {k: [np.nan] * len(self.runs) for k in values})
                for name, value in values.items():
                    entry.setdefault(name, [np.nan] * len(self.runs))[row["run"]] = value
        return [{"step": step, **by_step[step]} for step in sorted(by_step)]

    def metrics_at(self, step: int) -> dict[str, np.ndarray]:
        """{name: (runs,) values} of the update metrics (the names without a group prefix of the
        loops': no ``eval/…``, ``online/…``) logged at ``step``, NaN where a run has none."""
        metrics: dict[str, np.ndarray] = {}
        for _, row in read_rows(self.path):
            if row["step"] != step:
                continue
            for key, value in row.items():
                if key in ("step", "run", "seed") or key.split("/", 1)[0] in (EVAL, ONLINE):
                    continue
                values = metrics.setdefault(key, np.full(len(self.runs), np.nan))
                values[row["run"]] = np.nan if value is None else value
        return metrics

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        for wandb_run in self.wandb_runs.values():
            wandb_run.finish()
        self.wandb_runs = {}


def flush_events(writer: SummaryWriter) -> None:
    """Puts every event ``writer`` was given into its file. tensorboardX's own ``flush`` leaves the
    events its writer thread has not taken from the queue yet, so the thread is stopped (it writes
    every queued event first), the file flushed and a new thread started on the same file."""
    events = getattr(writer._get_file_writer(), "event_writer", None)
    worker = getattr(events, "_worker", None)
    if worker is None or getattr(events, "_closed", True):
        writer.flush()
        return
    worker.stop()
    events._ev_writer.flush()
    events._worker = type(worker)(events._event_queue, events._ev_writer, events._flush_secs)
    events._worker.start()


def read_rows(path: str, *, warn: bool = False) -> list[tuple[str, dict]]:
    """(line, row) of every row of a metrics.jsonl. A torn last line (a job killed while writing
    it) is dropped — with a warning naming the file if ``warn``; a bad line elsewhere raises."""
    with open(path) as f:
        lines = f.readlines()
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            rows.append((line if line.endswith("\n") else line + "\n", json.loads(line)))
        except ValueError:
            if number < len(lines):
                raise ValueError(f"{path}: line {number} is not JSON; the log is damaged.") from None
            if warn:
                print(f"warning: {path}: dropped its torn last line ({len(line)} characters).")
    return rows


def saved_config(workdir: str) -> dict | None:
    """The config a launch script saved in ``workdir/config.json``, or None."""
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _logging_block(config: Mapping | None) -> Mapping:
    if config is None:
        return {}
    block = config.get("logging", None)
    return block if block is not None else {}


def wandb_enabled(config: Mapping | None) -> bool:
    return bool(_logging_block(config).get("wandb", False))


def import_wandb():
    """The wandb module, imported only when a config enables it; ImportError with one line if absent."""
    try:
        return importlib.import_module("wandb")
    except ImportError as error:
        raise ImportError(WANDB_MISSING) from error


def wandb_names(config: Mapping, run: Run, runs: Sequence[Run], workdir: str) -> dict[str, Any]:
    """``wandb.init`` arguments of one run: project from the config, group per (algo, dataset, sweep
    point) so W&B aggregates the seeds, name per seed, an id fixed by the workdir and run index
    (a resumed or fine-tuned job continues the same W&B run)."""
    block = _logging_block(config)
    algo, dataset = config.get("algo", "run"), str(config.get("dataset", "data"))
    swept = swept_keys([r.hparams for r in runs])
    point = "".join(f"-{key}={run.hparams[key]:g}" for key in swept)
    digest = hashlib.sha1(os.path.abspath(workdir).encode()).hexdigest()[:10]
    to_dict = getattr(config, "to_dict", None)
    return {
        "project": block.get("wandb_project", "jaxdiffrl"),
        "mode": block.get("wandb_mode", "offline"),
        "group": f"{algo}-{dataset}{point}",
        "name": f"{algo}-{dataset}-seed{run.seed}{point}",
        "id": f"{digest}-run{run.index:03d}",
        "job_type": "train",
        "tags": [algo, dataset],
        "dir": workdir,
        "config": {
            **(to_dict() if to_dict else dict(config)),
            "seed": run.seed,
            "hparams": dict(run.hparams),
            "workdir": os.path.abspath(workdir),
        },
        "resume": "allow",
        "reinit": "create_new",  # one W&B run per vmapped run, side by side (wandb >= 0.19.10)
    }


def start_wandb(config: Mapping, runs: Sequence[Run], workdir: str) -> list:
    """One W&B run per run (``wandb.init`` with :func:`wandb_names`)."""
    wandb = import_wandb()
    return [wandb.init(**wandb_names(config, run, runs, workdir)) for run in runs]
