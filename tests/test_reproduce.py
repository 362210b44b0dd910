"""launch/reproduce.py: the suites' commands (dry run), the GPU suite's refusal on a CPU, and one
tiny real suite (BC and IQL on the tiny maze) that writes its report and skips both jobs the
second time."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

from jaxdiffrl.train.machine import label as machine_label

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("bc", "iql", "idql", "acd", "diffusion_ql", "dac", "td3_bc", "sfbc", "qdq", "cped")
LOCOMOTION = [
    f"{env}-{level}"
    for env in ("hopper", "walker2d", "halfcheetah")
    for level in ("medium", "medium-replay", "medium-expert")
]
TINY = [
    f"--extra={flag}"
    for flag in (
        "--config.max_steps=20",
        "--config.log_interval=10",
        "--config.eval_interval=20",
        "--config.checkpoint_interval=20",
        "--config.eval_episodes=2",
        "--config.batch_size=16",
    )
]


def reproduce(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, os.path.join("launch", "reproduce.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
    )


def train_commands(stdout: str) -> list[dict]:
    """The dry run's training lines, parsed: script, config file, dataset, workdir."""
    jobs = []
    for line in stdout.splitlines():
        if "launch/train_" not in line:
            continue
        words = shlex.split(line, comments=True)
        options = dict(w[2:].split("=", 1) for w in words[2:] if w.startswith("--") and "=" in w)
        config, _, dataset = options["config"].partition(":")
        jobs.append(
            {"script": words[1], "config": config, "dataset": dataset, "workdir": options["workdir"],
             "seeds": options["seeds"], "line": line}
        )  # fmt: skip
    return jobs


def check_jobs(jobs: list[dict], domain: str, datasets: list[str], root: str) -> None:
    assert len(jobs) == len(METHODS) * len(datasets)
    pairs = set()
    for job in jobs:
        algo = re.fullmatch(r"launch/train_(\w+)\.py", job["script"]).group(1)
        assert os.path.exists(os.path.join(REPO, job["script"])), job["line"]
        assert job["config"] == f"configs/{algo}/{domain}.py", job["line"]
        assert os.path.exists(os.path.join(REPO, job["config"])), job["line"]
        assert job["workdir"] == f"{root}/{algo}/{job['dataset']}" and job["seeds"] == "3"
        assert f"# -> {job['workdir']}" in job["line"], "the output folder is named"
        pairs.add((algo, job["dataset"]))
    assert pairs == {(algo, dataset) for algo in METHODS for dataset in datasets}


def test_dry_run_lists_one_command_per_method_and_dataset_and_runs_nothing(tmp_path):
    maze = reproduce("--suite=maze-cpu", "--dry-run", f"--out={tmp_path / 'maze.md'}")
    assert maze.returncode == 0, maze.stderr[-3000:]
    check_jobs(train_commands(maze.stdout), "maze", ["pointmaze-umaze", "pointmaze-medium"],
               "runs/reproduce/maze-cpu")  # fmt: skip
    for dataset in ("pointmaze-umaze", "pointmaze-medium"):
        assert f"launch/make_dataset.py --dataset={dataset} --seed=0" in maze.stdout
    gpu = reproduce("--suite=gpu", "--dry-run", "--extra=--config.max_steps=200")
    assert gpu.returncode == 0, gpu.stderr[-3000:]
    jobs = train_commands(gpu.stdout)
    check_jobs(jobs, "locomotion", LOCOMOTION, "runs/reproduce/gpu")
    assert all(job["line"].split("  #")[0].endswith(" --config.max_steps=200") for job in jobs)
    one = reproduce("--dry-run", "--only=bc", "--datasets=pointmaze-umaze", f"--root={tmp_path / 'r'}")
    assert one.returncode == 0, one.stderr[-3000:]
    [job] = train_commands(one.stdout)
    assert job["script"] == "launch/train_bc.py" and job["config"] == "configs/bc/maze.py"
    assert job["dataset"] == "pointmaze-umaze" and job["workdir"] == f"{tmp_path}/r/bc/pointmaze-umaze"
    assert not (tmp_path / "r").exists() and not (tmp_path / "maze.md").exists()
    bad = reproduce("--dry-run", "--only=bc,nope")
    assert bad.returncode != 0 and "unknown method(s) nope" in bad.stderr and "Traceback" not in bad.stderr


def test_the_gpu_suite_refuses_to_run_without_a_gpu(tmp_path):
    out = reproduce("--suite=gpu", "--only=bc", "--datasets=hopper-medium", f"--root={tmp_path / 'r'}")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: --suite=gpu needs a GPU (jax.default_backend() is 'cpu'); --dry-run lists its commands."
    ]
    assert not (tmp_path / "r").exists()


def test_a_tiny_suite_runs_reports_and_skips_finished_jobs(tiny_maze_dataset, tmp_path):
    root, out = tmp_path / "runs", tmp_path / "results" / "maze.md"
    args = ["--only=bc,iql", "--datasets=pointmaze-umaze", "--seeds=2", f"--root={root}", f"--out={out}",
            "--reps=1000", *TINY]  # fmt: skip
    first = reproduce(*args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for algo in ("bc", "iql"):
        line = rf"\[\d/2\] {algo} on pointmaze-umaze: done in \d+ s, normalized score "
        assert re.search(line, first.stdout), first.stdout
        results = json.loads((root / algo / "pointmaze-umaze" / "results.json").read_text())
        assert results["steps"] == 20 and results["seeds"] == [0, 1]
        assert (root / "logs" / algo / "pointmaze-umaze.log").exists()
    assert "total wall time" in first.stdout
    markdown = out.read_text()
    for algo in ("bc", "iql"):
        assert re.search(rf"^\| {algo} \| pointmaze-umaze \| – \| 0,1 \| ", markdown, re.M), algo
        assert re.search(rf"^\| {algo} \| pointmaze-umaze \| ran \| \d+ s \| ", markdown, re.M), algo
    assert "Total wall time" in markdown and f"{os.cpu_count()} CPU cores" in markdown
    suite_time = r"^Suite time, the jobs' own wall times \(results.json\) summed: \d+ s\.$"
    assert re.search(suite_time, markdown, re.M), markdown
    verdict = re.search(r"^- pointmaze-umaze: BC's mean final score (-?[\d.]+); (.*)\.$", markdown, re.M)
    assert verdict, markdown
    rows = json.loads(out.with_suffix(".json").read_text())["summary"]["rows"]
    iql = next(r["final"] for r in rows if r["algo"] == "iql")
    bc_mean = float(verdict[1])
    if iql["mean"] <= bc_mean:
        assert verdict[2] == f"not above it: iql ({iql['mean']:.1f})"
    else:
        assert verdict[2].startswith("every other method's mean is above it")
        close = iql["iqm_ci95"][0] <= bc_mean
        assert ("by less than their spread: iql" in verdict[2]) == close, verdict[2]
    assert "3,000 transitions (not the default 100,000), generator seed 0" in markdown
    report = json.loads(out.with_suffix(".json").read_text())
    assert [job["status"] for job in report["jobs"]] == ["ran", "ran"]
    assert {row["algo"] for row in report["summary"]["rows"]} == {"bc", "iql"}
    assert report["total_wall_s"] > 0 and report["machine"]["cores"] == os.cpu_count()
    here = machine_label(results["machine"])
    assert results["machine"]["cores"] == os.cpu_count() and results["machine"]["backend"] == "cpu"
    assert f"- The jobs' machines (their results.json): {here} (2 jobs)" in markdown, markdown
    assert "more than one machine" not in markdown
    code = json.loads((root / "iql" / "pointmaze-umaze" / "run.json").read_text())["code_version"]["git"]
    assert f"- The jobs' code (their run.json): {code} (2 jobs)" in markdown, markdown
    assert results["resumed_from_step"] == 0 and results["total_wall_time_s"] >= results["wall_time_s"]

    again = reproduce(*args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.stdout.count("holds a finished run") == 2 and "done in" not in again.stdout
    assert [job["status"] for job in json.loads(out.with_suffix(".json").read_text())["jobs"]] == [
        "skipped",
        "skipped",
    ]
    assert re.search(r"^\| iql \| pointmaze-umaze \| – \| 0,1 \| ", out.read_text(), re.M)

    # A suite finished over two sessions on different hosts says where each part ran.
    moved = root / "iql" / "pointmaze-umaze" / "results.json"
    results = json.loads(moved.read_text())
    results["machine"] = {**results["machine"], "cpu_model": "Another CPU 9000"}
    # … resumed there after a segment that left no record of its time, from other code
    results.update(resumed_from_step=10, total_wall_time_s=None, wall_time_s=7.0)
    moved.write_text(json.dumps(results))
    started = moved.parent / "run.json"
    run_json = json.loads(started.read_text())
    run_json["code_version"]["git"] = "0123abcd-dirty"
    started.write_text(json.dumps(run_json))
    third = reproduce(*args)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    markdown = out.read_text()
    assert f"{here} (1 job); Another CPU 9000, {os.cpu_count()} cores (1 job)" in markdown, markdown
    assert "The jobs ran on more than one machine" in markdown
    assert f"- The jobs' code (their run.json): {code} (1 job); 0123abcd-dirty (1 job)" in markdown
    assert "started from more than one code version" in markdown
    assert re.search(r"^\| iql \| pointmaze-umaze \| – \| 0,1 \| .* \| ≥ 7 s \|$", markdown, re.M), markdown
    assert re.search(
        r"summed: at least \d+ s \(iql on pointmaze-umaze: the last segment only\)\.$", markdown, re.M
    )
    assert "| iql | pointmaze-umaze | skipped | 0 s | ≥ 7 s |" in markdown

    shutil.rmtree(root / "bc" / "pointmaze-umaze")  # bc fails this time, and the suite goes on to iql
    failed = reproduce(*args, "--extra=--config.nonexistent=1")
    assert failed.returncode == 1, failed.stdout[-3000:] + failed.stderr[-3000:]
    line = r"\[1/2\] bc on pointmaze-umaze: FAILED \(exit 1\) after \d+ s: error: unknown config key"
    assert re.search(line, failed.stdout), failed.stdout
    assert "[2/2] iql on pointmaze-umaze: skipped" in failed.stdout
    assert failed.stderr.strip().splitlines()[-1] == "error: 1 of 2 job(s) failed: bc on pointmaze-umaze"
    assert re.search(r"^\| bc \| pointmaze-umaze \| failed: error: unknown config key", out.read_text(), re.M)
