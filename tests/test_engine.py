"""The engine's equalities: vmapped seeds = single seeds, resume = uninterrupted, 4 devices = 1."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
from test_phase_data import CountingAgent
from test_phase_data import config as counting_config
from test_phase_data import dataset as counting_dataset

from jaxdiffrl.agents import iql
from jaxdiffrl.agents.iql import IQLAgent
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.engine import create_agents, train
from jaxdiffrl.train.runs import make_runs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_iql_config(max_steps: int = 40):
    agent = iql.default_config()
    agent.critic.hidden_dims = (16, 16)
    agent.actor_hidden_dims = (16, 16)
    return base_config(
        "iql",
        "bandit-idql",
        agent,
        max_steps=max_steps,
        batch_size=32,
        log_interval=10,
        eval_interval=20,
        checkpoint_interval=20,
        eval_episodes=3,
    )


def final_metrics(results: dict, run: int) -> dict:
    entry = results["runs"][run]
    return {
        "normalized_score": entry["normalized_score"],
        "return": entry["return"],
        **entry["final_metrics"],
    }


def assert_close(a: dict, b: dict, tol: float = 1e-5) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=tol, atol=tol, err_msg=key)


def restore_final(workdir: str, config, dataset, seeds):
    target = {
        "agents": create_agents(IQLAgent, config, dataset, make_runs(seeds, config.agent.hparams, {})),
        "data_keys": np.zeros((len(seeds), 2), np.uint32),
    }
    checkpointer = Checkpointer(workdir)
    restored = checkpointer.restore(checkpointer.latest_step(), target)
    checkpointer.close()
    return restored


def test_vmapped_seeds_equal_single_seed_runs(tmp_path):
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    hparams = config.agent.hparams
    together = train(
        IQLAgent, config, dataset, make_runs([0, 1, 2], hparams, {}), str(tmp_path / "all"), progress=False
    )
    assert together["seeds"] == [0, 1, 2]
    for seed in range(3):
        alone = train(
            IQLAgent,
            config,
            dataset,
            make_runs([seed], hparams, {}),
            str(tmp_path / f"s{seed}"),
            progress=False,
        )
        assert_close(final_metrics(together, seed), final_metrics(alone, 0))


def test_resume_matches_uninterrupted_run(tmp_path):
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1], config.agent.hparams, {})
    full = train(IQLAgent, config, dataset, runs, str(tmp_path / "full"), progress=False)
    interrupted = train(IQLAgent, config, dataset, runs, str(tmp_path / "cut"), stop_after=20, progress=False)
    assert interrupted == {}, "a job stopped early reports no results"
    resumed = train(IQLAgent, config, dataset, runs, str(tmp_path / "cut"), resume=True, progress=False)
    assert_close(final_metrics(full, 1), final_metrics(resumed, 1), tol=0)
    a = restore_final(str(tmp_path / "full"), config, dataset, [0, 1])
    b = restore_final(str(tmp_path / "cut"), config, dataset, [0, 1])
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    # The resumed job's log reads as one run: every (step, run) row exactly once.
    with open(tmp_path / "cut" / "metrics.jsonl") as f:
        rows = [json.loads(line) for line in f]
    train_rows = [(r["step"], r["run"]) for r in rows if "critic/loss" in r]
    assert len(train_rows) == len(set(train_rows)) == 4 * 2
    assert [h["step"] for h in resumed["eval_history"]] == [20, 40]
    # Time: wall_time_s is the last segment's; total_wall_time_s adds the work before its checkpoint
    assert full["resumed_from_step"] == 0 and resumed["resumed_from_step"] == 20
    assert full["total_wall_time_s"] == pytest.approx(full["wall_time_s"], abs=0.5)
    with open(tmp_path / "cut" / "timing.json") as f:
        worked = json.load(f)["seconds_at_step"]
    assert set(worked) == {"20", "40"} and 0 < worked["20"] < worked["40"]
    assert resumed["total_wall_time_s"] == pytest.approx(worked["20"] + resumed["wall_time_s"], abs=0.5)


SHARDED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    sys.path.insert(0, {tests!r})
    from test_engine import tiny_iql_config
    from jaxdiffrl.agents.iql import IQLAgent
    from jaxdiffrl.data.registry import prepare_dataset
    from jaxdiffrl.train.engine import create_agents, train
    from jaxdiffrl.train.runs import make_runs
    from jaxdiffrl.train.sharding import RunSharding
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1, 2, 3], config.agent.hparams, {{}})
    sharding = RunSharding(len(runs))
    agents = sharding.shard_runs(create_agents(IQLAgent, config, dataset, runs))
    devices = {{len(leaf.sharding.device_set) for leaf in jax.tree.leaves(agents)}}
    results = train(IQLAgent, config, dataset, runs, sys.argv[1], progress=False)
    report = {{"jax_devices": jax.device_count(), "leaf_devices": sorted(devices), "results": results}}
    print(json.dumps(report))
    """
)


def test_four_device_sharding_matches_one_device(tmp_path):
    script = tmp_path / "sharded.py"
    script.write_text(SHARDED_SCRIPT.format(tests=os.path.join(REPO, "tests")))
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "sharded")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["jax_devices"] == 4
    assert report["leaf_devices"] == [4], "every agent leaf must be spread over the 4 devices"
    assert report["results"]["num_devices"] == 4
    config = tiny_iql_config()
    single = train(
        IQLAgent,
        config,
        prepare_dataset(config),
        make_runs([0, 1, 2, 3], config.agent.hparams, {}),
        str(tmp_path / "single"),
        progress=False,
    )
    assert single["num_devices"] == 1
    for run in range(4):
        assert_close(final_metrics(report["results"], run), final_metrics(single, run))


def read_scalar_tags(folder) -> set[str]:
    """The scalar tags of every TensorBoard event file under ``folder`` (TFRecord framing: length,
    its CRC, the Event proto, its CRC)."""
    import struct

    from tensorboardX.proto import event_pb2

    tags = set()
    for path in folder.rglob("events.out.tfevents.*"):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            event = event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length])
            tags |= {value.tag for value in event.summary.value}
            offset += 12 + length + 4
    return tags


def test_tensorboard_groups_scalars_by_network(tmp_path):
    config = tiny_iql_config(max_steps=20)
    dataset = prepare_dataset(config)
    train(IQLAgent, config, dataset, make_runs([0], config.agent.hparams, {}), str(tmp_path), progress=False)
    tags = read_scalar_tags(tmp_path / "tb")
    groups = {tag.split("/")[0] for tag in tags}
    assert {"critic", "value", "actor", "eval"} <= groups, tags
    assert {"critic/loss", "value/loss", "actor/loss", "eval/normalized_score"} <= tags, tags


def test_runs_per_program_equals_one_program(tmp_path):
    """3 runs as programs of 2 + 1 (one after another, chunk by chunk) = the same 3 runs in one
    program: scores, last metrics and the checkpointed agents."""
    config = tiny_iql_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1, 2], config.agent.hparams, {})
    one = train(IQLAgent, config, dataset, runs, str(tmp_path / "one"), progress=False)
    grouped = train(IQLAgent, config, dataset, runs, str(tmp_path / "k2"), progress=False, runs_per_program=2)
    for run in range(3):
        assert_close(final_metrics(one, run), final_metrics(grouped, run))
    assert [h["step"] for h in grouped["eval_history"]] == [20, 40]
    assert 0 < grouped["eval_time_s"] < grouped["wall_time_s"] and grouped["checkpoint_time_s"] > 0
    a = restore_final(str(tmp_path / "one"), config, dataset, [0, 1, 2])
    b = restore_final(str(tmp_path / "k2"), config, dataset, [0, 1, 2])
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def test_a_resume_without_time_records_leaves_the_total_unknown(tmp_path):
    """A job whose earlier segment left no timing.json (one from before it was kept) does not
    claim its last segment's time as the job's."""
    cfg, data = counting_config(), counting_dataset()
    runs = make_runs([0], {}, {})
    workdir = str(tmp_path / "run")
    assert train(CountingAgent, cfg, data, runs, workdir, stop_after=20, progress=False) == {}
    os.remove(os.path.join(workdir, "timing.json"))
    resumed = train(CountingAgent, cfg, data, runs, workdir, resume=True, progress=False)
    assert resumed["resumed_from_step"] == 20 and resumed["total_wall_time_s"] is None
    assert resumed["wall_time_s"] > 0
