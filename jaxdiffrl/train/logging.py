"""Run monitoring: one TensorBoard writer per run, a JSONL of every scalar, console summaries.

Tags are ``<group>/<name>``: agents' update infos arrive grouped already (``critic/loss``,
``actor/bc_loss``, …; see ``jaxdiffrl.agents.infos``), and the loops add their own groups below,
so TensorBoard shows one section per network and one per kind of evaluation.
"""

import json
import os
from collections.abc import Mapping, Sequence

import numpy as np
from tensorboardX import SummaryWriter

from jaxdiffrl.train.runs import Run

EVAL = "eval"  # offline evaluations: return, normalized_score
ONLINE = "online"  # online fine-tuning: online/<agent info>, online/eval/…, online/rollout/…
ROLLOUT = "rollout"  # episodes of the acting policy while it trains online


class MetricsLogger:
    """Writes ``{step, run, seed, <name>: value}`` rows and per-run TensorBoard scalars.

    On resume from ``start_step``, rows and events logged after it by the interrupted job are
    dropped, so the logs read as one uninterrupted run.
    """

    def __init__(self, workdir: str, runs: Sequence[Run], start_step: int = 0):
        self.runs = runs
        self.path = os.path.join(workdir, "metrics.jsonl")
        if start_step > 0 and os.path.exists(self.path):
            with open(self.path) as f:
                kept = [line for line in f if json.loads(line)["step"] <= start_step]
            with open(self.path, "w") as f:
                f.writelines(kept)
        elif os.path.exists(self.path):
            os.remove(self.path)
        self.writers = [
            SummaryWriter(
                os.path.join(workdir, "tb", f"run{run.index:03d}-{run.label}"),
                purge_step=start_step + 1 if start_step > 0 else None,
            )
            for run in runs
        ]

    def log(self, step: int, metrics: Mapping[str, np.ndarray], prefix: str | None = None) -> None:
        """``metrics`` holds one (runs,) array per name; each is logged as ``prefix/name``, or as
        ``name`` itself without a prefix."""
        with open(self.path, "a") as f:
            for run in self.runs:
                row = {"step": step, "run": run.index, "seed": run.seed}
                for name, values in metrics.items():
                    value = float(np.asarray(values)[run.index])
                    tag = f"{prefix}/{name}" if prefix else name
                    row[tag] = value
                    self.writers[run.index].add_scalar(tag, value, step)
                f.write(json.dumps(row) + "\n")

    def history(self, prefix: str) -> list[dict]:
        """Every step logged under ``prefix``, as {step, name: [value per run]} — read back from the
        JSONL, so a resumed job's history includes what it logged before the interruption."""
        by_step: dict[int, dict[str, list[float]]] = {}
        with open(self.path) as f:
            for line in f:
                row = json.loads(line)
                values = {k.split("/", 1)[1]: v for k, v in row.items() if k.startswith(prefix + "/")}
                if values:
                    entry = by_step.setdefault(row["step"], {k: [np.nan] * len(self.runs) for k in values})
                    for name, value in values.items():
                        entry.setdefault(name, [np.nan] * len(self.runs))[row["run"]] = value
        return [{"step": step, **by_step[step]} for step in sorted(by_step)]

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
