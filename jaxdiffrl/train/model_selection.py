"""Diffusion-QL's model selection, computed from a finished run's ``metrics.jsonl``.

For every run it reports three scores, each with the training step it was evaluated at:
- ``final``: the last evaluation;
- ``offline``: offline selection without evaluations — among the evaluated checkpoints, the one
  whose mean ε-loss L_d over the training steps since the previous evaluation is the
  (rank + 1)-th lowest (the reference code's ``top_k``; rank 1 = 2nd lowest, 2 = 3rd lowest);
- ``online_best``: the best evaluation (online selection, the paper's appendix E).
Means are taken per hyperparameter point of a sweep. Keep every evaluated model on disk
(``checkpoint_interval = eval_interval``, ``checkpoints_to_keep = None``) to reload the selected one;
its path is given when it exists.
"""

import json
import os
from collections import defaultdict

import numpy as np

from jaxdiffrl.train.files import write_json
from jaxdiffrl.train.runs import point_label, swept_keys

SCORE_KEY = "eval/normalized_score"
LOSS_KEY = "actor/bc_loss"  # the agent's L_d, logged as it names it
KINDS = ("final", "offline", "online_best")


def _read_series(workdir: str) -> tuple[dict, dict, dict]:
    """Per run: {step: L_d}, {step: score}, and the run's seed, from ``workdir/metrics.jsonl``."""
    losses, scores, seeds = defaultdict(dict), defaultdict(dict), {}
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            run = row["run"]
            seeds[run] = row["seed"]
            for key, value in row.items():
                if key == SCORE_KEY:
                    scores[run][row["step"]] = value
                elif key == LOSS_KEY:
                    losses[run][row["step"]] = value
    return losses, scores, seeds


def _entry(workdir: str, step: int, score: float, **extra) -> dict:
    checkpoint = os.path.join(os.path.abspath(workdir), "checkpoints", str(step))
    return {
        "step": step,
        "score": score,
        "checkpoint": checkpoint if os.path.isdir(checkpoint) else None,
        **extra,
    }


def select_models(workdir: str, rank: int = 1, hparams: dict[int, dict] | None = None) -> dict:
    """{"runs": [{run, seed, hparams, final, offline, online_best}],
    "means": [{hparams, runs, final, offline, online_best}]}: one mean per hyperparameter point
    (``hparams`` maps run index → its point; by default every run shares one)."""
    losses, scores, seeds = _read_series(workdir)
    hparams = hparams or {}
    runs = []
    for run in sorted(scores):
        eval_steps = sorted(scores[run])
        window_losses, previous = [], 0
        for step in eval_steps:
            window = [v for s, v in losses[run].items() if previous < s <= step]
            window_losses.append(float(np.mean(window)) if window else float("inf"))
            previous = step
        run_rank = min(rank, len(eval_steps) - 1)  # fewer evaluations than rank + 1: the highest
        chosen = int(np.argsort(window_losses, kind="stable")[run_rank])
        best = max(eval_steps, key=lambda s: scores[run][s])
        last = eval_steps[-1]
        offline_step = eval_steps[chosen]
        runs.append(
            {
                "run": run,
                "seed": seeds[run],
                "hparams": hparams.get(run, {}),
                "final": _entry(workdir, last, scores[run][last]),
                "offline": _entry(
                    workdir,
                    offline_step,
                    scores[run][offline_step],
                    bc_loss=window_losses[chosen],
                    rank=run_rank,
                ),
                "online_best": _entry(workdir, best, scores[run][best]),
            }
        )
    means, points = [], []
    for point in (r["hparams"] for r in runs):
        if point in points:
            continue
        points.append(point)
        members = [r for r in runs if r["hparams"] == point]
        kinds = {kind: float(np.mean([r[kind]["score"] for r in members])) for kind in KINDS}
        means.append({"hparams": point, "runs": len(members), **kinds})
    return {"runs": runs, "means": means}


def _rank_label(rank: int) -> str:
    return ("lowest", "2nd-lowest", "3rd-lowest")[rank] if rank < 3 else f"{rank + 1}th-lowest"


def describe(selection: dict) -> list[str]:
    """Labelled console lines: one per run and one mean per hyperparameter point."""
    means = selection["means"]
    swept = swept_keys([mean["hparams"] for mean in means])
    lines = []
    for r in selection["runs"]:
        final, offline, online = r["final"], r["offline"], r["online_best"]
        lines.append(
            f"seed {r['seed']}{point_label(r['hparams'], swept)}: "
            f"final {final['score']:.1f} (step {final['step']}) | "
            f"offline-selected {offline['score']:.1f} (step {offline['step']}, "
            f"{_rank_label(offline['rank'])} L_d {offline['bc_loss']:.4f}) | "
            f"online-best {online['score']:.1f} (step {online['step']})"
        )
    for mean in means:
        seeds = f"{mean['runs']} seed" + "s" * (mean["runs"] > 1)
        lines.append(
            f"mean{point_label(mean['hparams'], swept)} ({seeds}): final {mean['final']:.1f} | "
            f"offline-selected {mean['offline']:.1f} | online-best {mean['online_best']:.1f}"
        )
    return lines


def report(results: dict, workdir: str, rank: int) -> dict:
    """Adds ``results["model_selection"]``, rewrites ``workdir/results.json`` (with the keys every
    agent's results.json has, plus ``model_selection``: not the ``workdir`` the launch scripts add
    in memory) and prints the labelled final / offline-selected / online-best scores."""
    hparams = {r["run"]: r["hparams"] for r in results["runs"]}
    results["model_selection"] = select_models(workdir, rank, hparams)
    saved = {k: v for k, v in results.items() if k != "workdir"}  # cli.run's in-memory addition
    write_json(os.path.join(workdir, "results.json"), saved)  # atomic, strict JSON
    print("Model selection (score at the step in brackets):")
    for line in describe(results["model_selection"]):
        print("  " + line)
    return results
