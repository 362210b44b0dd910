"""Run monitoring: one TensorBoard writer per run, a JSONL of every scalar, console summaries."""

import json
import os
from collections.abc import Mapping, Sequence

import numpy as np
from tensorboardX import SummaryWriter

from jaxdiffrl.train.runs import Run


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

    def log(self, step: int, metrics: Mapping[str, np.ndarray], prefix: str) -> None:
        """``metrics`` holds one (runs,) array per name."""
        with open(self.path, "a") as f:
            for run in self.runs:
                row = {"step": step, "run": run.index, "seed": run.seed}
                for name, values in metrics.items():
                    value = float(np.asarray(values)[run.index])
                    row[f"{prefix}/{name}"] = value
                    self.writers[run.index].add_scalar(f"{prefix}/{name}", value, step)
                f.write(json.dumps(row) + "\n")

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
