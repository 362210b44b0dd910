"""launch/benchmark.py --suite=eval_share --tiny as an in-process CPU smoke test, and the schedule
it projects evaluations from."""

import importlib.util
import json
import os
import sys
from types import SimpleNamespace

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def benchmark_module():
    """launch/benchmark.py as a module (its absl flags are defined once per process)."""
    name = "jaxdiffrl_launch_benchmark"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, "launch", "benchmark.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_eval_schedule_follows_the_engine():
    schedule = benchmark_module().eval_schedule
    phase = lambda name, steps, evaluate=True: SimpleNamespace(name=name, steps=steps, evaluate=evaluate)  # noqa: E731
    config = SimpleNamespace(log_interval=1_000, eval_interval=3_000)
    # SfBC's maze schedule: no evaluation while the behaviour model trains, then every 3k and the end
    sfbc = [phase("behaviour", 10_000, False), phase("planning_1", 3_000), phase("planning_2", 3_000)]
    assert schedule(sfbc, config) == [12_000, 15_000, 16_000]
    # chunks end at phase ends off the log grid too; an eval_interval multiple is only hit on the grid
    config = SimpleNamespace(log_interval=1_000, eval_interval=2_000)
    assert schedule([phase("critic", 1_500), phase("actor", 2_500)], config) == [2_000, 4_000]
    assert schedule([phase("a", 5_000, False)], config) == [5_000]  # the last step always evaluates


def test_eval_share_tiny_writes_rows_profile_and_table(tmp_path):
    benchmark = benchmark_module()
    out = tmp_path / "eval-share.json"
    flags = benchmark.FLAGS
    flags.unparse_flags()
    minari = tmp_path / "minari"
    flags(["benchmark.py", "--suite=eval_share", "--tiny", f"--out={out}", f"--minari_dir={minari}"])
    saved = os.environ.get("MINARI_DATASETS_PATH")
    try:
        benchmark.main([])
    finally:
        flags.unparse_flags()
    assert os.environ.get("MINARI_DATASETS_PATH") == saved, "the Minari folder is restored"
    report = json.loads(out.read_text())
    assert report["machine"]["platform"] == "cpu" and not report["skipped"]
    rows = [(r["algo"], r["config"], r["dataset"]) for r in report["results"]]
    assert rows == [
        ("bc", "configs/bc/maze.py", "pointmaze-umaze"),
        ("bc", "configs/bc/locomotion.py", "hopper-random"),
    ]
    maze, locomotion = report["results"]
    assert maze["eval_steps"] == [10_000, 20_000, 30_000] and maze["evals"] == 3
    assert maze["dataset_size"] == 2_000 and maze["vector_steps"] == maze["max_episode_steps"] == 300
    assert maze["t_eval_projected_s"] == maze["t_eval_s"], "PointMaze episodes run to the time limit"
    assert locomotion["evals"] == 200 and locomotion["max_episode_steps"] == 1_000
    for row in report["results"]:
        assert row["t_eval_s"] > 0 and row["env_s"] > 0 and row["act_compiled_in_timed_eval"] == 0
        assert all(p["updates_per_s"] > 0 for p in row["phases"])
        expected = row["eval_s_projected"] / (row["eval_s_projected"] + row["train_s_projected"])
        assert 0 < row["share"] < 1 and abs(row["share"] - expected) < 1e-3
    first, second = report["profile"]["evaluations"]
    assert first["act_cache_entries_added"] == 1 and first["backend_compiles"] >= 1
    assert second["act_cache_entries_added"] == 0 and second["traces"] == second["backend_compiles"] == 0
    table = (tmp_path / "eval-share.md").read_text()
    assert "| bc | pointmaze-umaze (maze.py) | 3 |" in table and "## Profile: bc on pointmaze-umaze" in table
