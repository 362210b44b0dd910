"""Runs that notice when they go wrong (issue 15): atomic strict-JSON files, checkpoints that verify
and fall back, resume that cannot lie, checks before anything is written, faults in one line.

Tiny IQL on ``bandit-idql`` (16-unit networks, tens of steps) through the engine in-process; the
launch script as a user runs it for the command-line behaviour (kept to few calls, each stopping
before training where it can); kill -9 during a checkpoint and during the results write as
subprocesses (``slow``).
"""

import errno
import glob
import json
import os
import socket
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_divergence import strict_json
from test_engine import restore_final, tiny_iql_config

from jaxdiffrl.agents.iql import IQLAgent
from jaxdiffrl.app.cli import load_config
from jaxdiffrl.app.workdir import fault_line, make_identity, resolve_resume
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.envs.bandit import BanditEnv
from jaxdiffrl.train.checkpointing import CheckpointCorrupt, Checkpointer, NonFiniteState
from jaxdiffrl.train.config import check_config
from jaxdiffrl.train.engine import train
from jaxdiffrl.train.files import WorkdirBusy, WorkdirLock, atomic_write, write_json
from jaxdiffrl.train.logging import MetricsLogger
from jaxdiffrl.train.preflight import PreflightError, check_agent, check_spaces, warn_large_values
from jaxdiffrl.train.runs import Run, make_runs, parse_sweep

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOY = os.path.join(REPO, "configs", "iql", "toy.py")
TINY = [
    f"--config={TOY}", "--config.max_steps=20", "--config.log_interval=10", "--config.eval_interval=20",
    "--config.checkpoint_interval=10", "--config.eval_episodes=2", "--config.batch_size=16",
    "--config.agent.critic.hidden_dims=(8,)", "--config.agent.actor_hidden_dims=(8,)", "--progress=false",
]  # fmt: skip


def launch(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "launch", "train_iql.py"), *args],
        cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ},
    )  # fmt: skip


def snapshot(folder) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        os.path.relpath(path, folder): open(path, "rb").read()
        for path in glob.glob(os.path.join(folder, "**"), recursive=True)
        if os.path.isfile(path)
    }


# ---------------------------------------------------------------- atomic, strict files


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    write_json(str(path), {"score": float("nan"), "values": [1.0, float("inf"), np.float32(2.5)]})
    assert strict_json(path) == {"score": None, "values": [1.0, None, 2.5]}
    before = path.read_bytes()

    def fail(source, target):
        raise OSError(errno.ENOSPC, "No space left on device", target)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write(str(path), "{half")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["results.json"], "no temporary file is left behind"


def test_a_torn_last_metrics_line_is_dropped_with_a_warning(tmp_path, capsys):
    runs = [Run(0, 0, {})]
    logger = MetricsLogger(str(tmp_path), runs)
    logger.log(10, {"critic/loss": np.array([1.0])})
    logger.log(20, {"critic/loss": np.array([np.nan])})
    logger.close()
    rows = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert json.loads(rows[1])["critic/loss"] is None, "strict JSON: NaN is written as null"
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 30, "run": 0, "seed": 0, "critic/lo')  # killed mid-line
    MetricsLogger(str(tmp_path), runs, start_step=30).close()
    assert "dropped its torn last line" in capsys.readouterr().out
    assert (tmp_path / "metrics.jsonl").read_text().splitlines() == rows


def test_tensorboard_events_are_on_disk_after_every_log(tmp_path):
    from test_engine import read_scalar_tags

    logger = MetricsLogger(str(tmp_path), [Run(0, 0, {})])
    logger.log(10, {"critic/loss": np.array([1.0])})
    assert "critic/loss" in read_scalar_tags(tmp_path / "tb"), "flushed without closing the writer"
    logger.close()


# ---------------------------------------------------------------- checkpoints


def tiny_state(offset: float):
    return {"a": jnp.arange(300.0) + offset, "b": jnp.ones((3, 4)) * offset, "k": jnp.zeros(2, jnp.uint32)}


def test_checkpoints_refuse_nonfinite_states_and_a_keep_of_zero(tmp_path):
    checkpointer = Checkpointer(str(tmp_path))
    with pytest.raises(NonFiniteState, match="step 10"):
        checkpointer.save(10, {"a": jnp.array([1.0, jnp.nan])})
    checkpointer.close()
    assert checkpointer.saved_steps() == []
    config = tiny_iql_config()
    config.checkpoints_to_keep = 0
    with pytest.raises(ValueError, match="checkpoints_to_keep must be at least 1"):
        check_config(config)


def test_a_deleted_or_unreadable_latest_step_falls_back_with_a_note(tmp_path, capsys):
    checkpointer = Checkpointer(str(tmp_path), 3)
    for step in (10, 20, 30):
        checkpointer.save(step, tiny_state(step))
    checkpointer.close()
    import shutil

    shutil.rmtree(tmp_path / "checkpoints" / "30")
    shutil.rmtree(tmp_path / "checkpoints" / "20" / "default")
    checkpointer = Checkpointer(str(tmp_path), 3)
    step, state = checkpointer.restore_latest(lambda at: tiny_state(0), quarantine=True)
    assert checkpointer.saved_steps() == [10]
    checkpointer.close()
    out = capsys.readouterr().out
    assert step == 10 and float(state["b"][0, 0]) == 10.0
    assert "step 30 is missing" in out and "checkpoints/20 cannot be read" in out, out
    assert "Falling back to the checkpoint at step 10" in out
    assert os.listdir(tmp_path / "corrupt_checkpoints")


def test_flipped_bytes_that_orbax_reads_silently_fail_the_checksum(tmp_path):
    state = tiny_state(10)
    state["a"] = jnp.asarray(np.random.default_rng(0).normal(size=1000).astype(np.float32))  # stored raw
    checkpointer = Checkpointer(str(tmp_path))
    checkpointer.save(10, state)
    checkpointer.close()
    damage(str(tmp_path), 10, "flip")
    checkpointer = Checkpointer(str(tmp_path))
    unverified = checkpointer.restore(10, state, verify=False)
    assert not np.array_equal(np.asarray(unverified["a"]), np.asarray(state["a"])), "orbax sees nothing wrong"
    with pytest.raises(CheckpointCorrupt, match=r"does not match its checksums \(1 of 3 array\(s\) differ"):
        checkpointer.restore(10, state)
    checkpointer.close()


def damage(workdir, step: int, how: str) -> None:
    """Flips 16 bytes of (or truncates) the largest data file of checkpoint ``step``."""
    files = glob.glob(os.path.join(workdir, "checkpoints", str(step), "default", "ocdbt.process_0", "d", "*"))
    path = max(files, key=os.path.getsize)
    data = bytearray(open(path, "rb").read())
    if how == "flip":
        middle = len(data) // 2
        data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    else:
        data = data[: len(data) // 3]
    open(path, "wb").write(bytes(data))


@pytest.mark.slow
def test_flipped_and_truncated_checkpoints_fall_back_and_resume_identically(tmp_path, capsys):
    config = tiny_iql_config()
    config.checkpoint_interval = 10
    config.checkpoints_to_keep = 3
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1], config.agent.hparams, {})
    full = train(IQLAgent, config, dataset, runs, str(tmp_path / "full"), progress=False)
    cut = str(tmp_path / "cut")
    train(IQLAgent, config, dataset, runs, cut, stop_after=30, progress=False)
    damage(cut, 30, "flip")
    damage(cut, 20, "truncate")
    with pytest.raises(CheckpointCorrupt, match="checkpoints/30 (does not match its checksums|cannot be)"):
        checkpointer = Checkpointer(cut, 3)
        try:
            checkpointer.restore(30, restore_final_target(config, dataset, runs))
        finally:
            checkpointer.close()
    capsys.readouterr()
    resumed = train(IQLAgent, config, dataset, runs, cut, resume=True, progress=False)
    out = capsys.readouterr().out
    assert "checkpoints/30 " in out and "checkpoints/20 cannot be read" in out, out
    assert "Resumed from the checkpoint at step 10" in out
    assert resumed["runs"] == full["runs"] and resumed["eval_history"] == full["eval_history"]
    a, b = (
        restore_final(str(tmp_path / "full"), config, dataset, [0, 1]),
        restore_final(cut, config, dataset, [0, 1]),
    )
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def restore_final_target(config, dataset, runs):
    from jaxdiffrl.train.engine import create_agents

    return {
        "agents": create_agents(IQLAgent, config, dataset, runs),
        "data_keys": np.zeros((2, 2), np.uint32),
    }


# ---------------------------------------------------------------- resume that cannot lie


def saved_run(tmp_path, seeds=(0,), grid=None):
    """A run directory as the launch script leaves it: config.json (toy IQL, 20 steps) and run.json."""
    config = load_config(TOY)
    config.max_steps = 20
    config.agent.critic.hidden_dims = (8,)
    grid = grid or {}
    workdir = tmp_path / "run"
    workdir.mkdir()
    atomic_write(str(workdir / "config.json"), config.to_json_best_effort(indent=2))
    runs = make_runs(list(seeds), config.agent.hparams, grid)
    write_json(str(workdir / "run.json"), make_identity(TOY, list(seeds), grid, runs))
    return str(workdir), config


def resolve(workdir, overrides=None, given=None, sweep=(), spec=TOY, spec_given=False):
    """resolve_resume as the launch script calls it (``given``: the seed flags on the command line,
    with their values), the flags' config from the toy file plus ``overrides``."""
    current = load_config(spec)
    for key, value in (overrides or {}).items():
        node = current
        *path, last = key.split(".")
        for name in path:
            node = node[name]
        node[last] = value
    return resolve_resume(
        workdir, current, spec=spec, spec_given=spec_given, overrides=overrides or {},
        flag_values={"seed": 0, "seeds": 1, **(given or {})}, given=list(given or {}),
        load_config=load_config, parse_grid=lambda c: parse_sweep(list(sweep), c.agent.hparams),
    )  # fmt: skip


def test_resume_reuses_the_saved_config_and_refuses_a_different_seed_seeds_or_sweep(tmp_path):
    workdir, saved = saved_run(tmp_path, seeds=(3, 4), grid={"expectile": [0.7, 0.9]})
    config, seeds, grid = resolve(workdir)  # no override retyped
    assert config.max_steps == 20 and config.agent.critic.hidden_dims == (8,)
    assert json.loads(config.to_json_best_effort()) == json.loads(saved.to_json_best_effort())
    assert seeds == [3, 4] and grid == {"expectile": [0.7, 0.9]}
    assert resolve(workdir, given={"seed": 3, "seeds": 2})[1] == [3, 4], "the same values are fine"
    cases = [
        ({"given": {"seed": 5}}, "--seed differs from the run's (run.json): run has 3, now 5"),
        ({"given": {"seeds": 1}}, "--seeds differs from the run's (run.json): run has 2, now 1"),
        ({"given": {"sweep": ["expectile=0.95"]}, "sweep": ["expectile=0.95"]}, "--sweep differs"),
        ({"overrides": {"max_steps": 40}}, "differs in max_steps: run has 20, now 40"),
        ({"spec": os.path.join(REPO, "configs", "iql", "maze.py"), "spec_given": True}, "--config differs"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ValueError, match="--resume") as error:
            resolve(workdir, **kwargs)
        assert expected in str(error.value), str(error.value)
        assert "\n" not in str(error.value)
    config, _, _ = resolve(workdir, overrides={"on_divergence": "continue"})
    assert config.on_divergence == "continue", "what a diverging run does may change on resume"


def test_machine_labels_name_the_cpu_and_any_accelerator():
    from jaxdiffrl.train.machine import label, same_machine, tally

    cpu = {"cpu_model": "AMD EPYC", "processor": "x86_64", "cores": 2, "backend": "cpu"}
    gpu = {**cpu, "backend": "gpu", "device_count": 1, "device_kind": "NVIDIA H100"}
    assert label(cpu) == "AMD EPYC, 2 cores" and label({**cpu, "cpu_model": None}) == "x86_64, 2 cores"
    assert label(gpu) == "AMD EPYC, 2 cores, 1 × NVIDIA H100" and label(None) == "unknown"
    assert same_machine(cpu, dict(cpu)) and not same_machine(cpu, gpu) and same_machine(cpu, None)
    assert tally([cpu, gpu, cpu, None]) == [("AMD EPYC, 2 cores", 2), (label(gpu), 1), ("unknown", 1)]


def test_run_json_names_its_machine_and_a_resume_elsewhere_says_so(tmp_path, capsys):
    workdir, _ = saved_run(tmp_path)
    identity = json.loads(open(os.path.join(workdir, "run.json")).read())
    assert identity["machine"]["cores"] == os.cpu_count() and identity["machine"]["backend"] == "cpu"
    resolve(workdir)
    assert "Note: the run started on" not in capsys.readouterr().out, "same machine: no note"
    identity["machine"] = {**identity["machine"], "cpu_model": "Another CPU 9000"}
    write_json(os.path.join(workdir, "run.json"), identity)
    resolve(workdir)
    note = capsys.readouterr().out
    assert f"Note: the run started on Another CPU 9000, {os.cpu_count()} cores, this is " in note, note
    del identity["machine"]  # a run.json from before it named its machine: nothing to compare
    write_json(os.path.join(workdir, "run.json"), identity)
    resolve(workdir)
    assert "Note: the run started on" not in capsys.readouterr().out


def test_an_old_run_directory_without_run_json_resumes_with_a_warning(tmp_path, capsys):
    workdir, _ = saved_run(tmp_path)
    os.remove(os.path.join(workdir, "run.json"))
    config, seeds, grid = resolve(workdir, given={"seed": 2})
    assert "has no run.json" in capsys.readouterr().out
    assert seeds == [2] and grid == {} and config.max_steps == 20


def test_the_workdir_lock_refuses_a_live_job_and_takes_over_a_dead_ones(tmp_path, capsys):
    lock_path = tmp_path / "lock"
    host = socket.gethostname()
    lock_path.write_text(json.dumps({"pid": os.getppid(), "host": host, "since": "earlier"}))
    with pytest.raises(WorkdirBusy, match=f"in use by process {os.getppid()} on {host}"):
        WorkdirLock(str(tmp_path)).acquire()
    lock_path.write_text(json.dumps({"pid": os.getpid(), "host": "elsewhere"}))
    with pytest.raises(WorkdirBusy, match="on elsewhere"):
        WorkdirLock(str(tmp_path)).acquire()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path.write_text(json.dumps({"pid": dead.pid, "host": host}))
    lock = WorkdirLock(str(tmp_path))
    lock.acquire()
    assert f"taking over the lock of process {dead.pid}" in capsys.readouterr().out
    assert json.loads(lock_path.read_text())["pid"] == os.getpid()
    lock.release()
    assert not lock_path.exists()


@pytest.mark.slow
def test_resume_from_the_command_line(tmp_path):
    """A job stopped at step 10 (then a torn metrics line and a stale lock, as kill -9 leaves them):
    a live job's lock, --seed, --seeds and --sweep are refused in one line and change nothing;
    ``--resume --workdir`` alone finishes it exactly as an uninterrupted job; a finished run is left
    untouched."""
    full, cut = str(tmp_path / "full"), str(tmp_path / "cut")
    assert launch(*TINY, f"--workdir={full}").returncode == 0
    first = launch(*TINY, f"--workdir={cut}", "--stop_after=10")
    assert first.returncode == 0, first.stderr[-2000:]
    assert json.loads(open(os.path.join(cut, "run.json")).read())["seed_list"] == [0]
    with open(os.path.join(cut, "metrics.jsonl"), "a") as f:
        f.write('{"step": 20, "run": 0, "se')
    host = socket.gethostname()
    with open(os.path.join(cut, "lock"), "w") as f:
        json.dump({"pid": os.getpid(), "host": host}, f)  # this test: alive
    before = snapshot(cut)
    for args, expected in (
        ([], f"in use by process {os.getpid()}"),
        (["--seed=5"], "--seed differs"),
        (["--seeds=2"], "--seeds differs"),
        (["--sweep=expectile=0.9"], "--sweep differs"),
    ):
        refused = launch("--resume", f"--workdir={cut}", *args)
        assert refused.returncode != 0 and expected in refused.stderr, refused.stderr[-2000:]
        assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert snapshot(cut) == before, "refused jobs change nothing"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with open(os.path.join(cut, "lock"), "w") as f:
        json.dump({"pid": dead.pid, "host": host}, f)
    resumed = launch("--resume", f"--workdir={cut}", "--progress=false")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "taking over the lock" in resumed.stdout and "dropped its torn last line" in resumed.stdout
    a, b = strict_json(os.path.join(full, "results.json")), strict_json(os.path.join(cut, "results.json"))
    assert a["runs"] == b["runs"] and a["eval_history"] == b["eval_history"]
    assert not os.path.exists(os.path.join(cut, "lock"))
    finished = snapshot(cut)
    again = launch("--resume", f"--workdir={cut}")
    assert again.returncode == 0 and "holds a finished run" in again.stdout, again.stderr[-2000:]
    assert snapshot(cut) == finished, "resuming a finished run touches nothing"


# ---------------------------------------------------------------- validate before writing


def test_spaces_and_action_boxes_are_checked_against_the_env():
    n = 8
    obs, actions = np.zeros((n, 2), np.float32), np.zeros((n, 1), np.float32)
    rewards, dones = np.zeros(n, np.float32), np.ones(n, bool)
    data = OfflineDataset(obs, actions, rewards, obs, rewards + 1, dones, name="toy",
                          make_env=lambda: BanditEnv("bandit-idql"))  # fmt: skip
    with pytest.raises(
        PreflightError, match=r"observations of shape \(2,\) .* observation space shape \(1,\)"
    ):
        check_spaces(data)
    two = np.full(1, 2.0, np.float32)
    box = data.replace(
        observations=obs[:, :1], next_observations=obs[:, :1], make_env=None, action_low=-two, action_high=two
    )
    with pytest.raises(PreflightError, match=r"action box \[-2, 2\].*refused rather than clipped"):
        check_spaces(box)
    check_spaces(box.replace(action_low=-np.ones(1, np.float32), action_high=np.ones(1, np.float32)))
    huge = box.replace(rewards=np.full(n, 1e30, np.float32))
    assert any("rewards[0] = 1e+30" in line for line in warn_large_values(huge))


def test_a_bad_option_value_is_refused_by_the_agent_before_training(tmp_path):
    config = tiny_iql_config()
    config.agent.critic.value_loss = "expectle"
    dataset = prepare_dataset(config)
    with pytest.raises(PreflightError, match="refuses this config: Unknown critic.value_loss 'expectle'"):
        check_agent(IQLAgent, config, dataset, config.agent.hparams.to_dict())
    check_agent(IQLAgent, tiny_iql_config(), dataset, config.agent.hparams.to_dict())


@pytest.mark.slow
def test_config_errors_and_faults_leave_no_workdir_and_one_line(tmp_path):
    for args, expected in (
        ([*TINY, "--config.agent.critic.value_loss=expectle"], "Unknown critic.value_loss 'expectle'"),
        ([f"--config={REPO}/configs/bc/toy.py", "--config.max_steps=20"], "the config is for algo 'bc'"),
        ([*TINY, "--config.checkpoints_to_keep=0"], "checkpoints_to_keep must be at least 1"),
    ):
        workdir = tmp_path / "bad"
        out = launch(*args, f"--workdir={workdir}")
        assert out.returncode != 0 and expected in out.stderr, out.stderr[-2000:]
        assert "Traceback" not in out.stderr
        assert not workdir.exists(), "nothing is written for a job that cannot start"
    missing = tmp_path / "gone"
    os.makedirs(missing)
    open(missing / "config.json", "w").write(load_config(TOY).to_json_best_effort())
    out = launch("--resume", f"--workdir={missing}")
    assert out.returncode != 0 and f"error: {missing}/checkpoints: no such folder" in out.stderr, out.stderr


READ_ONLY = textwrap.dedent(
    """
    import errno, os, runpy, sys
    real = os.makedirs
    def read_only(path, *args, **kwargs):
        if "ro_disk" in str(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, *args, **kwargs)
    os.makedirs = read_only
    sys.argv = [{script!r}, *sys.argv[1:]]
    runpy.run_path({script!r}, run_name="__main__")
    """
)


def test_a_read_only_disk_is_one_line_and_verbose_shows_the_traceback(tmp_path):
    script = tmp_path / "read_only.py"
    script.write_text(READ_ONLY.format(script=os.path.join(REPO, "launch", "train_iql.py")))
    workdir = tmp_path / "ro_disk" / "run"
    command = [sys.executable, str(script), *TINY, f"--workdir={workdir}"]
    out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    last = out.stderr.strip().splitlines()[-1]  # (a dataset generated on first use prints its progress)
    assert out.returncode == 1 and last == f"error: {workdir}: read-only file system", out.stderr
    assert "Traceback" not in out.stderr
    verbose = subprocess.run([*command, "--verbose"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert (
        verbose.returncode != 0
        and "Traceback" in verbose.stderr
        and "Read-only file system" in verbose.stderr
    )


def test_fault_line_finds_the_cause_inside_wrapping_errors():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/run/checkpoints/20")
        except OSError as inner:
            raise ValueError("tensorstore write failed") from inner
    except ValueError as error:
        assert fault_line(error) == "/data/run/checkpoints/20: no space left on device"
    wrapped = RuntimeError("Error writing: [Errno 28] No space left on device")
    assert fault_line(wrapped, "/data/run") == "/data/run: no space left on device (RuntimeError)"
    assert fault_line(ValueError("a bug")) is None


# ---------------------------------------------------------------- kill -9


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from test_engine import tiny_iql_config
    import jaxdiffrl.generators  # registers bandit-idql's generator
    from jaxdiffrl.agents.iql import IQLAgent
    from jaxdiffrl.data.registry import prepare_dataset
    from jaxdiffrl.train import checkpointing, files
    from jaxdiffrl.train.engine import train
    from jaxdiffrl.train.runs import make_runs
    where, workdir = sys.argv[1], sys.argv[2]
    if where == "checkpoint":  # orbax has started writing step 20 asynchronously
        save = checkpointing.Checkpointer.save
        def save_then_die(self, step, state):
            save(self, step, state)
            if step == 20:
                os.kill(os.getpid(), signal.SIGKILL)
        checkpointing.Checkpointer.save = save_then_die
    else:  # half of results.json is in its temporary file
        write = files.atomic_write
        def write_then_die(path, data):
            if path.endswith("results.json"):
                with open(path + ".partial.tmp", "w") as f:
                    f.write(data[: len(data) // 2])
                    f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            write(path, data)
        files.atomic_write = write_then_die
    config = tiny_iql_config()
    train(IQLAgent, config, prepare_dataset(config), make_runs([0, 1], config.agent.hparams, {{}}), workdir,
          progress=False)
    """
)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    workdir = str(tmp_path_factory.mktemp("uninterrupted"))
    results = train(
        IQLAgent, config, dataset, make_runs([0, 1], config.agent.hparams, {}), workdir, progress=False
    )
    return workdir, results


@pytest.mark.slow
@pytest.mark.parametrize("where", ["checkpoint", "results"])
def test_kill_9_then_resume_ends_as_an_uninterrupted_run(where, tmp_path, uninterrupted):
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(tests=os.path.join(REPO, "tests")))
    workdir = str(tmp_path / "run")
    out = subprocess.run([sys.executable, str(script), where, workdir], cwd=REPO, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == -9, out.stderr[-3000:]
    assert not os.path.exists(os.path.join(workdir, "results.json"))
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1], config.agent.hparams, {})
    resumed = train(IQLAgent, config, dataset, runs, workdir, resume=True, progress=False)
    full_dir, full = uninterrupted
    on_disk = strict_json(os.path.join(workdir, "results.json"))
    assert on_disk["status"] == "finished" and on_disk["runs"] == full["runs"] == resumed["runs"]
    assert on_disk["eval_history"] == full["eval_history"]
    a, b = restore_final(full_dir, config, dataset, [0, 1]), restore_final(workdir, config, dataset, [0, 1])
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_a_config_file_refusing_its_argument_is_one_line():
    from jaxdiffrl.app.cli import _explain_flag_error

    spec = f"{REPO}/configs/acd/toy.py:bandit-idql,variant=acdf"
    line = _explain_flag_error(["train_acd.py", f"--config={spec}"], ValueError("Traceback …\n…"), TOY)
    assert (
        line
        == f"--config={spec}: ValueError: Unknown ACD variant 'acdf'; choose one of ('acd', 'acd-f', 'acg')."
    )
