"""Reproduce a named suite of training runs: one launch-script job per (method, dataset), then a table.

    python launch/reproduce.py --suite=maze-cpu                # every method on two mazes, 3 seeds each
    python launch/reproduce.py --suite=maze-cpu --dry-run      # the commands and folders; runs nothing
    python launch/reproduce.py --suite=maze-cpu --only=bc,iql --datasets=pointmaze-umaze
    python launch/reproduce.py --suite=gpu --dry-run           # the paper-sized locomotion jobs
    python launch/reproduce.py --suite=maze-cpu --only=bc --extra=--config.max_steps=200 \\
        --extra=--config.eval_episodes=2                       # extra flags for every job (repeatable)

Suites:
- ``maze-cpu``: BC, IQL, IDQL, ACD, Diffusion-QL, DAC, TD3+BC, SfBC, QDQ and CPED with their CPU-sized
  ``configs/<algo>/maze.py`` on ``pointmaze-umaze`` and ``pointmaze-medium`` (the project's
  datasets, generated with seed 0 first where missing). The recorded run (docs/results/maze-cpu.md):
  its jobs' wall times sum to 72 min on 2 CPU cores (AMD EPYC) running it alone.
- ``gpu``: the same methods with their paper-sized ``configs/<algo>/locomotion.py`` on
  {hopper,walker2d,halfcheetah}-{medium,medium-replay,medium-expert} (the project's D4RL-recipe
  datasets; Minari's ``mujoco/*`` ids have no medium-replay or medium-expert). Refused in one line
  where JAX has no GPU; ``--dry-run`` lists it anywhere.

Each job is ``python launch/train_<algo>.py --config=configs/<algo>/<domain>.py:<dataset>
--seeds=3 --workdir=<root>/<algo>/<dataset> --progress=false [--extra flags]`` (the seeds vmapped in
one job), run one after another from the current folder, its output in
``<root>/logs/<algo>/<dataset>.log``, with one line per job: the time it took and the mean score,
or why it failed. A job whose workdir holds a finished results.json is skipped; one whose workdir
holds an unfinished run is continued with ``--resume --workdir=<dir>`` (and the extra flags). A
failed job does not stop the suite; the exit status is 1 if any job failed, with their list.

Then ``--out`` (default ``docs/results/<suite>.md``) gets the table ``launch/summarize.py`` makes
(``jaxdiffrl.train.summary``) of the suite's run directories under the root, this invocation's
jobs with their wall times, the total, this machine and the machines the jobs ran on (each job's
results.json names its own, so a suite finished over several sessions says where each part ran);
``<out>.json`` beside it holds the same.
Extra flags go in ``--extra=FLAG``, one flag each (``=``, not a space, before the flag).
"""

import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter

from absl import app, flags

from jaxdiffrl.data.registry import GENERATED

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Method → (launch script, configs/ folder); the order of the suites' tables.
METHODS = {
    "bc": ("train_bc.py", "bc"),
    "iql": ("train_iql.py", "iql"),
    "idql": ("train_idql.py", "idql"),
    "acd": ("train_acd.py", "acd"),
    "diffusion_ql": ("train_diffusion_ql.py", "diffusion_ql"),
    "dac": ("train_dac.py", "dac"),
    "td3_bc": ("train_td3_bc.py", "td3_bc"),
    "sfbc": ("train_sfbc.py", "sfbc"),
    "qdq": ("train_qdq.py", "qdq"),
    "cped": ("train_cped.py", "cped"),
}


@dataclasses.dataclass(frozen=True)
class Suite:
    domain: str  # configs/<algo>/<domain>.py
    datasets: tuple[str, ...]
    needs_gpu: bool
    about: str


SUITES = {
    "maze-cpu": Suite(
        "maze",
        ("pointmaze-umaze", "pointmaze-medium"),
        False,
        "every method's CPU-sized maze config on the project's PointMaze datasets (seed 0)",
    ),
    "gpu": Suite(
        "locomotion",
        tuple(
            f"{env}-{level}"
            for env in ("hopper", "walker2d", "halfcheetah")
            for level in ("medium", "medium-replay", "medium-expert")
        ),
        True,
        "every method's paper-sized locomotion config on the D4RL-recipe locomotion datasets",
    ),
}
DATA_SEED = 0


@dataclasses.dataclass(frozen=True)
class Job:
    algo: str
    dataset: str
    script: str  # path of the launch script
    config: str  # --config value: path[:dataset]
    workdir: str
    log: str


def shown(path: str) -> str:
    """``path`` relative to the current folder when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative


def printable(cmd: list[str]) -> str:
    """``cmd`` as a shell line; the interpreter as ``python`` where that is the one on the PATH."""
    on_path = shutil.which("python")
    same = on_path is not None and os.path.realpath(on_path) == os.path.realpath(sys.executable)
    return shlex.join(["python" if same else sys.executable, *cmd[1:]])


def default_root(suite: str) -> str:
    return os.path.join("runs", "reproduce", suite)


def plan(suite: str, only=(), datasets=(), root: str | None = None) -> list[Job]:
    """The suite's jobs, datasets outer, methods in METHODS order; ValueError for an unknown name."""
    spec = SUITES[suite]
    unknown = [name for name in only if name not in METHODS]
    if unknown:
        raise ValueError(f"--only: unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}.")
    unknown = [name for name in datasets if name not in spec.datasets]
    if unknown:
        raise ValueError(
            f"--datasets: {', '.join(unknown)} not in suite {suite}; it has {', '.join(spec.datasets)}."
        )
    root = root or default_root(suite)
    jobs = []
    for dataset in [d for d in spec.datasets if not datasets or d in datasets]:
        for algo, (script, folder) in METHODS.items():
            if only and algo not in only:
                continue
            config = os.path.join(REPO, "configs", folder, f"{spec.domain}.py")
            if not os.path.exists(config):
                raise ValueError(f"{algo}: no config {shown(config)} for suite {suite}.")
            name = dataset.replace("/", "_")
            jobs.append(
                Job(
                    algo,
                    dataset,
                    os.path.join(REPO, "launch", script),
                    f"{shown(config)}:{dataset}",
                    os.path.join(root, algo, name),
                    os.path.join(root, "logs", algo, f"{name}.log"),
                )
            )
    return jobs


def command(job: Job, seeds: int, extra=(), resume: bool = False) -> list[str]:
    """The job's command line; ``resume`` continues its workdir with the config it started with."""
    head = [sys.executable, shown(job.script)]
    if resume:
        return [*head, "--resume", f"--workdir={job.workdir}", "--progress=false", *extra]
    return [
        *head,
        f"--config={job.config}",
        f"--seeds={seeds}",
        f"--workdir={job.workdir}",
        "--progress=false",
        *extra,
    ]


def dataset_command(dataset: str) -> list[str] | None:
    """make_dataset.py for a project dataset (None for a Minari id, never made here)."""
    if dataset not in GENERATED:
        return None
    script = shown(os.path.join(REPO, "launch", "make_dataset.py"))
    return [sys.executable, script, f"--dataset={dataset}", f"--seed={DATA_SEED}", "--progress=false"]


def job_state(workdir: str) -> tuple[str, dict | None]:
    """("finished" | "unfinished" | "new", results.json or None). Finished: results.json says the
    job did all the max_steps of the run's saved config; unfinished: a run was started there."""
    from jaxdiffrl.train.engine import is_finished, read_results  # imports JAX: not for --dry-run

    results = read_results(workdir)
    try:
        with open(os.path.join(workdir, "config.json")) as f:
            max_steps = json.load(f).get("max_steps")
    except (OSError, ValueError):
        max_steps = None
    if max_steps is not None and is_finished(results, max_steps):
        return "finished", results
    started = max_steps is not None or os.path.isdir(os.path.join(workdir, "checkpoints"))
    return ("unfinished" if started else "new"), results


def dataset_on_disk(dataset: str) -> dict | None:
    """The size and generator seed of a project dataset on disk ({} if its metadata is unreadable),
    None when it is not there."""
    from jaxdiffrl.data.minari_source import minari_dataset_exists, minari_root

    entry = GENERATED[dataset]
    if not minari_dataset_exists(entry.minari_id):
        return None
    try:
        with open(minari_root() / entry.minari_id / "data" / "metadata.json") as f:
            metadata = json.load(f)
    except (OSError, ValueError):
        return {}
    return {
        "transitions": metadata.get("total_steps"),
        "seed": (metadata.get("jaxdiffrl") or {}).get("seed"),
        "default_transitions": entry.default_transitions,
    }


def score_text(results: dict | None) -> tuple[str, float | None]:
    """'score 34.8 ± 4.2 (3 seeds)' of a job's results, and the mean."""
    runs = (results or {}).get("runs", [])
    scores = [
        r["normalized_score"]
        for r in runs
        if r.get("status", "finished") == "finished" and r.get("normalized_score") is not None
    ]
    if not scores:
        return "no score", None
    mean = sum(scores) / len(scores)
    std = (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5 if len(scores) > 1 else 0.0
    missing = len(runs) - len(scores)
    text = f"normalized score {mean:.1f} ± {std:.1f} ({len(scores)} seeds"
    return text + (f", {missing} without a score)" if missing else ")"), mean


def failure_line(log: str) -> str:
    """The child's last ``error:`` line, else its last line."""
    try:
        with open(log, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return "(no log)"
    errors = [line for line in lines if line.startswith("error:")]
    line = (errors or lines or ["(no output)"])[-1]
    return line if len(line) <= 300 else line[:297] + "..."


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.2f} h"


def run_logged(cmd: list[str], log: str) -> int:
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "a") as f:
        f.write(f"$ {printable(cmd)}\n")
        f.flush()
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode


def run_job(job: Job, seeds: int, extra, index: int, total: int) -> dict:
    """Runs (or skips, or resumes) one job; prints its line; returns its record."""
    from jaxdiffrl.train.summary import job_wall_time  # lazily, as report() does

    label = f"[{index}/{total}] {job.algo} on {job.dataset}"
    state, results = job_state(job.workdir)
    record = {"algo": job.algo, "dataset": job.dataset, "workdir": job.workdir, "log": job.log}
    if state == "finished":
        score, mean = score_text(results)
        print(f"{label}: skipped, {job.workdir} holds a finished run: {score}", flush=True)
        job_wall, partial = job_wall_time(results)
        return {**record, "status": "skipped", "wall_s": 0.0, "job_wall_s": job_wall,
                "job_wall_partial": partial, "score": mean, "command": None}  # fmt: skip
    cmd = command(job, seeds, extra, resume=state == "unfinished")
    print(f"{label}: {'resuming' if state == 'unfinished' else 'running'} (log {job.log})", flush=True)
    start = time.time()
    returncode = run_logged(cmd, job.log)
    elapsed = time.time() - start
    state, results = job_state(job.workdir)
    job_wall, partial = job_wall_time(results or {})
    record.update(command=printable(cmd), wall_s=elapsed, job_wall_s=job_wall, job_wall_partial=partial)
    if returncode == 0 and state == "finished":
        score, mean = score_text(results)
        print(f"{label}: done in {seconds(elapsed)}, {score}", flush=True)
        return {**record, "status": "resumed" if "--resume" in cmd else "ran", "score": mean}
    why = failure_line(job.log) if returncode else "stopped unfinished; run the suite again to resume it"
    print(f"{label}: FAILED (exit {returncode}) after {seconds(elapsed)}: {why}", flush=True)
    return {**record, "status": "failed", "returncode": returncode, "error": why, "score": None}


def prepare_datasets(datasets, root: str) -> tuple[dict, list[dict]]:
    """Makes the missing project datasets (seed 0); ({dataset: what is on disk}, failed records)."""
    found, failed = {}, []
    for dataset in datasets:
        if dataset not in GENERATED:
            continue
        info = dataset_on_disk(dataset)
        if info is None:
            cmd = dataset_command(dataset)
            log = os.path.join(root, "logs", "datasets", f"{dataset}.log")
            print(f"dataset {dataset}: not on disk, making it with seed {DATA_SEED} (log {log})", flush=True)
            start = time.time()
            returncode = run_logged(cmd, log)
            info = dataset_on_disk(dataset)
            if returncode or info is None:
                why = failure_line(log)
                print(f"dataset {dataset}: FAILED (exit {returncode}): {why}", flush=True)
                failed.append({"dataset": dataset, "error": why})
                continue
            info["made_in_s"] = time.time() - start
            print(f"dataset {dataset}: made in {seconds(info['made_in_s'])}", flush=True)
        elif info.get("seed") not in (None, DATA_SEED):
            print(f"warning: dataset {dataset} on disk was made with seed {info['seed']}, not {DATA_SEED}.")
        found[dataset] = info
    return found, failed


def machine() -> dict:
    """This host (``jaxdiffrl.train.machine.host``, no JAX) under the report's key names."""
    from jaxdiffrl.train.machine import host

    info = host()
    return {"processor": info["processor"], "cpu_model": info["cpu_model"], "cores": info["cores"],
            "platform": info["os"], "python": info["python"]}  # fmt: skip


def _run_file(workdir: str, name: str) -> dict:
    """A run directory's JSON file ({} where it is missing or unreadable)."""
    try:
        with open(os.path.join(workdir, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def job_code(workdir: str) -> str | None:
    """The code version (git) a job started with, from its run.json (None where unreadable)."""
    return (_run_file(workdir, "run.json").get("code_version") or {}).get("git")


def job_machine(workdir: str) -> dict | None:
    """The machine a finished job's results.json names (None for a job from before it recorded one)."""
    return _run_file(workdir, "results.json").get("machine")


def counted_lines(what: str, counted: list[tuple[str, int]], several: str) -> list[str]:
    """The line naming the jobs' <what> with counts, and the ``several`` warning where they differ."""
    named = "; ".join(f"{name} ({count} job{'s' * (count != 1)})" for name, count in counted)
    return [f"- The jobs' {what}: {named}", *([f"  {several}"] * (len(counted) > 1))]


def accelerator() -> tuple[str, str | None]:
    """(jax.default_backend(), the first device's kind), asked in a child process: JAX started in
    this one would hold the GPU's memory while the jobs run."""
    code = "import jax; print(jax.default_backend()); print(len(jax.devices()), jax.devices()[0].device_kind)"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return "unknown", None
    lines = out.stdout.strip().splitlines()[-2:]
    return (lines[0], lines[1]) if out.returncode == 0 and len(lines) == 2 else ("unknown", None)


def against_bc(rows: list[dict]) -> list[str]:
    """Lines saying, per dataset, which methods' mean final score is not above BC's (the suite's
    yardstick), and which are above it by less than their spread: the 95 % interval of their IQM
    reaches BC's mean. Nothing where BC has no row."""
    per_dataset: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["dataset"].startswith("all (") or not row.get("final"):
            continue
        per_dataset.setdefault(row["dataset"], {})[row["algo"]] = row["final"]
    lines = []
    for dataset, stats in per_dataset.items():
        if "bc" not in stats:
            continue
        bc = stats["bc"]["mean"]
        others = {algo: stat for algo, stat in stats.items() if algo != "bc"}
        behind = [f"{a} ({s['mean']:.1f})" for a, s in others.items() if s["mean"] <= bc]
        close = [f"{a} ({s['mean']:.1f}, IQM interval from {s['iqm_ci95'][0]:.1f})"
                 for a, s in others.items() if s["mean"] > bc and s["iqm_ci95"][0] <= bc]  # fmt: skip
        verdict = f"not above it: {', '.join(behind)}" if behind else "every other method's mean is above it"
        if close:
            verdict += f"; above it by less than their spread: {', '.join(close)}"
        lines.append(f"- {dataset}: BC's mean final score {bc:.1f}; {verdict}.")
    return ["", "Against BC (mean final score):", "", *lines] if lines else []


def report(
    suite: str,
    jobs: list[dict],
    datasets: dict,
    total_s: float,
    seeds: int,
    extra,
    reps: int,
    root: str,
    devices: str | None = None,
) -> tuple[str, dict]:
    """(Markdown, JSON): the table of every run directory of the suite under ``root`` (this
    invocation's jobs and any others of the suite there), then this invocation's jobs."""
    from jaxdiffrl.app.workdir import code_version
    from jaxdiffrl.train.machine import tally as machine_tally
    from jaxdiffrl.train.summary import markdown_table, summarize

    workdirs = [job.workdir for job in plan(suite, root=root)]
    done = [w for w in workdirs if os.path.exists(os.path.join(w, "config.json"))]
    summary = summarize(done, reps=reps) if done else {"rows": [], "notes": [], "score": "normalized_score"}
    info = {**machine(), "devices": devices}
    spec = SUITES[suite]
    lines = [
        f"# Reproduction: suite `{suite}`",
        "",
        f"{spec.about[0].upper() + spec.about[1:]}: `configs/<algo>/{spec.domain}.py`, {seeds} seeds per job "
        "(vmapped), one job per (method, dataset).",
        "",
        f"- Command: `{shlex.join(['python', *[shown(sys.argv[0]), *sys.argv[1:]]])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M')}; code {code_version().get('git') or 'unknown'}",
        f"- Machine: {info['cpu_model'] or info['processor']} ({info['processor']}), {info['cores']} CPU "
        f"cores{f', GPU: {devices}' if devices else ''}, {info['platform']}, Python {info['python']}",
        f"- Extra flags: {' '.join(f'`{e}`' for e in extra) if extra else 'none'}",
    ]
    job_machines = {w: job_machine(w) for w in done}
    job_codes = {w: job_code(w) for w in done}
    if done:
        lines += counted_lines(
            "machines (their results.json)",
            machine_tally(job_machines.values()),
            "The jobs ran on more than one machine: their updates/s and wall times compare only "
            "within one, and a job's scores repeat to the digit only on its own.",
        )
        lines += counted_lines(
            "code (their run.json)",
            Counter(code or "unknown" for code in job_codes.values()).most_common(),
            "The jobs started from more than one code version: `git diff` between them says "
            "whether anything that trains changed.",
        )
    for dataset, data in datasets.items():
        size = data.get("transitions")
        note = ""
        if size and data.get("default_transitions") and size != data["default_transitions"]:
            note = f" (not the default {data['default_transitions']:,})"
        lines.append(f"- Dataset {dataset}: {size:,} transitions{note}, generator seed {data.get('seed')}"
                     if size else f"- Dataset {dataset}: on disk (metadata unreadable)")  # fmt: skip
    lines += ["", f"## Scores (every run directory of the suite under `{root}`)", ""]
    lines.append(markdown_table(summary).rstrip("\n") if summary["rows"] else "No finished job.")
    lines += [f"- note: {note}" for note in summary["notes"]]
    lines += against_bc(summary["rows"])
    timed = [r for r in summary["rows"] if r.get("wall_time_s") and not r["dataset"].startswith("all (")]
    if timed:
        total = seconds(sum(r["wall_time_s"] for r in timed))
        partial = [f"{r['algo']} on {r['dataset']}" for r in timed if r.get("wall_time_partial")]
        bound = "at least " if partial else ""
        caveat = f" ({', '.join(partial)}: the last segment only)" if partial else ""
        lines += ["", f"Suite time, the jobs' own wall times (results.json) summed: {bound}{total}{caveat}."]
    lines += [
        "",
        "## Jobs of this invocation",
        "",
        "| algo | dataset | status | wall time (this invocation) | job wall time (results.json) | score |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for job in jobs:
        status = job["status"] + (f": {job['error']}" if job["status"] == "failed" else "")
        score = "–" if job["score"] is None else f"{job['score']:.1f}"
        lines.append(f"| {job['algo']} | {job['dataset']} | {status.replace('|', '/')} | "
                     f"{seconds(job['wall_s'])} | {'≥ ' * bool(job.get('job_wall_partial'))}"
                     f"{seconds(job['job_wall_s'])} | {score} |")  # fmt: skip
    ran = sum(j["wall_s"] for j in jobs)
    lines += ["", f"Total wall time of this invocation: {seconds(total_s)} (jobs {seconds(ran)})."]
    data = {
        "suite": suite,
        "argv": list(sys.argv),
        "machine": info,
        "code_version": code_version(),
        "seeds": seeds,
        "extra": list(extra),
        "datasets": datasets,
        "job_machines": job_machines,
        "job_codes": job_codes,
        "jobs": jobs,
        "total_wall_s": total_s,
        "summary": summary,
    }
    return "\n".join(lines) + "\n", data


def main(argv):
    if len(argv) > 1:
        sys.exit(f"error: unexpected arguments {' '.join(argv[1:])} (extra flags go in --extra=FLAG).")
    suite, extra = FLAGS.suite, list(FLAGS.extra)
    try:
        jobs = plan(suite, FLAGS.only, FLAGS.datasets, FLAGS.root)
    except ValueError as error:
        sys.exit(f"error: {error}")
    if not jobs:
        sys.exit("error: no job left after --only / --datasets.")
    out = FLAGS.out or os.path.join("docs", "results", f"{suite}.md")
    json_out = os.path.splitext(out)[0] + ".json"
    datasets = list(dict.fromkeys(job.dataset for job in jobs))
    if FLAGS["dry-run"].value:
        gpu = "; needs a GPU" if SUITES[suite].needs_gpu else ""
        print(f"# suite {suite}: {len(jobs)} job(s){gpu}; report {out} and {json_out}")
        for dataset in datasets:
            cmd = dataset_command(dataset)
            if cmd:
                print(f"{printable(cmd)}  # dataset {dataset} (kept if on disk)")
        for job in jobs:
            print(f"{printable(command(job, FLAGS.seeds, extra))}  # -> {job.workdir}")
        return
    devices = None
    if SUITES[suite].needs_gpu:
        backend, devices = accelerator()
        if backend != "gpu":
            sys.exit(f"error: --suite={suite} needs a GPU (jax.default_backend() is {backend!r}); "
                     "--dry-run lists its commands.")  # fmt: skip
    start = time.time()
    root = FLAGS.root or default_root(suite)
    print(f"suite {suite}: {len(jobs)} job(s), {FLAGS.seeds} seeds each, into {root}", flush=True)
    on_disk, bad_data = prepare_datasets(datasets, root)
    records = []
    for index, job in enumerate(jobs, 1):
        if job.dataset in {b["dataset"] for b in bad_data}:
            print(f"[{index}/{len(jobs)}] {job.algo} on {job.dataset}: FAILED: its dataset could not be made")
            records.append({"algo": job.algo, "dataset": job.dataset, "workdir": job.workdir, "log": job.log,
                            "status": "failed", "error": "dataset not made", "wall_s": 0.0,
                            "job_wall_s": None, "score": None, "command": None})  # fmt: skip
            continue
        try:
            records.append(run_job(job, FLAGS.seeds, extra, index, len(jobs)))
        except KeyboardInterrupt:
            sys.exit(f"\ninterrupted during {job.algo} on {job.dataset}; run it again to continue.")
    total = time.time() - start
    markdown, data = report(suite, records, on_disk, total, FLAGS.seeds, extra, FLAGS.reps, root, devices)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        f.write(markdown)
    with open(json_out, "w") as f:
        json.dump(data, f, indent=2)
    print("wall time per job:")
    for record in records:
        name = f"{record['algo']} on {record['dataset']}"
        print(f"  {name:<40} {record['status']:<8} {seconds(record['wall_s'])}")
    print(f"total wall time {seconds(total)}; report in {out} and {json_out}")
    failed = [r for r in records if r["status"] == "failed"]
    if failed:
        sys.exit(
            f"error: {len(failed)} of {len(records)} job(s) failed: "
            + ", ".join(f"{r['algo']} on {r['dataset']}" for r in failed)
        )


if __name__ == "__main__":
    flags.DEFINE_enum("suite", "maze-cpu", list(SUITES), "The suite of runs to reproduce.")
    flags.DEFINE_list("only", [], f"Only these methods (default all): {', '.join(METHODS)}.")
    flags.DEFINE_list("datasets", [], "Only these of the suite's datasets (default all).")
    flags.DEFINE_multi_string(
        "extra", [], "A flag added to every job's command, e.g. --extra=--config.max_steps=200 (repeatable)."
    )
    flags.DEFINE_integer("seeds", 3, "Seeds per job (vmapped).")
    flags.DEFINE_string("root", None, "Folder of the run directories (default runs/reproduce/<suite>).")
    flags.DEFINE_string(
        "out", None, "Markdown report (default docs/results/<suite>.md); <out>.json beside it."
    )
    flags.DEFINE_bool("dry-run", False, "Print every command and its output folder; run nothing.")
    flags.DEFINE_integer("reps", 50_000, "Bootstrap replicates of the table's IQM intervals.")
    FLAGS = flags.FLAGS
    app.run(main)
