"""Aggregate tables over run directories: one row per (algorithm, dataset, hyperparameter point),
the seeds of every job given pooled.

Per row and kind of score — ``final`` (the last evaluation), ``offline`` (Diffusion-QL's
offline-selected checkpoint, ``results.json["model_selection"]``), ``online_best`` (the best
evaluation of each run) and ``fine_tuned`` (after online fine-tuning, ``results.json["online"]``)
— the number of runs, mean ± standard deviation (ddof 1) and the IQM with its 95 % stratified
bootstrap interval (``jaxdiffrl.train.aggregate``, as rliable). Runs that did not finish
(``status`` diverged or stopped) are counted, not scored. Throughput is the jobs': mean updates/s
and wall time over the jobs a row's runs come from (a sweep's points share their job's); a resumed
job's wall time adds up its segments (``job_wall_time``).
Where every dataset of an (algorithm, point) has the same number of runs, an ``all`` row
aggregates them: the IQM over runs × datasets, its interval stratified by dataset. Each dataset
row also keeps its runs' own scores (``per_run``), so that two draws of a table can be read
seed by seed.
"""

import json
import os
from collections import Counter
from collections.abc import Sequence

import numpy as np

from jaxdiffrl.train.aggregate import iqm, stratified_bootstrap_ci
from jaxdiffrl.train.run_dirs import RunDirError, read_config, read_results
from jaxdiffrl.train.runs import point_label, swept_keys

KINDS = ("final", "offline", "online_best", "fine_tuned")
KIND_TITLES = {
    "final": "final",
    "offline": "offline-selected",
    "online_best": "online-best",
    "fine_tuned": "fine-tuned online",
}
SCORES = ("normalized_score", "return")


def find_run_dirs(paths: Sequence[str]) -> list[str]:
    """The run directories (holding ``config.json``) given, or found below a given folder, each
    once, in order."""
    found, seen = [], set()
    for path in paths:
        if not os.path.isdir(path):
            raise RunDirError(f"{path}: no such run directory.")
        if os.path.exists(os.path.join(path, "config.json")):
            candidates = [path]
        else:
            candidates = sorted(root for root, _, files in os.walk(path) if "config.json" in files)
            if not candidates:
                raise RunDirError(f"{path} holds no run directory (no config.json in it or below it).")
        for candidate in candidates:
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _history_scores(results: dict, score: str) -> dict[int, dict[int, float]]:
    """{run: {step: score}} from the evaluation history, non-finite values left out."""
    by_run: dict[int, dict[int, float]] = {}
    for entry in results.get("eval_history", []):
        for run, value in enumerate(entry.get(score) or []):
            if value is not None and np.isfinite(value):
                by_run.setdefault(run, {})[int(entry["step"])] = float(value)
    return by_run


def job_wall_time(results: dict) -> tuple[float | None, bool]:
    """(seconds, partial) of one job's results.json: its time over every segment
    (``total_wall_time_s``) where it has it, else its last segment's (``wall_time_s``) — partial
    when that segment was a resume (``resumed_from_step`` > 0) whose earlier segments left no
    record of their time."""
    total = results.get("total_wall_time_s")
    if total is not None:
        return float(total), False
    last = results.get("wall_time_s")
    return (None if last is None else float(last)), bool(results.get("resumed_from_step"))


def run_scores(results: dict, score: str = "normalized_score") -> list[dict]:
    """Per run of one job: run, seed, hparams, status and its score of every kind (None where the
    job has none)."""
    history = _history_scores(results, score)
    selection = {r["run"]: r for r in (results.get("model_selection") or {}).get("runs", [])}
    online = {r["run"]: r for r in (results.get("online") or {}).get("runs", [])}
    entries = []
    for run in results.get("runs", []):
        index = int(run["run"])
        finished = run.get("status", "finished") == "finished"
        scores = dict.fromkeys(KINDS)
        if finished:
            scores["final"] = run.get(score)
            evaluated = history.get(index, {})
            if evaluated:
                scores["online_best"] = max(evaluated.values())
            if index in selection:
                scores["offline"] = evaluated.get(int(selection[index]["offline"]["step"]))
            if index in online:
                scores["fine_tuned"] = online[index].get(score)
        scores = {k: float(v) if v is not None and np.isfinite(v) else None for k, v in scores.items()}
        entries.append(
            {
                "run": index,
                "seed": run.get("seed"),
                "hparams": dict(run.get("hparams") or {}),
                "status": run.get("status", "finished"),
                **scores,
            }
        )
    return entries


def statistics(values: Sequence[float], reps: int, seed: int, tasks: int = 1) -> dict | None:
    """n, mean, std (ddof 1; 0 for one value), IQM and its 95 % stratified bootstrap interval of
    ``values`` — (runs × tasks) in row order when ``tasks`` > 1."""
    if not values:
        return None
    scores = np.asarray(values, np.float64).reshape(-1, tasks)
    low, high = stratified_bootstrap_ci(scores, iqm, reps=reps, seed=seed)
    return {
        "n": int(scores.size),
        "mean": float(scores.mean()),
        "std": float(scores.std(ddof=1)) if scores.size > 1 else 0.0,
        "iqm": iqm(scores),
        "iqm_ci95": [low, high],
    }


def summarize(
    workdirs: Sequence[str], score: str = "normalized_score", reps: int = 50_000, seed: int = 0
) -> dict:
    """{"score", "bootstrap", "rows", "notes"} over the run directories (see the module)."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}.")
    groups: dict[tuple, dict] = {}
    notes = []
    for workdir in find_run_dirs(workdirs):
        config = read_config(workdir)
        results = read_results(workdir)
        if results is None:
            notes.append(f"{workdir}: no results.json (an unfinished job); left out.")
            continue
        algo = results.get("algo", config.get("algo"))
        dataset = results.get("dataset", config.get("dataset"))
        wall_time, partial = job_wall_time(results)
        job = {
            "workdir": workdir,
            "updates_per_s": results.get("updates_per_s"),
            "wall_time_s": wall_time,
            "wall_time_partial": partial,
        }
        for run in run_scores(results, score):
            key = (algo, dataset, json.dumps(run["hparams"], sort_keys=True))
            group = groups.setdefault(
                key, {"algo": algo, "dataset": dataset, "hparams": run["hparams"], "runs": [], "jobs": []}
            )
            group["runs"].append(run)
            if workdir not in [j["workdir"] for j in group["jobs"]]:
                group["jobs"].append(job)
    rows = []
    for group in groups.values():
        same = [
            g["hparams"]
            for g in groups.values()
            if (g["algo"], g["dataset"]) == (group["algo"], group["dataset"])
        ]
        swept = swept_keys(same)
        group["point"] = {k: group["hparams"][k] for k in swept if k in group["hparams"]}
        rows.append(_row(group, swept, reps, seed))
    rows += _all_dataset_rows(list(groups.values()), reps, seed)
    return {
        "score": score,
        "bootstrap": {"reps": reps, "size": 0.95, "seed": seed},
        "rows": rows,
        "notes": notes,
    }


def _throughput(jobs: list[dict], key: str) -> float | None:
    values = [j[key] for j in jobs if j.get(key) is not None]
    return float(np.mean(values)) if values else None


def _row(group: dict, swept: list[str], reps: int, seed: int) -> dict:
    runs = sorted(group["runs"], key=lambda r: (r["seed"] is None, r["seed"] or 0))
    unfinished = [r for r in runs if r["status"] != "finished"]
    return {
        "algo": group["algo"],
        "dataset": group["dataset"],
        "point": {k: group["hparams"][k] for k in swept if k in group["hparams"]},
        "hparams": group["hparams"],
        "seeds": [r["seed"] for r in runs],
        "runs": len(runs),
        "unfinished": dict(Counter(r["status"] for r in unfinished)),
        **{kind: statistics([r[kind] for r in runs if r[kind] is not None], reps, seed) for kind in KINDS},
        "per_run": [{k: r[k] for k in ("seed", "status", *KINDS)} for r in runs],
        "updates_per_s": _throughput(group["jobs"], "updates_per_s"),
        "wall_time_s": _throughput(group["jobs"], "wall_time_s"),
        "wall_time_partial": any(j["wall_time_partial"] for j in group["jobs"]),
        "workdirs": [j["workdir"] for j in group["jobs"]],
    }


def _all_dataset_rows(groups: list[dict], reps: int, seed: int) -> list[dict]:
    """Per (algo, sweep point) over ≥ 2 datasets with one number of scored runs each: runs × datasets.

    Pooled by the point (the swept values), not by every hyperparameter: a config may set a value
    per dataset (QDQ's γ_ent per maze, as its paper's tables do) and its datasets still pool. Such
    values are kept per dataset in the row's ``per_dataset`` ({key: {dataset: value}})."""
    by_method: dict[tuple, list[dict]] = {}
    for group in groups:
        by_method.setdefault((group["algo"], json.dumps(group["point"], sort_keys=True)), []).append(group)
    rows = []
    for (algo, _), members in by_method.items():
        if len({m["dataset"] for m in members}) < 2:
            continue
        keys = sorted({k for m in members for k in m["hparams"]})
        values = {k: {m["dataset"]: m["hparams"].get(k) for m in members} for k in keys}
        differ = [k for k in keys if len({json.dumps(v) for v in values[k].values()}) > 1]
        row = {
            "algo": algo,
            "dataset": f"all ({len(members)})",
            "point": dict(members[0]["point"]),
            "hparams": {k: members[0]["hparams"][k] for k in keys if k not in differ},
            "per_dataset": {k: values[k] for k in differ},
        }
        for kind in KINDS:
            columns = [[r[kind] for r in m["runs"] if r[kind] is not None] for m in members]
            if len({len(c) for c in columns}) != 1 or not columns[0]:
                row[kind] = None
                continue
            matrix = np.array(columns).T  # (runs, datasets)
            row[kind] = statistics(matrix.reshape(-1).tolist(), reps, seed, tasks=len(members))
        row.update(
            seeds=sorted({r["seed"] for m in members for r in m["runs"] if r["seed"] is not None}),
            runs=sum(len(m["runs"]) for m in members),
            unfinished={},
            updates_per_s=None,
            wall_time_s=None,
            wall_time_partial=False,
            workdirs=[j["workdir"] for m in members for j in m["jobs"]],
            datasets=[m["dataset"] for m in members],
        )
        if any(row[kind] for kind in KINDS):
            rows.append(row)
    return rows


def _stat_cells(stat: dict | None) -> tuple[str, str]:
    if stat is None:
        return "–", "–"
    low, high = stat["iqm_ci95"]
    return f"{stat['mean']:.1f} ± {stat['std']:.1f}", f"{stat['iqm']:.1f} [{low:.1f}, {high:.1f}]"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.0f} min"


def markdown_table(summary: dict) -> str:
    """The summary as a Markdown table; the kinds of score no row has are left out."""
    rows = summary["rows"]
    kinds = [kind for kind in KINDS if any(row.get(kind) for row in rows)] or ["final"]
    header = ["algo", "dataset", "point", "seeds"]
    for kind in kinds:
        header += [f"{KIND_TITLES[kind]} mean ± std", f"{KIND_TITLES[kind]} IQM [95 % CI]"]
    header += ["updates/s", "wall time"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        seeds = f"{row['runs']}" if row["dataset"].startswith("all (") else ",".join(map(str, row["seeds"]))
        if row["unfinished"]:
            seeds += " (" + ", ".join(f"{n} {status}" for status, n in row["unfinished"].items()) + ")"
        cells = [
            row["algo"],
            row["dataset"],
            point_label(row["point"], list(row["point"])).strip() or "–",
            seeds,
        ]
        for kind in kinds:
            cells += _stat_cells(row.get(kind))
        speed = row["updates_per_s"]
        at_least = "≥ " if row.get("wall_time_partial") and row["wall_time_s"] is not None else ""
        cells += [f"{speed:.0f}" if speed else "–", at_least + _seconds(row["wall_time_s"])]
        lines.append("| " + " | ".join(cells) + " |")
    score = "D4RL-normalised score" if summary["score"] == "normalized_score" else "return"
    reps = summary["bootstrap"]["reps"]
    pooled = any(row["dataset"].startswith("all (") for row in rows)
    lines += [
        "",
        f"Scores: {score}; mean ± std (ddof 1) over runs; IQM with its 95 % stratified bootstrap interval "
        f"({reps} replicates)."
        + (" `all (k)` rows pool k datasets (runs × datasets, stratified by dataset)." if pooled else ""),
    ]
    if any(row.get("wall_time_partial") for row in rows):
        lines += [
            "",
            "Wall time ≥: a job resumed after a segment that left no record of its time "
            "(from before results.json kept it); the time shown is its last segment's.",
        ]
    settings = [
        f"{row['algo']}{point_label(row['point'], list(row['point'])).rstrip()} "
        + "; ".join(
            f"{key} (" + ", ".join(f"{dataset} {value}" for dataset, value in by_dataset.items()) + ")"
            for key, by_dataset in row["per_dataset"].items()
        )
        for row in rows
        if row.get("per_dataset")
    ]
    if settings:
        settings_line = "; ".join(settings)
        lines += ["", f"Pooled over datasets whose configs set these values per dataset: {settings_line}."]
    return "\n".join(lines) + "\n"
