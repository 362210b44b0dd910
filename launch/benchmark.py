"""Update throughput of every agent: updates/s and seed-updates/s for 1, 4 and 16 vmapped runs.

    python launch/benchmark.py --agents=iql,idql --runs=1,4,16 --out=docs/benchmarks/cpu.json

Each agent uses its locomotion config (the papers' network sizes) on a synthetic dataset with
HalfCheetah's shapes (17-D states, 6-D actions); agents that can train critic and actor as two
phases (IDQL, ACD) and multi-phase agents (QDQ: return model, distillation, Q-learning; CPED: Flow-GAN, actor-critic) are timed
per phase, each on its own phase data. Timings exclude compilation. The JSON records the machine.
"""

import ast
import json
import os
import platform
import time

import jax
import numpy as np
from absl import app, flags

import jaxdiffrl.app  # noqa: F401  (registers the agents)
from jaxdiffrl.app.cli import CONFIGS_DIR, load_config
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.engine import create_agents, make_chunk, make_start, phase_data, run_keys
from jaxdiffrl.train.registry import agent_class
from jaxdiffrl.train.runs import make_runs

AGENTS = (
    "bc",
    "iql",
    "idql",
    "acd",
    "diffusion_ql",
    "dac",
    "td3_bc",
    "qdq",
    "cped",
)  # each: configs/<name>/locomotion.py

flags.DEFINE_list("agents", list(AGENTS), f"Agents to time, from: {', '.join(AGENTS)}.")
flags.DEFINE_list("runs", ["1", "4", "16"], "Numbers of vmapped runs.")
flags.DEFINE_integer("steps", 50, "Updates per timed chunk.")
flags.DEFINE_integer("repeats", 3, "Timed chunks per measurement (after one warm-up chunk).")
flags.DEFINE_string("out", None, "JSON file to write (default docs/benchmarks/<platform>.json).")
flags.DEFINE_integer(
    "dataset_size", 100_000, "Transitions of the synthetic dataset (phase starts scale with it)."
)
flags.DEFINE_integer("acting_states", 0, "If > 0, also time sample_actions on this many states per run.")
flags.DEFINE_list("phases", [], "Time only these phases (default: all).")
flags.DEFINE_multi_string("set", [], "KEY=VALUE config override, e.g. --set=agent.behaviour_batch_size=256.")
flags.DEFINE_list(
    "planning_sizes",
    [],
    "SfBC only: dataset sizes at which to time a later planning start (values + re-planning).",
)
FLAGS = flags.FLAGS


def synthetic_dataset(size: int = 100_000, observation_dim: int = 17, action_dim: int = 6) -> OfflineDataset:
    rng = np.random.default_rng(0)
    observations = rng.standard_normal((size, observation_dim)).astype(np.float32)
    return OfflineDataset(
        observations=observations,
        actions=rng.uniform(-1, 1, (size, action_dim)).astype(np.float32),
        rewards=rng.standard_normal(size).astype(np.float32),
        next_observations=np.roll(observations, -1, axis=0),
        masks=np.ones(size, np.float32),
        dones=(np.arange(size) % 1000 == 999),
        name="synthetic-halfcheetah-shapes",
    )


def machine() -> dict:
    device = jax.devices()[0]
    return {
        "platform": device.platform,
        "device_kind": device.device_kind,
        "device_count": jax.device_count(),
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def time_phase(agent_cls, config, dataset, phases, datas, index: int, num_runs: int) -> dict:
    """Updates/s of ``phases[index]`` (and its start's seconds), after the earlier phases' starts."""
    runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
    agents = create_agents(agent_cls, config, dataset, runs)
    for earlier, earlier_data in zip(phases[:index], datas[:index], strict=True):
        if earlier.start is not None:  # e.g. SfBC's later iterations read the first one's samples
            agents = jax.block_until_ready(make_start(earlier.start)(agents, earlier_data))
    phase, data = phases[index], datas[index]
    start_s = None
    if phase.start is not None:  # the phase's whole-dataset computation, timed after compiling
        start = make_start(phase.start).lower(agents, data).compile()  # compiled ahead: one timed call
        begin = time.time()
        agents = jax.block_until_ready(start(agents, data))
        start_s = round(time.time() - begin, 3)
    keys = jax.numpy.asarray(run_keys([r.seed for r in runs])[1])
    batch_size = phase.batch_size or config.batch_size
    start = time.time()
    chunk = make_chunk(phase.update, batch_size, FLAGS.steps).lower(agents, keys, data).compile()
    compile_s = time.time() - start
    agents, keys, info = chunk(agents, keys, data)
    jax.block_until_ready(info)
    start = time.time()
    for _ in range(FLAGS.repeats):
        agents, keys, info = chunk(agents, keys, data)
    jax.block_until_ready(info)
    updates_per_s = FLAGS.steps * FLAGS.repeats / (time.time() - start)
    return {
        "phase": phase.name,
        "runs": num_runs,
        "batch_size": batch_size,
        "updates_per_s": round(updates_per_s, 2),
        "seed_updates_per_s": round(updates_per_s * num_runs, 2),
        "compile_s": round(compile_s, 2),
        **({"start_s": start_s, "dataset_size": dataset.size} if start_s is not None else {}),
    }


def time_acting(agent_cls, config, dataset, num_runs: int, num_states: int) -> dict:
    """Latency of one vmapped ``sample_actions`` call on ``num_states`` states per run (untrained
    parameters: the cost does not depend on their values)."""
    runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
    agents = create_agents(agent_cls, config, dataset, runs)
    for phase, data in zip(
        agent_cls.phases(config), phase_data(agent_cls.phases(config), dataset), strict=True
    ):
        if phase.start is not None:  # acting may read what a start computes
            agents = make_start(phase.start)(agents, data)
    observations = jax.numpy.asarray(dataset.observations[:num_states])
    act = jax.jit(jax.vmap(lambda agent, key: agent.sample_actions(observations, key)))
    keys = jax.random.split(jax.random.PRNGKey(0), num_runs)
    jax.block_until_ready(act(agents, keys))
    begin = time.time()
    for _ in range(FLAGS.repeats):
        jax.block_until_ready(act(agents, keys))
    seconds = (time.time() - begin) / FLAGS.repeats
    return {"phase": "acting", "runs": num_runs, "states": num_states, "ms_per_call": round(1e3 * seconds, 2),
            "ms_per_state": round(1e3 * seconds / (num_states * num_runs), 3)}  # fmt: skip


def time_planning_targets(config, size: int, num_runs: int) -> dict:
    """SfBC's per-iteration target computation on ``size`` rows: V of every state from its M
    behaviour samples (random here: the cost does not depend on them), then the reverse-scan
    re-planning and the normalisation. The first iteration's sample draw is timed by its phase row."""
    from jaxdiffrl.agents.sfbc import SfBCAgent

    dataset = synthetic_dataset(size)
    runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
    agents = create_agents(SfBCAgent, config, dataset, runs)
    shape = (num_runs, size, config.agent.planning_samples, dataset.action_dim)
    agents = agents.replace(
        behaviour_actions=jax.random.uniform(jax.random.PRNGKey(0), shape, minval=-1, maxval=1)
    )
    data = phase_data(SfBCAgent.phases(config), dataset)[-1]
    start = make_start(SfBCAgent.start_iteration).lower(agents, data).compile()
    begin = time.time()
    jax.block_until_ready(start(agents, data))
    return {
        "phase": "planning_targets",
        "runs": num_runs,
        "dataset_size": size,
        "start_s": round(time.time() - begin, 3),
    }


def main(_):
    dataset = synthetic_dataset(FLAGS.dataset_size)
    rows = []
    for name in FLAGS.agents:
        agent_cls = agent_class(name)
        config = load_config(os.path.join(CONFIGS_DIR, name, "locomotion.py"))
        if "schedule" in config.agent:  # time the critic and actor of two-stage agents apart
            config.agent.schedule = "sequential"
        for override in FLAGS.set:
            key, _, value = override.partition("=")
            *parents, leaf = key.split(".")
            node = config
            for parent in parents:
                node = node[parent]
            node[leaf] = ast.literal_eval(value)
        phases = agent_cls.phases(config)
        datas = phase_data(phases, dataset)
        for index in range(len(phases)):
            if FLAGS.phases and phases[index].name not in FLAGS.phases:
                continue
            for num_runs in map(int, FLAGS.runs):
                row = {
                    "agent": name,
                    **time_phase(agent_cls, config, dataset, phases, datas, index, num_runs),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
        for num_runs in map(int, FLAGS.runs) if FLAGS.acting_states > 0 else ():
            row = {"agent": name, **time_acting(agent_cls, config, dataset, num_runs, FLAGS.acting_states)}
            print(json.dumps(row), flush=True)
            rows.append(row)
        for size in map(int, FLAGS.planning_sizes if name == "sfbc" else ()):
            for num_runs in map(int, FLAGS.runs):
                row = {"agent": name, **time_planning_targets(config, size, num_runs)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    out = FLAGS.out or os.path.join("docs", "benchmarks", f"{jax.devices()[0].platform}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"machine": machine(), "results": rows}, f, indent=2)
    print(f"Wrote {out}")


if __name__ == "__main__":
    app.run(main)
