"""launch/gpu_check.sh (benchmark.py --suite=gpu) as a CPU smoke test, and benchmark.py's
interleaved A/B of the mish variants."""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_gpu_check_tiny_times_projects_and_skips_what_would_not_fit(tmp_path):
    out_file, copies = tmp_path / "gpu.json", tmp_path / "out"
    copies.mkdir()
    done = subprocess.run(
        [
            "bash",
            os.path.join(REPO, "launch", "gpu_check.sh"),
            "--tiny",
            "--runs=1,100000",
            f"--out={out_file}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PYTHON": sys.executable, "OUT": str(copies)},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = json.loads(out_file.read_text())
    assert json.loads((copies / "gpu.json").read_text()) == report, "copied into $OUT"
    assert report["machine"]["platform"] == "cpu" and report["suite"]["config"] == "toy"
    rows = [(r["agent"], r["phase"], r["runs"]) for r in report["results"]]
    assert rows == [("bc", "train", 1), ("idql", "critic", 1), ("idql", "actor", 1)]
    for row in report["results"]:
        assert row["seed_updates_per_s"] > 0 and row["compile_s"] > 0 and row["program_bytes"] > 0
    # 100 000 runs would take far longer than the budget: skipped, with the estimate
    skipped = [(s["agent"], s["phase"], s["runs"]) for s in report["skipped"]]
    assert skipped == [("bc", "train", 100000), ("idql", "critic", 100000), ("idql", "actor", 100000)]
    assert all("would take" in s["reason"] for s in report["skipped"])
    idql = report["projections"]["idql"]
    assert idql["from_runs"] == {"critic": 1, "actor": 1} and idql["config_steps"] == 6_000
    rates = {r["phase"]: r["seed_updates_per_s"] for r in report["results"] if r["agent"] == "idql"}
    # toy IDQL: 2 000 critic and 4 000 actor steps of its 6 000 (× 8 seeds, at the 1-run rate)
    expected = (2_000 / rates["critic"] + 4_000 / rates["actor"]) * 8 / 3600
    assert abs(idql["hours_config_steps_x8_seeds"] - expected) < 0.011
    assert report["elapsed_s"] < report["suite"]["budget_s"]


def test_benchmark_ab_interleaves_the_mish_variants(tmp_path):
    out_file = tmp_path / "ab.json"
    done = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "launch", "benchmark.py"),
            "--agents=idql",
            "--config=toy",
            "--phases=actor",
            "--runs=1",
            "--steps=2",
            "--repeats=2",
            "--dataset_size=2000",
            "--ab=mish",
            f"--out={out_file}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    fast, reference = json.loads(out_file.read_text())["results"]
    assert fast["variant"] == {"mish": "fast", "fast_dot": False, "threefry": "unrolled"}
    assert reference["variant"] == {"mish": "jax", "fast_dot": False, "threefry": "unrolled"}
    assert fast["program"] != reference["program"], "each variant traced with its own mish"
    assert len(fast["updates_per_s_each"]) == len(reference["speedup_each"]) == 2
    assert reference["speedup"] > 0 and "speedup" not in fast
