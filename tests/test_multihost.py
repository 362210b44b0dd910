"""Two processes, one job: a loopback coordinator, CPU collectives, 2 fake devices per process.

A 4-run IQL job trained by two processes (each holding 2 runs on its 2 devices), stopped half
way and continued with a two-process ``--resume``, must give the per-run results of the same
job trained uninterrupted in one process with 4 devices.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [
    "--config.max_steps=40",
    "--config.log_interval=10",
    "--config.eval_interval=20",
    "--config.checkpoint_interval=20",
    "--config.eval_episodes=2",
    "--config.batch_size=16",
    "--config.agent.critic.hidden_dims=(16,16)",
    "--config.agent.actor_hidden_dims=(16,16)",
    "--seeds=4",
    "--progress=false",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def env_with_devices(count: int) -> dict:
    return {
        **os.environ,
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={count}",
        "JAX_PLATFORMS": "cpu",
    }


def two_processes(*args: str, timeout: int = 300) -> list[subprocess.CompletedProcess]:
    """``launch/train_iql.py`` as processes 0 and 1 of one job; their outputs."""
    address = f"localhost:{free_port()}"
    script = os.path.join(REPO, "launch", "train_iql.py")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                script,
                *ARGS,
                *args,
                f"--coordinator_address={address}",
                "--num_processes=2",
                f"--process_id={i}",
            ],
            cwd=REPO,
            env=env_with_devices(2),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    outs = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=timeout)
            outs.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    finally:
        for proc in procs:
            proc.kill()
    return outs


def per_run(results: dict) -> list[dict]:
    return [
        {
            "seed": r["seed"],
            "normalized_score": r["normalized_score"],
            "return": r["return"],
            **r["final_metrics"],
        }
        for r in results["runs"]
    ]


def assert_same_runs(a: dict, b: dict, tol: float = 1e-5) -> None:
    for x, y in zip(per_run(a), per_run(b), strict=True):
        assert x.keys() == y.keys()
        for key in x:
            assert x[key] == pytest.approx(y[key], rel=tol, abs=tol), key


def test_two_processes_equal_one_process_and_resume(tiny_maze_dataset, tmp_path):
    script = os.path.join(REPO, "launch", "train_iql.py")
    single = subprocess.run(
        [sys.executable, script, *ARGS, f"--workdir={tmp_path / 'one'}"],
        cwd=REPO, env=env_with_devices(4), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    one = json.loads((tmp_path / "one" / "results.json").read_text())
    assert one["num_devices"] == 4

    # two processes, stopped after 20 updates, then resumed as two processes
    cut = f"--workdir={tmp_path / 'two'}"
    outs = two_processes(cut, "--stop_after=20")
    for out in outs:
        assert out.returncode == 0, out.stderr[-3000:]
    assert "on 2 processes" in outs[0].stdout
    assert not [line for line in outs[1].stdout.splitlines() if not line.startswith("[Gloo]")], (
        "process 0 alone prints (the gloo library's own connection lines aside)"
    )
    assert not (tmp_path / "two" / "results.json").exists()
    names = sorted(os.listdir(tmp_path / "two" / "checksums"))
    assert names == ["20.process0.json", "20.process1.json"], "each process checksums the rows it holds"
    outs = two_processes(cut, "--resume")
    for out in outs:
        assert out.returncode == 0, out.stderr[-3000:]
    assert "Resumed from the checkpoint at step 20" in outs[0].stdout

    two = json.loads((tmp_path / "two" / "results.json").read_text())
    assert two["num_devices"] == 4 and two["seeds"] == [0, 1, 2, 3]
    assert_same_runs(one, two)
    assert [h["step"] for h in two["eval_history"]] == [20, 40]
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "two" / "tb").iterdir()) == [
        "run000", "run001", "run002", "run003",
    ], "each process writes the TensorBoard logs of the runs it holds"  # fmt: skip
    rows = [json.loads(line) for line in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    assert len([r for r in rows if "critic/loss" in r]) == 4 * 4, "one row per (step, run), written once"


NO_BACKEND_SCRIPT = """
import glob, importlib, sys
import jax._src.xla_bridge as xb
def touched(*args, **kwargs):
    raise SystemExit("a device was touched before jax.distributed.initialize could run")
xb.backends = touched
import jaxdiffrl.app.cli as cli
for path in sorted(glob.glob("jaxdiffrl/**/*.py", recursive=True)):
    importlib.import_module(path[:-3].replace("/", ".").removesuffix(".__init__"))
for path in sorted(glob.glob("configs/*/*.py")):
    cli.load_config(path)
print("clean")
"""


def test_imports_and_configs_touch_no_device():
    """``jax.distributed.initialize`` must run before any device is touched: importing the package
    and building every config may not compute anything (e.g. a module-level ``jnp.log``)."""
    out = subprocess.run(
        [sys.executable, "-c", NO_BACKEND_SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip() == "clean", (out.stdout + out.stderr)[-2000:]


def test_initialize_joins_only_when_asked(monkeypatch):
    """No flags and no launcher: nothing is joined; a partial set of flags is refused in one line;
    ``--num_processes=1`` alone stays single-process even under srun; the launcher's task count
    is read from the job step, not the allocation."""
    from jaxdiffrl.train import distributed

    for name in distributed.CLUSTER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLURM_NTASKS", "4")  # a batch script's own python, outside srun
    assert distributed.cluster_size() == 1
    assert distributed.initialize() is False
    with pytest.raises(ValueError, match="go together"):
        distributed.initialize(coordinator_address="localhost:1234")
    with pytest.raises(ValueError, match="process_id must be in"):
        distributed.initialize("localhost:1234", num_processes=2, process_id=2)
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", "2")
    assert distributed.cluster_size() == 2
    assert distributed.initialize(num_processes=1) is False


def test_mesh_takes_the_same_number_of_devices_from_every_process():
    from types import SimpleNamespace

    from jaxdiffrl.train.sharding import _devices_of

    devices = [SimpleNamespace(id=i, process_index=i // 4) for i in range(8)]  # 2 processes × 4
    assert [d.id for d in _devices_of(devices, 8)] == list(range(8))
    assert [d.id for d in _devices_of(devices, 4)] == [0, 1, 4, 5], "2 runs per process, 2 devices each"
    assert [d.id for d in _devices_of(devices, 6)] == [0, 4], "3 runs per process: one device each"
    with pytest.raises(ValueError, match="multiple of 2"):
        _devices_of(devices, 3)
    assert [d.id for d in _devices_of(devices[:4], 6)] == [0, 1], "one process: gcd(runs, devices)"
