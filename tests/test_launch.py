"""Smoke runs of the launch scripts as a user runs them, and their handling of bad input."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = [
    "--config.max_steps=20",
    "--config.log_interval=10",
    "--config.eval_interval=20",
    "--config.checkpoint_interval=20",
    "--config.eval_episodes=2",
    "--config.batch_size=16",
    "--progress=false",
]


def launch(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "launch", script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
    )


def test_train_iql_on_the_maze(tiny_maze_dataset, tmp_path):
    workdir = tmp_path / "iql"
    out = launch(
        "train_iql.py",
        *TINY,
        "--seeds=2",
        "--seed=3",
        f"--workdir={workdir}",
        "--config.agent.critic.hidden_dims=(16,16)",
        "--config.agent.actor_hidden_dims=(16,16)",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((workdir / "results.json").read_text())
    for key in ("algo", "dataset", "seeds", "steps", "wall_time_s", "updates_per_s"):
        assert key in results, key
    assert results["algo"] == "iql" and results["dataset"] == "pointmaze-umaze"
    assert results["seeds"] == [3, 4] and results["steps"] == 20
    for entry in results["runs"]:
        assert isinstance(entry["normalized_score"], float) and isinstance(entry["return"], float)
    assert "seed 3: normalized score" in out.stdout and "seed 4: normalized score" in out.stdout
    assert (workdir / "metrics.jsonl").exists() and (workdir / "config.json").exists()
    assert len(list((workdir / "tb").iterdir())) == 2, "one TensorBoard writer per run"


def test_train_bc_diffusion_and_sweep_errors(tmp_path):
    out = launch(
        "train_bc.py",
        "--config=configs/bc/toy.py:bandit-dql-4mode",
        *TINY,
        f"--workdir={tmp_path / 'bc'}",
        "--config.agent.diffusion.hidden_dims=(16,16)",
        "--config.agent.diffusion.num_steps=5",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / "bc" / "results.json").read_text())["algo"] == "bc"
    bad_sweep = launch("train_bc.py", "--config=configs/bc/toy.py", *TINY, "--sweep=lr=0.1,0.2")
    assert bad_sweep.returncode != 0 and "not a sweepable hyperparameter" in bad_sweep.stderr


def test_sweep_makes_seeds_times_points(tmp_path):
    workdir = tmp_path / "sweep"
    out = launch(
        "train_iql.py",
        "--config=configs/iql/toy.py",
        *TINY,
        "--seeds=2",
        "--sweep=expectile=0.6,0.9",
        f"--workdir={workdir}",
        "--config.agent.critic.hidden_dims=(8,)",
        "--config.agent.actor_hidden_dims=(8,)",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    runs = json.loads((workdir / "results.json").read_text())["runs"]
    assert [(r["seed"], r["hparams"]["expectile"]) for r in runs] == [(0, 0.6), (1, 0.6), (0, 0.9), (1, 0.9)]
    plot = launch("plot.py", str(workdir), f"--out={tmp_path / 'curves.png'}")
    assert plot.returncode == 0, plot.stderr[-3000:]
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_bad_input_fails_with_one_clear_line(tmp_path):
    unknown_key = launch("train_iql.py", "--config.agent.expectile=0.9")
    assert unknown_key.returncode != 0
    assert "unknown config key 'agent.expectile'" in unknown_key.stderr and "hparams" in unknown_key.stderr
    assert "Traceback" not in unknown_key.stderr
    missing = launch(
        "train_iql.py", "--config.dataset=mujoco/hopper/medium-v0", f"--workdir={tmp_path / 'x'}"
    )
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "mujoco/hopper/medium-v0" in missing.stderr and "minari download" in missing.stderr
    assert not (tmp_path / "x").exists(), "nothing is written for a job that cannot start"


def test_make_dataset_writes_skips_and_overwrites(tmp_path):
    env_path = tmp_path / "minari"
    os.environ["MINARI_DATASETS_PATH"], saved = str(env_path), os.environ["MINARI_DATASETS_PATH"]
    try:
        args = ["--dataset=pointmaze-umaze", "--transitions=600", "--progress=false"]
        first = launch("make_dataset.py", *args)
        assert first.returncode == 0, first.stderr[-3000:]
        assert (
            "Wrote pointmaze-umaze" in first.stdout
            and (env_path / "jaxdiffrl" / "pointmaze-umaze-v0").is_dir()
        )
        again = launch("make_dataset.py", *args)
        assert again.returncode == 0 and "exists" in again.stdout
        overwritten = launch("make_dataset.py", *args, "--overwrite", "--seed=1")
        assert overwritten.returncode == 0 and "Wrote pointmaze-umaze" in overwritten.stdout
    finally:
        os.environ["MINARI_DATASETS_PATH"] = saved


def test_a_used_workdir_is_never_overwritten(tmp_path):
    workdir = tmp_path / "run"
    args = [
        "--config=configs/iql/toy.py",
        *TINY,
        f"--workdir={workdir}",
        "--config.agent.critic.hidden_dims=(8,)",
        "--config.agent.actor_hidden_dims=(8,)",
    ]
    assert launch("train_iql.py", *args).returncode == 0
    before = (workdir / "metrics.jsonl").read_text()
    again = launch("train_iql.py", *args)
    assert again.returncode != 0 and "already holds a run" in again.stderr
    changed = launch("train_iql.py", *args, "--resume", "--config.agent.hparams.expectile=0.9")
    assert (
        changed.returncode != 0
        and "agent.hparams.expectile" in changed.stderr
        and "Traceback" not in changed.stderr
    )
    assert (workdir / "metrics.jsonl").read_text() == before, "refused jobs leave the run's logs as they were"
    assert json.loads((workdir / "config.json").read_text())["agent"]["hparams"]["expectile"] == 0.7


def test_benchmark_times_each_phase(tmp_path):
    out_file = tmp_path / "bench.json"
    out = launch(
        "benchmark.py", "--agents=bc,idql", "--runs=1", "--steps=2", "--repeats=1", f"--out={out_file}"
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out_file.read_text())
    assert report["machine"]["platform"] == "cpu" and report["machine"]["cpu_count"] > 0
    rows = [(r["agent"], r["phase"], r["runs"]) for r in report["results"]]
    assert rows == [("bc", "train", 1), ("idql", "critic", 1), ("idql", "actor", 1)]
    assert all(
        r["updates_per_s"] > 0 and r["seed_updates_per_s"] == r["updates_per_s"] for r in report["results"]
    )


SMALL_PHASES = [
    "--config.log_interval=10",
    "--config.eval_interval=10",
    "--config.checkpoint_interval=10",
    "--config.eval_episodes=2",
    "--config.batch_size=16",
    "--config.max_steps=30",
    "--progress=false",
]


MULTI_PHASE = {  # tiny phases of each multi-phase agent
    "qdq": [
        "--config.agent.denoiser_steps=10",
        "--config.agent.consistency_steps=10",
        "--config.agent.uncertainty_samples=4",
        "--config.agent.return_model.hidden_dims=(16,16,16)",
        "--config.agent.return_model.group_norm=4",
        "--config.agent.critic_hidden_dims=(16,16)",
        "--config.agent.actor_hidden_dims=(16,16)",
    ],
    "sfbc": [
        "--config.agent.behaviour_steps=10",
        "--config.agent.critic_steps=10",
        "--config.agent.behaviour_batch_size=16",
        "--config.agent.critic_batch_size=16",
        "--config.agent.behaviour.widths=(16,8,4)",
        "--config.agent.behaviour.condition_dim=16",
        "--config.agent.critic_hidden_dims=(16,16)",
        "--config.agent.planning_samples=2",
        "--config.agent.num_candidates=4",
        "--config.agent.top_k=1",
        "--config.agent.solver.steps=3",
    ],
    "cped": [
        "--config.agent.flow_gan_steps=10",
        "--config.agent.flow_gan.hidden_dims=(16,16)",
        "--config.agent.critic_hidden_dims=(16,16)",
        "--config.agent.actor_hidden_dims=(16,16)",
    ],
}


@pytest.mark.parametrize("name", sorted(MULTI_PHASE))
def test_train_qdq_sfbc_and_cped_on_the_maze(name, tiny_maze_dataset, tmp_path):
    """The multi-phase agents run from their launch scripts with tiny phases, one seed each (one
    test per agent, so that xdist can run them side by side)."""
    out = launch(f"train_{name}.py", *SMALL_PHASES, f"--workdir={tmp_path / name}", *MULTI_PHASE[name])
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((tmp_path / name / "results.json").read_text())
    assert results["algo"] == name and results["steps"] == 30
    assert [h["step"] for h in results["eval_history"]][-1] == 30
