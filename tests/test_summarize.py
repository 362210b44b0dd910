"""launch/summarize.py and its aggregates: IQM and the stratified bootstrap interval against closed
forms (and rliable where it is installed), and tables of hand-written results.json files."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from jaxdiffrl.train.aggregate import iqm, mean, mean_ci95, stratified_bootstrap_ci
from jaxdiffrl.train.run_dirs import RunDirError
from jaxdiffrl.train.summary import markdown_table, summarize

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5  # cuts 2 at each end: mean of 3, 4, 5, 6
    assert iqm([1, 2, 3, 100]) == 2.5
    assert iqm([5.0]) == 5.0
    assert iqm(np.arange(12.0).reshape(4, 3)) == pytest.approx(np.mean(np.arange(3.0, 9.0)))  # pooled
    assert iqm([1, 2, 3, 4, 5]) == pytest.approx(3.0)  # floor(5/4) = 1 cut: mean of 2, 3, 4


def test_mean_ci95_is_the_t_interval_with_nan_left_out():
    centre, low, high = mean_ci95(
        np.array([[0.0, 2.0, np.nan], [1.0, 1.0, 1.0], [3.0, np.nan, np.nan]]), axis=1
    )
    half = stats.t.ppf(0.975, 1) * np.sqrt(2.0) / np.sqrt(2.0)
    assert centre.tolist() == [1.0, 1.0, 3.0]
    assert low[0] == pytest.approx(1.0 - half) and high[0] == pytest.approx(1.0 + half)
    assert low[1] == high[1] == 1.0 and np.isnan(low[2]) and np.isnan(high[2])


def test_the_bootstrap_interval_covers_the_statistic_and_is_stratified():
    sample = np.random.default_rng(3).normal(10.0, 2.0, size=20)
    low, high = stratified_bootstrap_ci(sample, mean, reps=5_000, seed=1)
    assert low < sample.mean() < high
    se = sample.std(ddof=1) / np.sqrt(sample.size)
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.2)  # the normal interval's width
    low, high = stratified_bootstrap_ci(sample, iqm, reps=5_000, seed=1)
    assert low < iqm(sample) < high
    assert stratified_bootstrap_ci([4.0], iqm) == (4.0, 4.0)
    assert stratified_bootstrap_ci(sample, iqm, reps=500, seed=7) == stratified_bootstrap_ci(
        sample, iqm, reps=500, seed=7
    )
    # runs are resampled within each task: two constant tasks give every replicate the same IQM
    tasks = np.stack([np.zeros(6), np.full(6, 10.0)], axis=1)
    assert stratified_bootstrap_ci(tasks, mean, reps=1_000) == (5.0, 5.0)
    median = stratified_bootstrap_ci(sample, lambda s: float(np.median(s)), reps=2_000)
    assert median[0] < np.median(sample) < median[1]  # any statistic, replicate by replicate


def test_iqm_and_interval_match_rliable():
    from rliable import library, metrics  # in the dev extra (with pandas < 3, which its arch needs)

    rng = np.random.default_rng(0)
    for scores in (rng.normal(50, 20, size=(10, 1)), rng.uniform(0, 100, size=(5, 3))):
        points, intervals = library.get_interval_estimates(
            {"x": scores}, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=20_000
        )
        assert iqm(scores) == pytest.approx(points["x"][0])
        low, high = stratified_bootstrap_ci(scores, iqm, reps=20_000)
        width = intervals["x"][1, 0] - intervals["x"][0, 0]
        assert low == pytest.approx(intervals["x"][0, 0], abs=0.05 * width)
        assert high == pytest.approx(intervals["x"][1, 0], abs=0.05 * width)


def write_job(path, algo, dataset, runs, history=None, selection=None, online=None, throughput=(100.0, 60.0)):
    """A finished job's run directory; ``runs``: (seed, hparams, final score[, status])."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"algo": algo, "dataset": dataset}))
    entries = []
    for index, (seed, hparams, score, *status) in enumerate(runs):
        status = status[0] if status else "finished"
        entries.append(
            {
                "run": index,
                "seed": seed,
                "hparams": hparams,
                "status": status,
                "normalized_score": score if status == "finished" else None,
                "return": None if score is None else score / 100,
            }
        )
    if history is None:
        history = [{"step": 10, "normalized_score": [r[2] for r in runs], "return": [0.0] * len(runs)}]
    results = {
        "algo": algo,
        "dataset": dataset,
        "status": "finished",
        "updates_per_s": throughput[0],
        "wall_time_s": throughput[1],
        "runs": entries,
        "eval_history": history,
    }
    if selection is not None:
        results["model_selection"] = {
            "runs": [{"run": i, "offline": {"step": step, "score": None}} for i, step in enumerate(selection)]
        }
    if online is not None:
        results["online"] = {"runs": [{"run": i, "normalized_score": s} for i, s in enumerate(online)]}
    (path / "results.json").write_text(json.dumps(results))
    return str(path)


def rows_by(summary):
    return {(r["algo"], r["dataset"], tuple(sorted(r["point"].items()))): r for r in summary["rows"]}


def test_one_row_per_algorithm_dataset_and_sweep_point(tmp_path):
    first = write_job(tmp_path / "iql-a", "iql", "umaze", [(0, {"expectile": 0.7, "t": 3.0}, 10.0)])
    second = write_job(
        tmp_path / "iql-b",
        "iql",
        "umaze",
        [(1, {"expectile": 0.7, "t": 3.0}, 20.0), (2, {"expectile": 0.7, "t": 3.0}, 60.0)],
        throughput=(300.0, 20.0),
    )
    sweep = write_job(
        tmp_path / "sweep",
        "iql",
        "medium",
        [(s, {"expectile": e, "t": 3.0}, 10.0 * s + 100 * e) for e in (0.6, 0.9) for s in (0, 1)],
    )
    summary = summarize([first, second, sweep], reps=2_000)
    rows = rows_by(summary)
    pooled = rows[("iql", "umaze", ())]
    assert pooled["seeds"] == [0, 1, 2] and pooled["runs"] == 3
    final = pooled["final"]
    assert final["n"] == 3 and final["mean"] == pytest.approx(30.0)
    assert final["std"] == pytest.approx(np.std([10.0, 20.0, 60.0], ddof=1))
    assert final["iqm"] == pytest.approx(30.0)  # 3 values: nothing cut
    assert final["iqm_ci95"] == list(stratified_bootstrap_ci([10.0, 20.0, 60.0], iqm, reps=2_000))
    assert pooled["updates_per_s"] == 200.0 and pooled["wall_time_s"] == 40.0  # mean over its 2 jobs
    assert pooled["offline"] is None and pooled["fine_tuned"] is None
    assert [(r["seed"], r["final"]) for r in pooled["per_run"]] == [(0, 10.0), (1, 20.0), (2, 60.0)]
    low = rows[("iql", "medium", (("expectile", 0.6),))]
    high = rows[("iql", "medium", (("expectile", 0.9),))]  # t is not swept: not in the point
    assert low["final"]["mean"] == pytest.approx(65.0) and high["final"]["mean"] == pytest.approx(95.0)
    table = markdown_table(summary)
    assert "| iql | medium | expectile=0.6 | 0,1 | 65.0 ± 7.1 |" in table
    assert "t=3" not in table and "offline-selected" not in table


def test_offline_selected_online_best_and_fine_tuned_scores(tmp_path):
    history = [
        {"step": 10, "normalized_score": [30.0, 5.0], "return": [0.0, 0.0]},
        {"step": 20, "normalized_score": [10.0, 40.0], "return": [0.0, 0.0]},
        {"step": 30, "normalized_score": [20.0, None], "return": [0.0, 0.0]},
    ]
    workdir = write_job(
        tmp_path / "dql",
        "diffusion_ql",
        "umaze",
        [(0, {}, 20.0), (1, {}, 25.0)],
        history=history,
        selection=[10, 20],
        online=[70.0, 80.0],
    )
    (row,) = summarize([workdir], reps=1_000)["rows"]
    assert row["final"]["mean"] == pytest.approx(22.5)
    assert row["offline"]["mean"] == pytest.approx(35.0)  # 30 at step 10, 40 at step 20
    assert row["online_best"]["mean"] == pytest.approx(35.0)  # the best evaluation of each run
    assert row["fine_tuned"]["mean"] == pytest.approx(75.0)
    table = markdown_table(summarize([workdir], reps=1_000))
    for title in ("final", "offline-selected", "online-best", "fine-tuned online"):
        assert f"{title} mean ± std" in table and f"{title} IQM [95 % CI]" in table


def test_unfinished_runs_are_counted_not_scored_and_jobs_without_results_named(tmp_path):
    workdir = write_job(
        tmp_path / "dac", "dac", "umaze", [(0, {}, 50.0), (1, {}, None, "diverged"), (2, {}, 70.0)]
    )
    (tmp_path / "unfinished").mkdir()
    (tmp_path / "unfinished" / "config.json").write_text(json.dumps({"algo": "dac", "dataset": "umaze"}))
    summary = summarize([str(tmp_path)], reps=1_000)  # a folder of run directories
    (row,) = summary["rows"]
    assert row["runs"] == 3 and row["final"]["n"] == 2 and row["final"]["mean"] == pytest.approx(60.0)
    assert row["unfinished"] == {"diverged": 1}
    assert "| dac | umaze | – | 0,1,2 (1 diverged) | 60.0 ± 14.1 |" in markdown_table(summary)
    assert summary["notes"] == [f"{tmp_path / 'unfinished'}: no results.json (an unfinished job); left out."]
    assert row["workdirs"] == [workdir]


def test_an_all_datasets_row_stratifies_by_dataset(tmp_path):
    a = write_job(tmp_path / "a", "bc", "umaze", [(0, {}, 0.0), (1, {}, 0.0), (2, {}, 0.0)])
    b = write_job(tmp_path / "b", "bc", "medium", [(0, {}, 10.0), (1, {}, 10.0), (2, {}, 10.0)])
    summary = summarize([a, b], reps=1_000)
    pooled = rows_by(summary)[("bc", "all (2)", ())]
    assert pooled["final"]["n"] == 6 and pooled["final"]["iqm"] == pytest.approx(5.0)
    assert pooled["final"]["iqm_ci95"] == [5.0, 5.0]  # runs resampled within each dataset
    assert pooled["datasets"] == ["umaze", "medium"]


def test_a_value_set_per_dataset_still_pools_and_is_named(tmp_path):
    """QDQ's maze config sets γ_ent per maze: its datasets pool into one `all` row (grouped by
    sweep point, not by every hyperparameter), and the table says which value differs where."""
    umaze = [(s, {"beta": 0.9, "gamma_ent": 1.0}, 10.0) for s in range(3)]
    medium = [(s, {"beta": 0.9, "gamma_ent": 0.3}, 30.0) for s in range(3)]
    a = write_job(tmp_path / "a", "qdq", "umaze", umaze)
    b = write_job(tmp_path / "b", "qdq", "medium", medium)
    summary = summarize([a, b], reps=1_000)
    pooled = rows_by(summary)[("qdq", "all (2)", ())]
    assert pooled["final"]["n"] == 6 and pooled["final"]["mean"] == pytest.approx(20.0)
    assert pooled["hparams"] == {"beta": 0.9}
    assert pooled["per_dataset"] == {"gamma_ent": {"umaze": 1.0, "medium": 0.3}}
    table = markdown_table(summary)
    assert "| qdq | all (2) | – | 6 | 20.0 ± 11.0 |" in table
    assert "set these values per dataset: qdq gamma_ent (umaze 1.0, medium 0.3)." in table
    # a sweep's points still pool point by point
    c = write_job(tmp_path / "c", "iql", "umaze", [(0, {"expectile": e}, 10 * e) for e in (0.7, 0.9)])
    d = write_job(tmp_path / "d", "iql", "medium", [(0, {"expectile": e}, 20 * e) for e in (0.7, 0.9)])
    rows = rows_by(summarize([c, d], reps=1_000))
    assert rows[("iql", "all (2)", (("expectile", 0.9),))]["final"]["mean"] == pytest.approx(13.5)
    assert rows[("iql", "all (2)", (("expectile", 0.9),))]["per_dataset"] == {}


def run_summarize(*args):
    return subprocess.run(
        [sys.executable, os.path.join("launch", "summarize.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_script_writes_markdown_and_json_or_fails_in_one_line(tmp_path):
    workdir = write_job(tmp_path / "runs" / "iql", "iql", "umaze", [(0, {}, 10.0), (1, {}, 30.0)])
    out = run_summarize(
        workdir, f"--out={tmp_path / 'table.md'}", f"--json={tmp_path / 'table.json'}", "--reps=500"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    table = (tmp_path / "table.md").read_text()
    assert table == out.stdout and "| iql | umaze | – | 0,1 | 20.0 ± 14.1 |" in table
    (row,) = json.loads((tmp_path / "table.json").read_text())["rows"]
    assert row["final"]["mean"] == 20.0 and row["updates_per_s"] == 100.0
    for args, message in (
        ([str(tmp_path / "missing")], "no such run directory"),
        ([str(tmp_path / "table.json")], "no such run directory"),
        ([], "give one or more run directories"),
    ):
        out = run_summarize(*args)
        assert out.returncode != 0 and "Traceback" not in out.stderr
        assert out.stderr.strip().startswith("error: ") and message in out.stderr, out.stderr
    (tmp_path / "empty").mkdir()
    out = run_summarize(str(tmp_path / "empty"))
    assert out.returncode != 0 and "holds no run directory" in out.stderr


def test_summarize_refuses_unknown_scores_and_missing_directories(tmp_path):
    with pytest.raises(ValueError):
        summarize([str(tmp_path)], score="success")
    with pytest.raises(RunDirError):
        summarize([str(tmp_path / "nope")])
