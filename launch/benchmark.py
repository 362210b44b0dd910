"""Update throughput of every agent: updates/s and seed-updates/s for 1, 4 and 16 vmapped runs.

    python launch/benchmark.py --agents=iql,idql --runs=1,4,16 --out=docs/benchmarks/cpu.json

Each agent uses its locomotion config (the papers' network sizes) on a synthetic dataset with
HalfCheetah's shapes (17-D states, 6-D actions); agents that can train critic and actor as two
phases (IDQL, ACD) and multi-phase agents (QDQ: return model, distillation, Q-learning; CPED:
Flow-GAN, actor-critic) are timed per phase, each on its own phase data. Timings exclude
compilation. The JSON records the machine.

Variants of the timed programs (``--mish``, ``--xla_cpu_fast_dot``) and an interleaved A/B of them
in one process (``--ab=mish,fast_dot``: every variant compiled, then one timed chunk of each in
turn, ``--repeats`` rounds; each row gets its rate per round and its ratio to the first variant in
the same round, so load that drifts between rounds cancels):

    python launch/benchmark.py --agents=diffusion_ql --runs=1 --steps=20 --repeats=5 --ab=mish

``--suite=gpu`` times every agent at 1, 8, 32 and 128 vmapped runs within ``--budget_s``
(seed-updates/s, compile time, program and device memory, the projected wall time of a
1M-step × 8-seed job) and writes ``docs/benchmarks/<platform>-<device>.json`` after every row;
``launch/gpu_check.sh`` runs it on a lent GPU. ``--tiny`` shrinks it to a CPU smoke test.

``--suite=eval_share`` projects the share of a job's wall time spent evaluating, for every
``configs/<algo>/maze.py`` on pointmaze-umaze and pointmaze-medium and for IQL's locomotion config,
at 3 vmapped runs: one ``Evaluator.evaluate`` of freshly created agents (after a warm-up call that
compiles the action function) and each phase's updates/s, combined with the config's own schedule
(which steps evaluate) into evals × t_eval / (evals × t_eval + Σ phase steps / updates/s + starts).
It profiles one evaluation (compilations across two of them; env stepping against the jitted action
call) and writes ``docs/benchmarks/eval-share.json`` and ``eval-share.md``. The datasets are made
on first use under ``--minari_dir`` (never downloaded). ``--tiny``: a seconds-long smoke test.
"""

import ast
import contextlib
import gc
import hashlib
import itertools
import json
import math
import os
import re
import statistics
import tempfile
import time

import jax
import numpy as np
from absl import app, flags

import jaxdiffrl.app  # noqa: F401  (registers the agents)
from jaxdiffrl import jax_compat
from jaxdiffrl.app.cli import CONFIGS_DIR, load_config
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.networks import activations, mlp
from jaxdiffrl.train.engine import create_agents, make_chunk, make_start, phase_data, run_keys
from jaxdiffrl.train.machine import machine as shared_machine
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
SUITE_AGENTS = (*AGENTS, "sfbc")  # every agent with a configs/<name>/ folder
SUITE_RUNS = (1, 8, 32, 128)
SUITE_MIN_TIME_S = 1.0  # timed chunks per row: at least --repeats and at least this long
TINY = {
    "agents": ("bc", "idql"),
    "config": "toy",
    "runs": (1, 2),
    "steps": 2,
    "repeats": 1,
    "dataset_size": 2_000,
    "budget_s": 120,
    "min_time_s": 0.0,
}
PROJECTED_STEPS, PROJECTED_SEEDS = 1_000_000, 8
MISH = {"fast": activations.mish, "jax": jax.nn.mish}
# Leaves XLA's YNNPACK fusions out of a CPU program (this jaxlib fuses dots into them by default).
FAST_DOT_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}
AB_TOGGLES = ("mish", "fast_dot", "threefry")

flags.DEFINE_list("agents", list(AGENTS), f"Agents to time, from: {', '.join(SUITE_AGENTS)}.")
flags.DEFINE_list("runs", ["1", "4", "16"], "Numbers of vmapped runs.")
flags.DEFINE_string(
    "config", "locomotion", "Each agent's configs/<agent>/<config>.py (locomotion: the papers' sizes)."
)
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
flags.DEFINE_enum(
    "mish", "fast", list(MISH), "mish of the timed networks: the one-exp form (fast) or jax.nn.mish (jax)."
)
flags.DEFINE_bool(
    "xla_cpu_fast_dot",
    False,
    "On a CPU, compile the timed programs without XLA's YNNPACK fusions "
    "(compiler option xla_cpu_experimental_ynn_fusion_type=''; per program, not process-wide).",
)
flags.DEFINE_enum(
    "threefry",
    "unrolled",
    ["unrolled", "rolled"],
    "CPU lowering of jax.random's threefry hash: unrolled (as the launch scripts run it, "
    "jaxdiffrl.jax_compat) or JAX's rolled CPU default. Same bits either way.",
)
flags.DEFINE_list("ab", [], f"Interleaved A/B in one process, toggling: {', '.join(AB_TOGGLES)}.")
flags.DEFINE_enum(
    "suite",
    None,
    ["gpu", "eval_share"],
    "gpu: every agent at 1, 8, 32, 128 runs within --budget_s; eval_share: the share of wall time "
    "spent evaluating, per maze config (and a locomotion one).",
)
flags.DEFINE_bool(
    "tiny",
    False,
    "With --suite: a CPU smoke test (gpu: bc and idql, 1 and 2 runs, 2 steps; eval_share: bc on "
    "small generated datasets, 1 run, 2 episodes).",
)
flags.DEFINE_string(
    "minari_dir",
    None,
    "--suite=eval_share: the Minari folder its datasets are read from and generated into on first use "
    "(default datasets/eval-share; with --tiny a fresh temporary folder).",
)
flags.DEFINE_float(
    "budget_s", 510.0, "--suite: seconds for all agents (each gets a share; leftovers roll on)."
)
flags.DEFINE_float("min_time_s", 0.0, "Time chunks until this many seconds have passed (at least --repeats).")
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
    """The shared machine record (``jaxdiffrl.train.machine``) under this report's older key names
    (``platform`` the JAX backend, ``cpu_count``), plus the XLA flags and the date."""
    info = shared_machine()
    return {
        "platform": info["backend"],
        "device_kind": info["device_kind"],
        "device_count": info["device_count"],
        "cpu_count": info["cores"],
        "processor": info["processor"],
        "cpu_model": info["cpu_model"] or info["processor"],
        "python": info["python"],
        "jax": info["jax"],
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "date": time.strftime("%Y-%m-%d"),
    }


def base_variant() -> dict:
    return {"mish": FLAGS.mish, "fast_dot": FLAGS.xla_cpu_fast_dot, "threefry": FLAGS.threefry}


def variants() -> list[dict]:
    """The base variant first, then every combination of the ``--ab`` toggles flipped."""
    unknown = set(FLAGS.ab) - set(AB_TOGGLES)
    if unknown:
        raise app.UsageError(f"--ab: unknown {sorted(unknown)}; choose from {', '.join(AB_TOGGLES)}.")
    base = base_variant()
    flipped = {
        "mish": "jax" if base["mish"] == "fast" else "fast",
        "fast_dot": not base["fast_dot"],
        "threefry": "rolled" if base["threefry"] == "unrolled" else "unrolled",
    }
    options = [(base[t], flipped[t]) if t in FLAGS.ab else (base[t],) for t in AB_TOGGLES]
    return [dict(zip(AB_TOGGLES, values, strict=True)) for values in itertools.product(*options)]


@contextlib.contextmanager
def building(variant: dict):
    """The variant's mish behind ``activation_by_name("mish")`` while its networks are built and
    traced (every mish of the project is looked up by that name, some at trace time), and its
    threefry lowering while they are lowered."""
    saved = mlp._ACTIVATIONS["mish"]
    mlp._ACTIVATIONS["mish"] = MISH[variant["mish"]]
    jax_compat.set_cpu_threefry(unrolled=variant.get("threefry", "unrolled") == "unrolled")
    try:
        yield
    finally:
        mlp._ACTIVATIONS["mish"] = saved
        jax_compat.set_cpu_threefry(unrolled=FLAGS.threefry == "unrolled")


def compile_lowered(lowered, variant: dict):
    """(compiled, note): with the variant's compiler options, where this platform and jaxlib take them."""
    if not variant["fast_dot"] or jax.devices()[0].platform != "cpu":
        note = "fast_dot: CPU only, not applied" if variant["fast_dot"] else None
        return lowered.compile(), note
    try:
        return lowered.compile(compiler_options=FAST_DOT_OPTIONS), None
    except Exception as error:  # e.g. "No such compile option" on a jaxlib without YNNPACK fusions
        return lowered.compile(), f"fast_dot: not applied ({str(error).splitlines()[0][:120]})"


def fresh_chunk(update, batch_size: int, steps: int):
    """With ``--ab``, ``make_chunk``'s program as a new jit, so each variant is traced anew (its cache
    would hand a variant whose agents have the same structure the first one's trace)."""
    return (getattr(make_chunk, "__wrapped__", make_chunk) if FLAGS.ab else make_chunk)(
        update, batch_size, steps
    )


def fresh_start(start):
    """``make_start``'s program, as ``fresh_chunk``."""
    return (getattr(make_start, "__wrapped__", make_start) if FLAGS.ab else make_start)(start)


def device_peak() -> int | None:
    with contextlib.suppress(Exception):
        stats = jax.devices()[0].memory_stats()
        if stats and "peak_bytes_in_use" in stats:
            return int(stats["peak_bytes_in_use"])
    return None


def memory(compiled, peak_before: int | None) -> dict:
    """The program's own footprint (XLA's buffer assignment: arguments + outputs + temporaries −
    donated aliases) and, where the device reports it (not on a CPU), the allocator's bytes in use
    and its peak: the peak of this row where it rose during the row (``device_peak_bytes``), else
    only a bound (``device_peak_bytes_at_most``: the process's peak so far)."""
    out = {}
    with contextlib.suppress(Exception):
        stats = compiled.memory_analysis()
        out["program_bytes"] = int(
            stats.argument_size_in_bytes
            + stats.output_size_in_bytes
            + stats.temp_size_in_bytes
            - stats.alias_size_in_bytes
        )
        out["program_temp_bytes"] = int(stats.temp_size_in_bytes)
    stats = None
    with contextlib.suppress(Exception):
        stats = jax.devices()[0].memory_stats()
    if stats:
        out["device_bytes_in_use"] = int(stats.get("bytes_in_use", 0))
        peak = int(stats.get("peak_bytes_in_use", 0))
        rose = peak_before is None or peak > peak_before
        out["device_peak_bytes" if rose else "device_peak_bytes_at_most"] = peak
    return out


def prepare_phase(
    agent_cls, config, dataset, phases, datas, index: int, num_runs: int, variant: dict
) -> dict:
    """Agents after the earlier phases' starts and this phase's start (timed), and the compiled chunk."""
    with building(variant):
        runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
        agents = create_agents(agent_cls, config, dataset, runs)
        for earlier, earlier_data in zip(phases[:index], datas[:index], strict=True):
            if earlier.start is not None:  # e.g. SfBC's later iterations read the first one's samples
                agents = jax.block_until_ready(fresh_start(earlier.start)(agents, earlier_data))
        phase, data = phases[index], datas[index]
        start_s = None
        if phase.start is not None:  # the phase's whole-dataset computation, timed after compiling
            start = fresh_start(phase.start).lower(agents, data).compile()  # compiled ahead: one timed call
            begin = time.time()
            agents = jax.block_until_ready(start(agents, data))
            start_s = round(time.time() - begin, 3)
        keys = jax.numpy.asarray(run_keys([r.seed for r in runs])[1])
        batch_size = phase.batch_size or config.batch_size
        begin = time.time()
        lowered = fresh_chunk(phase.update, batch_size, FLAGS.steps).lower(agents, keys, data)
        chunk, note = compile_lowered(lowered, variant)
        compile_s = time.time() - begin
    return {
        "chunk": chunk, "agents": agents, "keys": keys, "data": data, "batch_size": batch_size,
        "compile_s": compile_s, "start_s": start_s, "note": note,
        "program": hashlib.sha1(lowered.as_text().encode()).hexdigest()[:12] if FLAGS.ab else None,
    }  # fmt: skip


def timed_call(prepared: dict) -> float:
    """Seconds of one chunk (``--steps`` updates); the agents carry on from it."""
    begin = time.time()
    agents, keys, info = prepared["chunk"](prepared["agents"], prepared["keys"], prepared["data"])
    jax.block_until_ready(info)
    seconds = time.time() - begin
    prepared["agents"], prepared["keys"] = agents, keys
    return seconds


def phase_row(
    prepared: dict, phase, num_runs: int, dataset, seconds: list[float], variant: dict, peak_before
) -> dict:
    updates_per_s = FLAGS.steps * len(seconds) / sum(seconds)
    row = {
        "phase": phase.name,
        "runs": num_runs,
        "batch_size": prepared["batch_size"],
        "updates_per_s": round(updates_per_s, 2),
        "seed_updates_per_s": round(updates_per_s * num_runs, 2),
        "compile_s": round(prepared["compile_s"], 2),
        "timed_chunks": len(seconds),
    }
    if prepared["start_s"] is not None:
        row.update(start_s=prepared["start_s"], dataset_size=dataset.size)
    row.update(memory(prepared["chunk"], peak_before))
    if FLAGS.ab:
        row["variant"] = variant
        row["program"] = prepared["program"]
        row["updates_per_s_each"] = [round(FLAGS.steps / s, 2) for s in seconds]
    if prepared["note"]:
        row["note"] = prepared["note"]
    return row


def time_phase(agent_cls, config, dataset, phases, datas, index: int, num_runs: int) -> list[dict]:
    """Updates/s of ``phases[index]`` (and its start's seconds), after the earlier phases' starts:
    one row per variant; with ``--ab``, the variants' chunks timed in turn, round by round."""
    todo, peak_before = variants(), device_peak()
    prepared = [prepare_phase(agent_cls, config, dataset, phases, datas, index, num_runs, v) for v in todo]
    for p in prepared:
        timed_call(p)  # warm-up
    seconds = [[] for _ in todo]
    if len(todo) == 1:
        begin = time.time()
        while len(seconds[0]) < FLAGS.repeats or time.time() - begin < FLAGS.min_time_s:
            seconds[0].append(timed_call(prepared[0]))
    else:
        for _ in range(FLAGS.repeats):
            for p, s in zip(prepared, seconds, strict=True):
                s.append(timed_call(p))
    rows = [
        phase_row(p, phases[index], num_runs, dataset, s, v, peak_before)
        for p, s, v in zip(prepared, seconds, todo, strict=True)
    ]  # fmt: skip
    for row, s in zip(rows[1:], seconds[1:], strict=True):  # paired by round: the same load
        ratios = [a / b for a, b in zip(seconds[0], s, strict=True)]
        row["speedup_each"] = [round(r, 3) for r in ratios]
        row["speedup"] = round(statistics.median(ratios), 3)
    return rows


def time_acting(agent_cls, config, dataset, num_runs: int, num_states: int) -> list[dict]:
    """Latency of one vmapped ``sample_actions`` call on ``num_states`` states per run (untrained
    parameters: the cost does not depend on their values); one row per variant, as ``time_phase``."""
    todo, calls = variants(), []
    for variant in todo:
        with building(variant):
            runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
            agents = create_agents(agent_cls, config, dataset, runs)
            for phase, data in zip(
                agent_cls.phases(config), phase_data(agent_cls.phases(config), dataset), strict=True
            ):
                if phase.start is not None:  # acting may read what a start computes
                    agents = fresh_start(phase.start)(agents, data)
            observations = jax.numpy.asarray(dataset.observations[:num_states])
            keys = jax.random.split(jax.random.PRNGKey(0), num_runs)
            act = jax.jit(jax.vmap(lambda agent, key, obs=observations: agent.sample_actions(obs, key)))
            compiled, note = compile_lowered(act.lower(agents, keys), variant)
        jax.block_until_ready(compiled(agents, keys))
        calls.append((compiled, agents, keys, note))
    seconds = [[] for _ in todo]
    if len(todo) == 1:
        compiled, agents, keys, _ = calls[0]
        begin = time.time()
        for _ in range(FLAGS.repeats):
            jax.block_until_ready(compiled(agents, keys))
        seconds[0] = [(time.time() - begin) / FLAGS.repeats]
    else:
        for _ in range(FLAGS.repeats):
            for (compiled, agents, keys, _), s in zip(calls, seconds, strict=True):
                begin = time.time()
                jax.block_until_ready(compiled(agents, keys))
                s.append(time.time() - begin)
    rows = []
    for (_, _, _, note), s, variant in zip(calls, seconds, todo, strict=True):
        mean = sum(s) / len(s)
        row = {"phase": "acting", "runs": num_runs, "states": num_states, "ms_per_call": round(1e3 * mean, 2),
               "ms_per_state": round(1e3 * mean / (num_states * num_runs), 3)}  # fmt: skip
        if FLAGS.ab:
            row["variant"] = variant
            row["ms_per_call_each"] = [round(1e3 * x, 2) for x in s]
        if note:
            row["note"] = note
        rows.append(row)
    for row, s in zip(rows[1:], seconds[1:], strict=True):
        ratios = [a / b for a, b in zip(seconds[0], s, strict=True)]
        row["speedup_each"] = [round(r, 3) for r in ratios]
        row["speedup"] = round(statistics.median(ratios), 3)
    return rows


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


def agent_config(name: str, config_name: str | None = None):
    config = load_config(os.path.join(CONFIGS_DIR, name, f"{config_name or FLAGS.config}.py"))
    if "schedule" in config.agent:  # time the critic and actor of two-stage agents apart
        config.agent.schedule = "sequential"
    return with_overrides(config)


def with_overrides(config):
    """``config`` with the ``--set`` KEY=VALUE overrides applied."""
    for override in FLAGS.set:
        key, _, value = override.partition("=")
        *parents, leaf = key.split(".")
        node = config
        for parent in parents:
            node = node[parent]
        node[leaf] = ast.literal_eval(value)
    return config


def write_report(out: str, report: dict) -> None:
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
    os.replace(out + ".tmp", out)


# --- the GPU suite -------------------------------------------------------------------------------


def estimate_s(previous: dict | None, num_runs: int) -> float | None:
    """Seconds a measurement at ``num_runs`` should take, from the same phase's row at fewer runs:
    its compile time (× 1.5) plus its start and chunks scaled linearly in the runs (an upper bound
    where vmapping helps, as on an accelerator)."""
    if previous is None:
        return None
    scale = num_runs / previous["runs"]
    per_chunk = FLAGS.steps / previous["updates_per_s"] * scale
    chunks = 1 + max(FLAGS.repeats, math.ceil(FLAGS.min_time_s / per_chunk))
    return 1.5 * previous["compile_s"] + (previous.get("start_s") or 0.0) * scale + per_chunk * chunks


def projection(phases, rows: list[dict]) -> dict:
    """Wall hours of a ``PROJECTED_STEPS``-step job of ``PROJECTED_SEEDS`` vmapped seeds (phases in
    the config's proportions) and of the config's own steps, from each phase's row at 8 runs — or,
    where that is missing, its row at the most runs measured, assuming the same seed-updates/s."""
    total = sum(p.steps for p in phases)
    by_phase = {}
    for phase in phases:
        measured = [r for r in rows if r["phase"] == phase.name]
        at = [r for r in measured if r["runs"] == PROJECTED_SEEDS] or sorted(
            measured, key=lambda r: r["runs"]
        )[-1:]
        if not at:
            return {"note": f"no row of phase {phase.name!r}: not projected"}
        by_phase[phase.name] = at[0]

    def hours(steps_of) -> float:
        seconds = 0.0
        for phase in phases:
            row = by_phase[phase.name]
            seconds += steps_of(phase) * PROJECTED_SEEDS / row["seed_updates_per_s"]
            seconds += (row.get("start_s") or 0.0) * PROJECTED_SEEDS / row["runs"]
        return round(seconds / 3600, 2)

    return {
        "from_runs": {name: row["runs"] for name, row in by_phase.items()},
        "hours_1M_steps_x8_seeds": hours(lambda p: PROJECTED_STEPS * p.steps / total),
        "config_steps": total,
        "hours_config_steps_x8_seeds": hours(lambda p: p.steps),
        "excludes": "evaluation, checkpointing, logging",
    }


def device_name() -> str:
    device = jax.devices()[0]
    return re.sub(r"[^a-z0-9]+", "-", f"{device.platform}-{device.device_kind}".lower()).strip("-")


def run_suite() -> None:
    given = {
        "agents": tuple(FLAGS.agents),
        "config": FLAGS.config,
        "runs": tuple(map(int, FLAGS.runs)),
        "steps": FLAGS.steps,
        "repeats": FLAGS.repeats,
        "dataset_size": FLAGS.dataset_size,
        "budget_s": FLAGS.budget_s,
        "min_time_s": FLAGS.min_time_s,
    }
    suite = {**given, "agents": SUITE_AGENTS, "runs": SUITE_RUNS, "min_time_s": SUITE_MIN_TIME_S}
    defaults = TINY if FLAGS.tiny else suite
    settings = {key: value if FLAGS[key].present else defaults[key] for key, value in given.items()}
    FLAGS.steps, FLAGS.repeats, FLAGS.min_time_s = (
        settings["steps"],
        settings["repeats"],
        settings["min_time_s"],
    )
    out = FLAGS.out or os.path.join("docs", "benchmarks", f"{device_name()}.json")
    begin = time.time()
    deadline = begin + settings["budget_s"]
    dataset = synthetic_dataset(settings["dataset_size"])
    report = {
        "machine": machine(),
        "suite": {**settings, "variant": base_variant()},
        "results": [],
        "skipped": [],
        "projections": {},
    }
    agents = settings["agents"]
    for position, name in enumerate(agents):
        agent_deadline = time.time() + (deadline - time.time()) / (len(agents) - position)
        agent_cls, config = agent_class(name), agent_config(name, settings["config"])
        phases = agent_cls.phases(config)
        datas = phase_data(phases, dataset)
        indices = [i for i, p in enumerate(phases) if not FLAGS.phases or p.name in FLAGS.phases]
        last, failed, rows = {}, set(), []
        for num_runs in settings["runs"]:  # every phase at few runs before any at many
            for index in indices:
                phase = phases[index]
                skip = {"agent": name, "phase": phase.name, "runs": num_runs}
                if index in failed:
                    report["skipped"].append({**skip, "reason": "failed at fewer runs"})
                    continue
                left = agent_deadline - time.time()
                estimate = estimate_s(last.get(index), num_runs)
                if left <= 0 or (estimate is not None and estimate > left):
                    reason = f"would take ≈ {estimate:.0f} s" if estimate is not None else "no time"
                    report["skipped"].append(
                        {**skip, "reason": f"{reason}; {max(left, 0):.0f} s of its budget left"}
                    )
                    continue
                measure_begin = time.time()
                try:
                    row = time_phase(agent_cls, config, dataset, phases, datas, index, num_runs)[0]
                except Exception as error:  # out of device memory, most likely: record it and go on
                    failed.add(index)
                    report["skipped"].append(
                        {**skip, "reason": f"{type(error).__name__}: {str(error)[:300]}"}
                    )
                    write_report(out, report)
                    continue
                finally:
                    gc.collect()
                row = {"agent": name, **row, "wall_s": round(time.time() - measure_begin, 2)}
                print(json.dumps(row), flush=True)
                last[index] = row
                rows.append(row)
                report["results"].append(row)
                write_report(out, report)
        report["projections"][name] = projection([phases[i] for i in indices], rows)
        report["elapsed_s"] = round(time.time() - begin, 1)
        write_report(out, report)
    summarize(report)
    print(f"Wrote {out}")


def summarize(report: dict) -> None:
    print(
        f"{'agent':<13} {'phase':<14} " + " ".join(f"{r:>9}" for r in ("runs", "seed-up/s", "compile", "MiB"))
    )
    for row in report["results"]:
        mib = row.get("program_bytes", 0) / 2**20
        print(f"{row['agent']:<13} {row['phase']:<14} {row['runs']:>9} {row['seed_updates_per_s']:>9.1f} "
              f"{row['compile_s']:>9.1f} {mib:>9.1f}")  # fmt: skip
    for skipped in report["skipped"]:
        print(f"skipped {skipped['agent']} {skipped['phase']} at {skipped['runs']} runs: {skipped['reason']}")
    for name, projected in report["projections"].items():
        print(f"{name}: {json.dumps(projected)}")


# --- the evaluation-share suite ------------------------------------------------------------------

EVAL_SHARE_ALGOS = ("bc", "iql", "td3_bc", "idql", "acd", "diffusion_ql", "dac", "sfbc", "qdq", "cped")
EVAL_SHARE_MAZES = ("pointmaze-umaze", "pointmaze-medium")
# (algo, config, dataset, transitions generated where missing; None: the registry's size).
# hopper-medium would first train its SAC behaviour policy (hours on a CPU); hopper-random steps the
# same Hopper-v5 with the same shapes, so acting and updates cost the same, and 20k transitions of
# it generate in seconds.
EVAL_SHARE_LOCOMOTION = (("iql", "locomotion", "hopper-random", 20_000),)
EVAL_SHARE_THRESHOLD = 0.10
EVAL_SHARE = {
    "algos": EVAL_SHARE_ALGOS,
    "mazes": EVAL_SHARE_MAZES,
    "maze_transitions": None,
    "locomotion": EVAL_SHARE_LOCOMOTION,
    "runs": 3,
    "eval_episodes": None,  # None: the config's
    "steps": 20,
    "repeats": 2,
    "min_time_s": 1.5,  # per phase: timed chunks until this long
    "start_rows": 4_096,  # a phase start over more rows: timed on these, scaled linearly
    "budget_s": 900.0,
    "profile": ("idql", "pointmaze-umaze"),
}
EVAL_SHARE_TINY = {
    **EVAL_SHARE,
    "algos": ("bc",),
    "mazes": ("pointmaze-umaze",),
    "maze_transitions": 2_000,
    "locomotion": (("bc", "locomotion", "hopper-random", 1_000),),
    "runs": 1,
    "eval_episodes": 2,
    "steps": 2,
    "repeats": 1,
    "min_time_s": 0.0,
    "start_rows": 512,
    "budget_s": 120.0,
    "profile": ("bc", "pointmaze-umaze"),
}


@contextlib.contextmanager
def minari_folder(path: str):
    """``MINARI_DATASETS_PATH`` set to ``path`` (and the Hub offline) inside, restored after."""
    saved = {key: os.environ.get(key) for key in ("MINARI_DATASETS_PATH", "HF_HUB_OFFLINE")}
    os.environ["MINARI_DATASETS_PATH"] = os.path.abspath(path)
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def eval_schedule(phases, config) -> list[int]:
    """The steps after which ``engine.train`` evaluates: chunks end at multiples of
    ``log_interval`` and at phase ends; a chunk ending on a multiple of ``eval_interval`` in a phase
    that evaluates is followed by an evaluation, and so is the last one."""
    total = sum(p.steps for p in phases)
    steps, step, end = [], 0, 0
    for phase in phases:
        end += phase.steps
        while step < end:
            step += min(config.log_interval - step % config.log_interval, end - step)
            if (phase.evaluate and step % config.eval_interval == 0) or step == total:
                steps.append(step)
    return steps


def eval_share_dataset(config, name: str, transitions: int | None):
    """``config.dataset = name``, prepared as the trainer does (generated first where missing, with
    ``transitions``, data seed 0); also whether it was generated now, and the seconds it took."""
    import jaxdiffrl.generators  # noqa: F401  (registers the dataset generators)
    from jaxdiffrl.data.minari_source import minari_dataset_exists
    from jaxdiffrl.data.registry import GENERATED, prepare_dataset

    config.dataset = name
    begin, generated = time.time(), False
    if not minari_dataset_exists(GENERATED[name].minari_id):
        GENERATED[name].generate(transitions=transitions, seed=0, progress=False)
        generated = True
    return prepare_dataset(config, seed=0), generated, time.time() - begin


@contextlib.contextmanager
def timed_env(envs, seconds: dict):
    """The vector env's ``step`` and ``reset`` timed into ``seconds`` (and the steps counted)."""

    def timed(name, method):
        def call(*args, **kwargs):
            begin = time.time()
            try:
                return method(*args, **kwargs)
            finally:
                seconds[f"env_{name}_s"] += time.time() - begin
                seconds[f"env_{name}s"] += 1

        return call

    seconds.update(env_step_s=0.0, env_steps=0, env_reset_s=0.0, env_resets=0)
    envs.step, envs.reset = timed("step", envs.step), timed("reset", envs.reset)
    try:
        yield seconds
    finally:
        del envs.step, envs.reset  # the class's methods again


def warm_up_acting(agents, seeds, num_runs: int, episodes: int, observation_dim: int) -> float:
    """Compiles ``Evaluator.evaluate``'s jitted calls for these shapes (a call of each with the
    arguments' shapes and types as evaluate passes them); returns the seconds."""
    from jaxdiffrl.train import evaluation

    begin = time.time()
    keys = np.stack([np.asarray(jax.random.PRNGKey(s)) for s in seeds])
    observations = np.zeros((num_runs, episodes, observation_dim), np.float32)
    jax.block_until_ready(evaluation._act(agents, observations, keys))
    return time.time() - begin


def time_evaluation(agent_cls, config, dataset, num_runs: int) -> dict:
    """Seconds of one ``Evaluator.evaluate`` of ``num_runs`` freshly created agents (after a warm-up
    call that compiles), split into env stepping (host) and the rest (the jitted action and key
    calls, their transfers and the bookkeeping). ``t_eval_projected_s`` scales it to episodes of the
    env's full length: untrained locomotion agents fall within steps, trained ones walk to the
    limit (PointMaze never terminates: the two agree)."""
    from jaxdiffrl.train import evaluation

    runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
    seeds = [r.seed for r in runs]
    agents = jax.block_until_ready(create_agents(agent_cls, config, dataset, runs))
    evaluator = evaluation.Evaluator(dataset.make_env, num_runs, config.eval_episodes)
    try:
        compile_s = warm_up_acting(agents, seeds, num_runs, config.eval_episodes, dataset.observation_dim)
        cached = evaluation._act._cache_size()
        with timed_env(evaluator.envs, {}) as env:
            begin = time.time()
            returns = evaluator.evaluate(agents, seeds, 0)
            seconds = time.time() - begin
        limit = evaluator.envs.envs[0].spec.max_episode_steps if evaluator.envs.envs[0].spec else None
    finally:
        evaluator.close()
    vector_steps = env["env_steps"]
    env_s = env["env_step_s"] + env["env_reset_s"]
    scale = limit / vector_steps if limit and vector_steps else 1.0
    return {
        "t_eval_s": round(seconds, 3),
        "env_s": round(env_s, 3),
        "policy_s": round(seconds - env_s, 3),
        "vector_steps": vector_steps,
        "max_episode_steps": limit,
        "t_eval_projected_s": round(seconds * scale, 3),
        "act_warm_up_s": round(compile_s, 2),
        "act_compiled_in_timed_eval": evaluation._act._cache_size() - cached,
        "mean_return_untrained": round(float(np.mean(returns)), 2),
    }


def rows_of(data: dict) -> int:
    """The rows of a phase's data (its arrays' leading length; 0-d arrays are constants)."""
    return max((x.shape[0] for x in jax.tree.leaves(data) if x.ndim), default=0)


def first_rows(data: dict, rows: int) -> dict:
    """The phase data cut to its first ``rows`` rows (0-d constants kept)."""
    return jax.tree.map(lambda x: x[:rows] if x.ndim else x, data)


def time_phases_in_order(
    agent_cls, config, dataset, phases, datas, num_runs: int, start_rows: int | None = None
) -> list[dict]:
    """``time_phase``'s row of every phase, the phases taken in order on one set of agents, as a job
    trains them: each phase's start (compiled ahead, then timed) runs once, on the agents the
    earlier phases' timed chunks left (``time_phase`` would redo every earlier start per phase).

    ``start_rows``: a start over more rows is timed on the data's first ``start_rows`` rows and
    scaled linearly to all of them (``start_s``; what was timed in ``start_s_timed``) — SfBC's
    first start draws its behaviour samples for every row, minutes at 100k rows here. From then
    on the phases train on the cut data (an update's cost does not depend on the rows it samples
    from), so the agents' per-row arrays match it."""
    variant = base_variant()
    runs = make_runs(list(range(num_runs)), config.agent.hparams, {})
    agents = create_agents(agent_cls, config, dataset, runs)
    keys = jax.numpy.asarray(run_keys([r.seed for r in runs])[1])
    rows, cut = [], None
    for phase, data in zip(phases, datas, strict=True):
        full_rows = rows_of(data)
        if phase.start is not None and start_rows is not None and full_rows > start_rows:
            cut = start_rows
        data = data if cut is None else first_rows(data, cut)
        start_s, timed = None, None
        if phase.start is not None:
            start = make_start(phase.start).lower(agents, data).compile()
            begin = time.time()
            agents = jax.block_until_ready(start(agents, data))
            timed = time.time() - begin
            start_s = round(timed * full_rows / rows_of(data), 3)
        batch_size = phase.batch_size or config.batch_size
        begin = time.time()
        chunk, note = compile_lowered(
            make_chunk(phase.update, batch_size, FLAGS.steps).lower(agents, keys, data), variant
        )
        prepared = {
            "chunk": chunk, "agents": agents, "keys": keys, "data": data, "batch_size": batch_size,
            "compile_s": time.time() - begin, "start_s": start_s, "note": note, "program": None,
        }  # fmt: skip
        timed_call(prepared)  # warm-up
        seconds, begin = [], time.time()
        while len(seconds) < FLAGS.repeats or time.time() - begin < FLAGS.min_time_s:
            seconds.append(timed_call(prepared))
        row = phase_row(prepared, phase, num_runs, dataset, seconds, variant, None)
        if timed is not None and rows_of(data) < full_rows:
            row.update(start_s_timed=round(timed, 3), start_rows_timed=rows_of(data), start_rows=full_rows)
        rows.append(row)
        agents, keys = prepared["agents"], prepared["keys"]
        gc.collect()
    return rows


def eval_share_row(algo: str, config_name: str, dataset_name: str, transitions, settings: dict) -> dict:
    """One config on one dataset: its schedule, one timed evaluation, every phase's updates/s and
    start, and the projected share of the job's wall time spent evaluating."""
    agent_cls = agent_class(algo)
    config = with_overrides(load_config(os.path.join(CONFIGS_DIR, algo, f"{config_name}.py")))
    if settings["eval_episodes"] is not None:
        config.eval_episodes = settings["eval_episodes"]
    dataset, generated, dataset_s = eval_share_dataset(config, dataset_name, transitions)
    phases = agent_cls.phases(config)
    datas = phase_data(phases, dataset)
    num_runs = settings["runs"]
    evaluations = eval_schedule(phases, config)
    row = {
        "algo": algo, "config": f"configs/{algo}/{config_name}.py", "dataset": dataset_name,
        "dataset_size": dataset.size, "dataset_generated_now": generated, "dataset_s": round(dataset_s, 1),
        "runs": num_runs, "eval_episodes": config.eval_episodes, "eval_interval": config.eval_interval,
        "max_steps": config.max_steps, "evals": len(evaluations), "eval_steps": evaluations,
    }  # fmt: skip
    row.update(time_evaluation(agent_cls, config, dataset, num_runs))
    row["phases"] = []
    train_s = 0.0
    timings = time_phases_in_order(
        agent_cls, config, dataset, phases, datas, num_runs, settings["start_rows"]
    )
    for phase, timed in zip(phases, timings, strict=True):
        start_s = timed.get("start_s") or 0.0
        phase_s = phase.steps / timed["updates_per_s"] + start_s
        train_s += phase_s
        row["phases"].append(
            {"phase": phase.name, "steps": phase.steps, "evaluates": phase.evaluate,
             "batch_size": timed["batch_size"], "updates_per_s": timed["updates_per_s"],
             "start_s": timed.get("start_s"), "start_s_timed": timed.get("start_s_timed"),
             "start_rows_timed": timed.get("start_rows_timed"), "compile_s": timed["compile_s"],
             "timed_updates": FLAGS.steps * timed["timed_chunks"], "projected_s": round(phase_s, 1)}
        )  # fmt: skip
    eval_s = len(evaluations) * row["t_eval_projected_s"]
    share = eval_s / (eval_s + train_s)
    row.update(  # 3 decimals: --tiny's evaluations take under a second, and share is checked against these
        train_s_projected=round(train_s, 3),
        eval_s_projected=round(eval_s, 3),
        share=round(share, 4),
        over_threshold=share > EVAL_SHARE_THRESHOLD,
    )
    return row


def profile_evaluation(algo: str, dataset_name: str, settings: dict) -> dict:
    """Two evaluations of the maze config's fresh agents, the jitted calls' caches cleared first:
    the compilations in each (JAX's trace and backend-compile events, and ``_act``'s cache entries)
    and each one's seconds split into env steps and resets (host), the jitted action call with its
    key split (blocked on: it includes the device-to-host copy evaluate makes), and the rest."""
    from jaxdiffrl.train import evaluation

    agent_cls = agent_class(algo)
    config = with_overrides(load_config(os.path.join(CONFIGS_DIR, algo, "maze.py")))
    if settings["eval_episodes"] is not None:
        config.eval_episodes = settings["eval_episodes"]
    dataset, _, _ = eval_share_dataset(config, dataset_name, settings["maze_transitions"])
    runs = make_runs(list(range(settings["runs"])), config.agent.hparams, {})
    seeds = [r.seed for r in runs]
    agents = jax.block_until_ready(create_agents(agent_cls, config, dataset, runs))
    evaluator = evaluation.Evaluator(dataset.make_env, len(runs), config.eval_episodes)
    events = []

    def listen(name, _duration, **_):
        if name in ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/backend_compile_duration"):
            events.append(name)

    act = evaluation._act
    seconds = {}

    def timed(key, function):
        def call(*args):
            begin = time.time()
            try:
                return jax.block_until_ready(function(*args))
            finally:
                seconds[key] += time.time() - begin

        return call

    act.clear_cache()
    evaluations = []
    jax.monitoring.register_event_duration_secs_listener(listen)
    evaluation._act = timed("act_s", act)
    try:
        for step in (0, config.eval_interval):
            events.clear()
            seconds.update(act_s=0.0)
            with timed_env(evaluator.envs, seconds):
                cached = act._cache_size()
                begin = time.time()
                evaluator.evaluate(agents, seeds, step)
                total = time.time() - begin
            steps = seconds["env_steps"]
            parts = {k: seconds[k] for k in ("env_step_s", "env_reset_s", "act_s")}
            evaluations.append(
                {
                    "step": step,
                    "total_s": round(total, 3),
                    **{k: round(v, 3) for k, v in parts.items()},
                    "other_s": round(total - sum(parts.values()), 3),
                    "vector_steps": steps,
                    "ms_per_step": {
                        k.removesuffix("_s"): round(1e3 * v / steps, 3)
                        for k, v in parts.items()
                        if k != "env_reset_s"
                    },
                    "traces": events.count("/jax/core/compile/jaxpr_trace_duration"),
                    "backend_compiles": events.count("/jax/core/compile/backend_compile_duration"),
                    "act_cache_entries_added": act._cache_size() - cached,
                }
            )
    finally:
        evaluation._act = act
        jax.monitoring.unregister_event_duration_listener(listen)
        evaluator.close()
    return {
        "algo": algo, "dataset": dataset_name, "runs": len(runs), "eval_episodes": config.eval_episodes,
        "envs": len(runs) * config.eval_episodes, "evaluations": evaluations,
    }  # fmt: skip


def run_eval_share() -> None:
    """``--suite=eval_share``: every row of ``EVAL_SHARE`` (``EVAL_SHARE_TINY`` with ``--tiny``;
    ``--agents``, ``--runs``, ``--steps``, ``--repeats``, ``--min_time_s`` and ``--budget_s``
    override it; rows past the budget are listed as skipped), then the profile; the JSON and the
    markdown table are rewritten after every row."""
    defaults = EVAL_SHARE_TINY if FLAGS.tiny else EVAL_SHARE
    settings = dict(defaults)
    for key in ("steps", "repeats", "min_time_s", "budget_s"):
        if FLAGS[key].present:
            settings[key] = FLAGS[key].value
    if FLAGS["agents"].present:
        settings["algos"] = tuple(FLAGS.agents)
    if FLAGS["runs"].present:
        settings["runs"] = int(FLAGS.runs[0])
    FLAGS.steps, FLAGS.repeats, FLAGS.min_time_s = (
        settings["steps"],
        settings["repeats"],
        settings["min_time_s"],
    )
    folder = FLAGS.minari_dir or (tempfile.mkdtemp(prefix="eval-share-") if FLAGS.tiny else None)
    folder = folder or os.path.join("datasets", "eval-share")
    out = FLAGS.out or (
        os.path.join(tempfile.mkdtemp(prefix="eval-share-out-"), "eval-share.json")
        if FLAGS.tiny
        else os.path.join("docs", "benchmarks", "eval-share.json")
    )
    begin = time.time()
    deadline = begin + settings["budget_s"]
    report = {
        "machine": machine(),
        "suite": {**settings, "threshold": EVAL_SHARE_THRESHOLD, "minari_dir": folder},
        "results": [],
        "skipped": [],
    }
    todo = [
        (a, "maze", m, settings["maze_transitions"]) for a in settings["algos"] for m in settings["mazes"]
    ]
    todo += list(settings["locomotion"])
    with minari_folder(folder):
        for algo, config_name, dataset_name, transitions in todo:
            if time.time() > deadline:
                report["skipped"].append(
                    {
                        "algo": algo,
                        "config": config_name,
                        "dataset": dataset_name,
                        "reason": "out of --budget_s",
                    }
                )
                continue
            row_begin = time.time()
            row = eval_share_row(algo, config_name, dataset_name, transitions, settings)
            row["wall_s"] = round(time.time() - row_begin, 1)
            gc.collect()
            print(json.dumps({k: v for k, v in row.items() if k not in ("phases", "eval_steps")}), flush=True)
            report["results"].append(row)
            report["elapsed_s"] = round(time.time() - begin, 1)
            write_eval_share(out, report)
        if settings["profile"]:
            report["profile"] = profile_evaluation(*settings["profile"], settings)
            print(json.dumps(report["profile"]), flush=True)
    report["elapsed_s"] = round(time.time() - begin, 1)
    write_eval_share(out, report)
    print(f"Wrote {out} and {os.path.splitext(out)[0]}.md")


def write_eval_share(out: str, report: dict) -> None:
    """The JSON, and beside it the markdown table (same name, ``.md``)."""
    write_report(out, report)
    m = report["machine"]
    lines = [
        "# Share of wall time spent in evaluation",
        "",
        "Written by `python launch/benchmark.py --suite=eval_share` "
        f"(JSON: `{os.path.basename(out)}`). Machine: {m['platform']} ({m['device_kind']}), "
        f"{m['cpu_count']} CPU cores ({m['processor']}), JAX {m['jax']}, Python {m['python']}, "
        f"{m['date']}; suite time {report.get('elapsed_s', 0):.0f} s.",
        "",
        f"Each row: the config at {report['suite']['runs']} vmapped runs. t_eval is one "
        "`Evaluator.evaluate` of freshly created agents (runs × episodes envs in one vector env, one "
        "jitted action call per step) after a warm-up call that compiles; env is its gymnasium "
        "stepping, policy the rest (jitted action and key calls, transfers, bookkeeping). Where "
        "untrained agents end episodes early (locomotion falls), t_eval is scaled to full-length "
        "episodes (PointMaze never terminates). Projected train s = Σ phase steps / updates/s "
        "(each phase's `make_chunk` after a compile call, the phases in order) + the phases' starts "
        f"(a start over more than {report['suite']['start_rows']} rows timed on that many, scaled "
        "linearly); projected eval s = "
        "evals × t_eval, evals counted from the config's own schedule (eval_interval, phases that do "
        "not evaluate, the final evaluation). Share = eval / (eval + train); checkpointing and "
        "logging are left out. Rows over "
        f"{100 * EVAL_SHARE_THRESHOLD:.0f} % are marked ⚠.",
        "",
        "| algo | dataset | evals | t_eval s (env / policy) | projected train s | projected eval s | share |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        scaled = (
            f" → {r['t_eval_projected_s']:.1f} full-length"
            if r["t_eval_projected_s"] != r["t_eval_s"]
            else ""
        )
        flag = " ⚠" if r["over_threshold"] else ""
        lines.append(
            f"| {r['algo']} | {r['dataset']} ({r['config'].split('/')[-1]}) | {r['evals']} | "
            f"{r['t_eval_s']:.2f} ({r['env_s']:.2f} / {r['policy_s']:.2f}){scaled} | "
            f"{r['train_s_projected']:.0f} | {r['eval_s_projected']:.0f} | {100 * r['share']:.1f} %{flag} |"
        )
    for s in report["skipped"]:
        lines.append(f"| {s['algo']} | {s['dataset']} ({s['config']}.py) | skipped: {s['reason']} | | | | |")
    profile = report.get("profile")
    if profile:
        lines += [
            "",
            f"## Profile: {profile['algo']} on {profile['dataset']}, {profile['runs']} runs × "
            f"{profile['eval_episodes']} episodes ({profile['envs']} envs)",
            "",
            "Two evaluations after clearing the jitted action call's cache (it splits the keys too); "
            "traces and backend compiles are JAX's compile events during each evaluation.",
            "",
            "| evaluation | total s | env step s | env reset s | act s | other s | "
            "ms/step env / act | traces | compiles | `_act` entries added |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for i, e in enumerate(profile["evaluations"], 1):
            ms = e["ms_per_step"]
            lines.append(
                f"| {i} (step {e['step']}) | {e['total_s']:.2f} | {e['env_step_s']:.2f} | "
                f"{e['env_reset_s']:.3f} | {e['act_s']:.2f} | {e['other_s']:.3f} | "
                f"{ms['env_step']:.2f} / {ms['act']:.2f} | {e['traces']} | "
                f"{e['backend_compiles']} | {e['act_cache_entries_added']} |"
            )
    with open(os.path.splitext(out)[0] + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")


def main(_):
    jax_compat.set_cpu_threefry(unrolled=FLAGS.threefry == "unrolled")
    if FLAGS.suite:
        if FLAGS.ab:
            raise app.UsageError("--suite does not take --ab.")
        return run_eval_share() if FLAGS.suite == "eval_share" else run_suite()
    if FLAGS.tiny:
        raise app.UsageError("--tiny goes with --suite=gpu or --suite=eval_share.")
    dataset = synthetic_dataset(FLAGS.dataset_size)
    rows = []
    for name in FLAGS.agents:
        agent_cls = agent_class(name)
        config = agent_config(name)
        phases = agent_cls.phases(config)
        datas = phase_data(phases, dataset)
        for index in range(len(phases)):
            if FLAGS.phases and phases[index].name not in FLAGS.phases:
                continue
            for num_runs in map(int, FLAGS.runs):
                for row in time_phase(agent_cls, config, dataset, phases, datas, index, num_runs):
                    row = {"agent": name, **row}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
        for num_runs in map(int, FLAGS.runs) if FLAGS.acting_states > 0 else ():
            for row in time_acting(agent_cls, config, dataset, num_runs, FLAGS.acting_states):
                row = {"agent": name, **row}
                print(json.dumps(row), flush=True)
                rows.append(row)
        for size in map(int, FLAGS.planning_sizes if name == "sfbc" else ()):
            for num_runs in map(int, FLAGS.runs):
                row = {"agent": name, **time_planning_targets(config, size, num_runs)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    out = FLAGS.out or os.path.join("docs", "benchmarks", f"{jax.devices()[0].platform}.json")
    write_report(out, {"machine": machine(), "results": rows})
    print(f"Wrote {out}")


if __name__ == "__main__":
    app.run(main)
