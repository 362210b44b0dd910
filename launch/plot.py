"""Learning curves from run directories: the mean over seeds with a 95 % confidence band, one line
per run directory and sweep point.

    python launch/plot.py runs/iql-umaze runs/bc-umaze --out=umaze.png
    python launch/plot.py runs/iql-sweep --metric=critic/loss --band=minmax --out=loss.png

Reads each directory's metrics.jsonl, so ``--metric`` is any logged scalar (``eval/return``,
``actor/bc_loss``, ``online/eval/return``, …; an unknown name is answered with the logged ones).
The band is mean ± t₀.₉₇₅·s/√n over the n seeds (``--band=minmax`` for the seeds' range, ``none``
for the mean alone). Labels are the run's algorithm, the swept hyperparameters of a sweep and, where
several directories hold one algorithm, the directory. A metric that is NaN or inf everywhere, or
missing, is named on stderr and left out; nothing to draw, or a missing directory, is one error line.
"""

import os
import sys
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import difflib  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from jaxdiffrl.train.aggregate import mean_ci95  # noqa: E402
from jaxdiffrl.train.run_dirs import (  # noqa: E402
    RunDirError,
    read_config,
    read_metrics,
    read_results,
    run_hparams,
    scalar_names,
)
from jaxdiffrl.train.runs import point_label, swept_keys  # noqa: E402

MARKER_LIMIT = 30  # curves with at most this many points get a marker at each


@dataclass
class Curve:
    """One line: a run directory's runs at one hyperparameter point."""

    workdir: str
    algo: str
    dataset: str | None
    point: dict
    swept: list[str]
    steps: np.ndarray  # (S,)
    values: np.ndarray  # (S, seeds), NaN where a seed logged nothing
    seeds: list[int]
    label: str = ""
    notes: list[str] = field(default_factory=list)


def unique_workdirs(workdirs: list[str]) -> list[str]:
    """The directories in order, each once (``a/`` and ``./a`` are one)."""
    seen, unique = set(), []
    for workdir in workdirs:
        key = os.path.realpath(workdir)
        if key not in seen:
            seen.add(key)
            unique.append(workdir.rstrip("/") or workdir)
    return unique


def read_curves(workdir: str, metric: str) -> tuple[list[Curve], list[str]]:
    """(curves, notes) of one run directory: one curve per hyperparameter point; notes name what
    could not be drawn (missing or non-finite metric) and merged duplicate rows."""
    config = read_config(workdir)
    results = read_results(workdir)
    rows, duplicates = read_metrics(workdir)
    notes = [f"{workdir}: {duplicates} duplicate row(s) in metrics.jsonl merged."] if duplicates else []
    if not any(metric in row for row in rows):
        names = scalar_names(rows)
        close = difflib.get_close_matches(metric, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        return [], notes + [f"{workdir} logged no {metric!r}{hint} It logged: {shown or 'nothing'}."]
    points = run_hparams(workdir, results)
    swept = swept_keys(list(points.values()))
    algo = config.get("algo") or os.path.basename(workdir)
    by_point: dict[str, dict[int, dict[int, float]]] = {}
    seeds: dict[str, dict[int, int]] = {}
    for row in rows:
        if metric not in row:
            continue
        point = points.get(row["run"], {})
        key = point_label(point, swept)
        by_point.setdefault(key, {}).setdefault(row["run"], {})[row["step"]] = row[metric]
        seeds.setdefault(key, {})[row["run"]] = row["seed"]
    curves = []
    for key, by_run in by_point.items():
        runs = sorted(by_run)
        steps = np.array(sorted({s for values in by_run.values() for s in values}))
        values = np.array([[by_run[r].get(s, np.nan) for r in runs] for s in steps], np.float64)
        point = points.get(runs[0], {})
        curve = Curve(
            workdir, algo, config.get("dataset"), point, swept, steps, values, [seeds[key][r] for r in runs]
        )
        where = f"{workdir}{key}"
        bad = int((~np.isfinite(values)).sum())
        if bad == values.size:
            notes.append(f"{where}: {metric} is NaN or inf at every logged step; not drawn.")
            continue
        if bad:
            curve.notes.append(f"{where}: {bad} of {values.size} {metric} values are NaN or inf (left out).")
        curves.append(curve)
    return curves, notes


def label_curves(curves: list[Curve]) -> None:
    """``algo[ swept k=v…][ (dir)] (n seeds)``: the directory (its shortest distinguishing path
    suffix) where several directories hold runs of one algorithm."""
    base = [f"{c.algo}{point_label(c.point, c.swept)}" for c in curves]
    for index, curve in enumerate(curves):
        clash = {c.workdir for c in curves if c.algo == curve.algo}
        suffix = ""
        if len(clash) > 1:
            suffix = f" ({_distinguishing_suffix(curve.workdir, sorted(clash))})"
        n = len(curve.seeds)
        curve.label = f"{base[index]}{suffix} ({n} seed{'s' * (n != 1)})"


def _distinguishing_suffix(workdir: str, others: list[str]) -> str:
    parts = os.path.normpath(workdir).split(os.sep)
    for depth in range(1, len(parts) + 1):
        suffix = os.sep.join(parts[-depth:])
        if sum(os.path.normpath(o).endswith(suffix) for o in others) == 1:
            return suffix
    return workdir


def plot_curves(curves: list[Curve], metric: str, band: str = "ci95", title: str | None = None):
    """The figure: per curve the seeds' mean (markers where it has few points) and its band."""
    figure, axis = plt.subplots(figsize=(8, 4))
    for curve in curves:
        steps, values = curve.steps, curve.values
        mean, low, high = mean_ci95(values, axis=1)
        if band == "minmax":
            with np.errstate(all="ignore"):
                low, high = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
        marker = "o" if len(steps) <= MARKER_LIMIT else None
        drawn = np.isfinite(mean)
        line = axis.plot(steps[drawn], mean[drawn], marker=marker, markersize=4, label=curve.label)[0]
        if band == "none":
            continue
        ok = drawn & np.isfinite(low) & np.isfinite(high)
        if ok.sum() == 1:  # one point: an error bar, a band of zero width would not show
            axis.errorbar(
                steps[ok], mean[ok], yerr=[mean[ok] - low[ok], high[ok] - mean[ok]],
                color=line.get_color(), capsize=4, linestyle="none",
            )  # fmt: skip
        elif ok.any():
            axis.fill_between(steps[ok], low[ok], high[ok], alpha=0.2, color=line.get_color(), linewidth=0)
    datasets = sorted({c.dataset for c in curves if c.dataset})
    axis.set_xlabel("update step")
    axis.set_ylabel(metric)
    axis.set_title(title or ", ".join(datasets))
    axis.grid(alpha=0.3)
    band_name = {"ci95": "mean, 95 % CI over seeds", "minmax": "mean, min–max over seeds", "none": "mean"}
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title=band_name[band])
    figure.tight_layout()
    return figure


def make_figure(workdirs: list[str], metric: str, band: str = "ci95", title: str | None = None):
    """(figure, notes) for the given run directories; RunDirError when nothing can be drawn."""
    if not workdirs:
        raise RunDirError("give one or more run directories.")
    curves, notes = [], []
    for workdir in unique_workdirs(workdirs):
        found, more = read_curves(workdir, metric)
        curves += found
        notes += more + [note for curve in found for note in curve.notes]
    if not curves:
        reasons = " ".join(notes) or "no run logged it."
        raise RunDirError(f"nothing to plot for {metric}: {reasons}")
    label_curves(curves)
    return plot_curves(curves, metric, band, title), notes


def main(argv):
    try:
        figure, notes = make_figure(argv[1:], FLAGS.metric, FLAGS.band, FLAGS.title)
    except RunDirError as error:
        sys.exit(f"error: {error}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    figure.savefig(FLAGS.out, dpi=120)
    print(f"Wrote {FLAGS.out}")


if __name__ == "__main__":
    flags.DEFINE_string(
        "metric", "eval/normalized_score", "Logged scalar to plot (any name in metrics.jsonl)."
    )
    flags.DEFINE_enum("band", "ci95", ["ci95", "minmax", "none"], "Band around the mean over seeds.")
    flags.DEFINE_string("out", "curves.png", "Image file to write.")
    flags.DEFINE_string("title", None, "Figure title (default: the datasets).")
    FLAGS = flags.FLAGS
    app.run(main)
