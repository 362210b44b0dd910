"""Reading run directories back (``config.json``, ``results.json``, ``metrics.jsonl``, ``tb/``) for
plots and summaries, with one-line errors instead of tracebacks."""

import json
import math
import os
import re

RUN_FIELDS = ("step", "run", "seed")


class RunDirError(ValueError):
    """A run directory that cannot be read: one line naming the directory and what is missing."""


def _read_json(path: str, what: str):
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as error:
        raise RunDirError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}); {what}") from error


def read_config(workdir: str) -> dict:
    """The run's ``config.json``."""
    if not os.path.isdir(workdir):
        raise RunDirError(f"{workdir}: no such run directory.")
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise RunDirError(f"{workdir} holds no config.json: not a run directory of a launch script.")
    return _read_json(path, "the run's config is unreadable.")


def read_results(workdir: str) -> dict | None:
    """The run's ``results.json``, or None while it has none (an unfinished or stopped job)."""
    path = os.path.join(workdir, "results.json")
    return _read_json(path, "rerun or remove it.") if os.path.exists(path) else None


def _number(value):
    return math.nan if value is None else value


def read_metrics(workdir: str) -> tuple[list[dict], int]:
    """(rows, duplicates): ``metrics.jsonl`` as one row per (run, step), sorted by both — the rows a
    step logs (update infos, then evaluations) merged, ``duplicates`` the rows that repeat a value
    already read for their run and step (the later value kept), null read as NaN and unparsable
    lines (a torn last line) skipped."""
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.exists(path):
        raise RunDirError(f"{workdir} holds no metrics.jsonl: nothing was logged yet.")
    merged: dict[tuple[int, int], dict] = {}
    duplicates = 0
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
                key = (int(row["run"]), int(row["step"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            entry = merged.setdefault(key, {"step": key[1], "run": key[0], "seed": row.get("seed")})
            values = {name: _number(value) for name, value in row.items() if name not in RUN_FIELDS}
            duplicates += any(name in entry for name in values)
            entry.update(values)
    rows = [merged[key] for key in sorted(merged)]
    return rows, duplicates


def scalar_names(rows: list[dict]) -> list[str]:
    return sorted({name for row in rows for name in row if name not in RUN_FIELDS})


_TB_RUN = re.compile(r"^run(\d+)-seed(-?\d+)(?:-(.*))?$")


def run_hparams(workdir: str, results: dict | None = None) -> dict[int, dict[str, float]]:
    """{run index: its hyperparameter point}: from ``results.json``, else from the TensorBoard
    writer names (``tb/run000-seed0-expectile=0.6,…``) of a job that has no results yet."""
    if results is not None:
        return {int(r["run"]): dict(r.get("hparams") or {}) for r in results.get("runs", [])}
    points = {}
    tb = os.path.join(workdir, "tb")
    for name in sorted(os.listdir(tb)) if os.path.isdir(tb) else []:
        match = _TB_RUN.match(name)
        if not match:
            continue
        point = {}
        for pair in (match.group(3) or "").split(","):
            key, sep, value = pair.partition("=")
            try:
                if sep:
                    point[key] = float(value)
            except ValueError:
                continue
        points[int(match.group(1))] = point
    return points
