"""launch/plot.py on synthetic run directories: single evaluations, same-algorithm directories,
sweeps, NaN metrics, duplicate rows, missing directories, any logged scalar, the 95 % band."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from jaxdiffrl.train.run_dirs import RunDirError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_plot():
    spec = importlib.util.spec_from_file_location("plot_script", os.path.join(REPO, "launch", "plot.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # flags are defined under __main__ only: importable in tests
    return module


plot = load_plot()


def write_run_dir(path, algo="iql", runs=((0, {}),), evals=None, train=None, results=True, extra_rows=()):
    """A run directory as the engine leaves it. ``runs``: (seed, hparams) per run; ``evals``:
    {step: [score per run]}; ``train``: {step: [critic/loss per run]}."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"algo": algo, "dataset": "pointmaze-umaze"}))
    rows = []
    for step in sorted(set(train or {}) | set(evals or {})):
        for index, (seed, _) in enumerate(runs):
            if train and step in train:
                rows.append({"step": step, "run": index, "seed": seed, "critic/loss": train[step][index]})
            if evals and step in evals:
                score = evals[step][index]
                rows.append(
                    {
                        "step": step,
                        "run": index,
                        "seed": seed,
                        "eval/return": 1.0,
                        "eval/normalized_score": score,
                    }
                )
    rows += list(extra_rows)
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "tb").mkdir()
    for index, (seed, hparams) in enumerate(runs):
        point = ",".join(f"{k}={v:g}" for k, v in hparams.items())
        (path / "tb" / (f"run{index:03d}-seed{seed}" + (f"-{point}" if point else ""))).mkdir()
    if results:
        entries = [{"run": i, "seed": s, "hparams": h} for i, (s, h) in enumerate(runs)]
        (path / "results.json").write_text(json.dumps({"algo": algo, "runs": entries}))
    return str(path)


def drawn_lines(figure):
    axis = figure.axes[0]
    return {line.get_label(): line for line in axis.lines if not line.get_label().startswith("_")}


def test_a_single_evaluation_is_drawn_as_a_marker_with_its_interval(tmp_path):
    workdir = write_run_dir(
        tmp_path / "one", runs=((0, {}), (1, {}), (2, {})), evals={100: [10.0, 20.0, 30.0]}
    )
    figure, notes = plot.make_figure([workdir], "eval/normalized_score")
    (line,) = drawn_lines(figure).values()
    assert line.get_marker() == "o" and line.get_xydata().tolist() == [[100.0, 20.0]]
    bars = [c for c in figure.axes[0].collections if len(c.get_segments()) == 1]
    (segment,) = bars[0].get_segments()
    half = stats.t.ppf(0.975, 2) * 10.0 / np.sqrt(3)
    assert segment[:, 1] == pytest.approx([20.0 - half, 20.0 + half])
    assert not notes


def test_the_band_is_the_95_percent_t_interval_over_seeds(tmp_path):
    scores = {10: [0.0, 2.0], 20: [1.0, 5.0], 30: [2.0, 2.0]}
    workdir = write_run_dir(tmp_path / "ci", runs=((0, {}), (1, {})), evals=scores)
    figure, _ = plot.make_figure([workdir], "eval/normalized_score")
    (line,) = drawn_lines(figure).values()
    assert line.get_ydata().tolist() == [1.0, 3.0, 2.0]
    (band,) = figure.axes[0].collections
    vertices = band.get_paths()[0].vertices
    half = stats.t.ppf(0.975, 1) * np.array([np.std(v, ddof=1) for v in scores.values()]) / np.sqrt(2)
    upper = {x: y for x, y in vertices if y >= 2.0 and x in (10, 20)}
    assert upper[10] == pytest.approx(1.0 + half[0]) and upper[20] == pytest.approx(3.0 + half[1])
    minmax, _ = plot.make_figure([workdir], "eval/normalized_score", band="minmax")
    ys = minmax.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.0) and ys.max() == pytest.approx(5.0)


def test_two_directories_of_one_algorithm_get_distinct_labels(tmp_path):
    evals = {10: [1.0], 20: [2.0]}
    first = write_run_dir(tmp_path / "a" / "iql", evals=evals)
    second = write_run_dir(tmp_path / "b" / "iql", evals=evals)
    other = write_run_dir(tmp_path / "bc", algo="bc", evals=evals)
    figure, _ = plot.make_figure([first, second, other], "eval/normalized_score")
    labels = sorted(drawn_lines(figure))
    assert labels == ["bc (1 seed)", "iql (a/iql) (1 seed)", "iql (b/iql) (1 seed)"]
    for line in drawn_lines(figure).values():
        assert np.isfinite(line.get_xydata()).all() and len(line.get_xydata()) == 2


def test_sweep_labels_name_only_the_swept_hyperparameters(tmp_path):
    runs = [(s, {"expectile": e, "temperature": 3.0}) for e in (0.6, 0.9) for s in (0, 1)]
    evals = {10: [1.0, 2.0, 3.0, 4.0], 20: [2.0, 3.0, 4.0, 5.0]}
    workdir = write_run_dir(tmp_path / "sweep", runs=runs, evals=evals)
    labels = sorted(drawn_lines(plot.make_figure([workdir], "eval/normalized_score")[0]))
    assert labels == ["iql expectile=0.6 (2 seeds)", "iql expectile=0.9 (2 seeds)"]
    # a job without results.json yet: the points come from the TensorBoard writer names
    os.remove(os.path.join(workdir, "results.json"))
    assert sorted(drawn_lines(plot.make_figure([workdir], "eval/normalized_score")[0])) == labels


def test_any_logged_scalar_and_an_unknown_one(tmp_path):
    workdir = write_run_dir(tmp_path / "loss", train={10: [0.5], 20: [0.25]}, evals={20: [1.0]})
    (line,) = drawn_lines(plot.make_figure([workdir], "critic/loss")[0]).values()
    assert line.get_ydata().tolist() == [0.5, 0.25]
    with pytest.raises(RunDirError) as error:
        plot.make_figure([workdir], "critic/los")
    assert "did you mean critic/loss" in str(error.value) and "\n" not in str(error.value)


def test_a_nan_metric_is_named_not_drawn_as_empty_axes(tmp_path):
    good = write_run_dir(tmp_path / "good", evals={10: [1.0], 20: [2.0]})
    nan = write_run_dir(tmp_path / "nan", algo="dac", evals={10: [None], 20: [float("nan")]})
    figure, notes = plot.make_figure([good, nan], "eval/normalized_score")
    assert list(drawn_lines(figure)) == ["iql (1 seed)"]
    assert any("nan" in n and "NaN or inf at every logged step" in n for n in notes)
    with pytest.raises(RunDirError) as error:
        plot.make_figure([nan], "eval/normalized_score")
    assert "NaN or inf at every logged step" in str(error.value)
    partial = write_run_dir(
        tmp_path / "partial", runs=((0, {}), (1, {})), evals={10: [1.0, None], 20: [2.0, 4.0]}
    )
    figure, notes = plot.make_figure([partial], "eval/normalized_score")
    (line,) = drawn_lines(figure).values()
    assert line.get_ydata().tolist() == [1.0, 3.0]
    assert any("1 of 4" in n for n in notes)


def test_duplicate_rows_and_directories_are_merged(tmp_path):
    duplicate = {"step": 10, "run": 0, "seed": 0, "eval/return": 1.0, "eval/normalized_score": 7.0}
    workdir = write_run_dir(tmp_path / "dup", evals={10: [5.0], 20: [6.0]}, extra_rows=[duplicate])
    figure, notes = plot.make_figure([workdir, workdir + "/", workdir], "eval/normalized_score")
    (line,) = drawn_lines(figure).values()
    assert line.get_label() == "iql (1 seed)" and line.get_ydata().tolist() == [7.0, 6.0]
    assert any("1 duplicate row" in n for n in notes)


def run_plot(*args):
    return subprocess.run(
        [sys.executable, os.path.join("launch", "plot.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_script_writes_the_figure_or_fails_in_one_line(tmp_path):
    workdir = write_run_dir(tmp_path / "run", evals={10: [1.0], 20: [2.0]})
    out = run_plot(workdir, f"--out={tmp_path / 'curves.png'}")
    assert out.returncode == 0 and (tmp_path / "curves.png").stat().st_size > 1000, out.stderr[-2000:]
    for args, message in (
        ([str(tmp_path / "missing")], "no such run directory"),
        ([str(tmp_path)], "holds no config.json"),
        ([workdir, "--metric=actor/loss"], "logged no 'actor/loss'"),
        ([], "give one or more run directories"),
    ):
        out = run_plot(*args, f"--out={tmp_path / 'bad.png'}")
        assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
        assert out.stderr.strip().startswith("error: ") and message in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "bad.png").exists()
