"""TensorBoard is a dependency; Weights & Biases logs beside it when ``config.logging.wandb`` is on.

wandb is an optional extra and is not installed for the tests: a fake ``wandb`` module stands in
for it (in ``sys.modules`` for the logger, on ``PYTHONPATH`` for a launch script).
"""

import importlib.util
import json
import os
import subprocess
import sys
import tomllib
import types

import numpy as np
import pytest

from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.logging import WANDB_MISSING, MetricsLogger
from jaxdiffrl.train.runs import make_runs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FAKE_WANDB = """
import json, os

class Run:
    def __init__(self, kwargs):
        self.kwargs, self.logged, self.finished = kwargs, [], False

    def log(self, data, step=None):
        self.logged.append((step, dict(data)))

    def finish(self):
        self.finished = True
        path = os.environ.get("FAKE_WANDB_OUT")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({"init": self.kwargs, "logged": self.logged}) + "\\n")

RUNS = []

def init(**kwargs):
    RUNS.append(Run(kwargs))
    return RUNS[-1]
"""


def fake_wandb() -> types.ModuleType:
    module = types.ModuleType("wandb")
    exec(FAKE_WANDB, module.__dict__)
    return module


def job_config(wandb: bool = True):
    config = base_config("iql", "pointmaze-umaze", agent=None)
    config.logging.wandb = wandb
    return config


def test_tensorboard_is_a_runtime_dependency_and_wandb_an_extra():
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    names = [dep.split(">")[0].split("=")[0].split("[")[0].strip() for dep in project["dependencies"]]
    assert "tensorboard" in names and "tensorboardX" in names
    assert "wandb" not in names
    assert any(dep.startswith("wandb") for dep in project["optional-dependencies"]["wandb"])


def test_every_config_has_the_logging_block_off():
    config = job_config(wandb=False)
    assert config.logging.to_dict() == {"wandb": False, "wandb_project": "jaxdiffrl", "wandb_mode": "offline"}


def test_wandb_runs_are_named_after_algo_dataset_seed_and_sweep_point(tmp_path, monkeypatch):
    wandb = fake_wandb()
    monkeypatch.setitem(sys.modules, "wandb", wandb)
    runs = make_runs([0, 1], {"expectile": 0.7, "temperature": 3.0}, {"expectile": [0.6, 0.9]})
    logger = MetricsLogger(str(tmp_path), runs, config=job_config())
    logger.log(10, {"critic/loss": np.arange(4.0)})
    logger.log(10, {"return": np.full(4, 2.0), "normalized_score": np.full(4, 50.0)}, "eval")
    logger.close()

    assert len(wandb.RUNS) == 4 and all(run.finished for run in wandb.RUNS)
    inits = [run.kwargs for run in wandb.RUNS]
    assert {kw["project"] for kw in inits} == {"jaxdiffrl"}
    assert {kw["mode"] for kw in inits} == {"offline"}
    assert [kw["name"] for kw in inits] == [
        "iql-pointmaze-umaze-seed0-expectile=0.6",
        "iql-pointmaze-umaze-seed1-expectile=0.6",
        "iql-pointmaze-umaze-seed0-expectile=0.9",
        "iql-pointmaze-umaze-seed1-expectile=0.9",
    ], "only the swept hyperparameter names the point (temperature is not swept)"
    assert [kw["group"] for kw in inits] == ["iql-pointmaze-umaze-expectile=0.6"] * 2 + [
        "iql-pointmaze-umaze-expectile=0.9"
    ] * 2
    assert len({kw["id"] for kw in inits}) == 4 and all(kw["dir"] == str(tmp_path) for kw in inits)
    assert inits[2]["config"]["seed"] == 0 and inits[2]["config"]["hparams"]["expectile"] == 0.9
    assert inits[0]["config"]["algo"] == "iql" and inits[0]["config"]["logging"]["wandb"] is True
    assert wandb.RUNS[3].logged == [
        (10, {"critic/loss": 3.0}),
        (10, {"eval/return": 2.0, "eval/normalized_score": 50.0}),
    ]
    # beside TensorBoard and the JSONL, never instead of them
    assert len(list((tmp_path / "tb").iterdir())) == 4
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 8


def test_the_saved_config_json_turns_wandb_on(tmp_path, monkeypatch):
    wandb = fake_wandb()
    monkeypatch.setitem(sys.modules, "wandb", wandb)
    (tmp_path / "config.json").write_text(job_config().to_json_best_effort())
    MetricsLogger(str(tmp_path), make_runs([5], {}, {})).close()
    assert [run.kwargs["name"] for run in wandb.RUNS] == ["iql-pointmaze-umaze-seed5"]
    assert wandb.RUNS[0].kwargs["group"] == "iql-pointmaze-umaze"


def test_wandb_off_never_imports_it_and_on_without_it_fails_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb raises ImportError
    runs = make_runs([0], {}, {})
    MetricsLogger(str(tmp_path / "off"), runs, config=job_config(wandb=False)).close()
    MetricsLogger(str(tmp_path / "plain"), runs).close()  # no config.json: TensorBoard only
    with pytest.raises(ImportError) as error:
        MetricsLogger(str(tmp_path / "on"), runs, config=job_config())
    assert str(error.value) == WANDB_MISSING and "\n" not in WANDB_MISSING


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed")
def test_launch_with_wandb_but_without_the_package_fails_in_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "launch/train_bc.py", "--config.logging.wandb=True", f"--workdir={tmp_path / 'x'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1] == f"error: {WANDB_MISSING}", out.stderr[-2000:]
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_a_launch_script_logs_to_wandb_offline(tmp_path):
    (tmp_path / "fake" / "wandb").mkdir(parents=True)
    (tmp_path / "fake" / "wandb" / "__init__.py").write_text(FAKE_WANDB)
    record = tmp_path / "wandb_runs.jsonl"
    workdir = tmp_path / "bc"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), os.environ.get("PYTHONPATH", "")]),
        "FAKE_WANDB_OUT": str(record),
    }
    out = subprocess.run(
        [
            sys.executable,
            "launch/train_bc.py",
            "--config=configs/bc/toy.py:bandit-dql-4mode",
            "--config.max_steps=20",
            "--config.log_interval=10",
            "--config.eval_interval=20",
            "--config.checkpoint_interval=20",
            "--config.eval_episodes=2",
            "--config.batch_size=16",
            "--config.logging.wandb=True",
            "--seeds=2",
            "--progress=false",
            f"--workdir={workdir}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["init"]["name"] for r in runs] == ["bc-bandit-dql-4mode-seed0", "bc-bandit-dql-4mode-seed1"]
    assert all(r["init"]["mode"] == "offline" and r["init"]["project"] == "jaxdiffrl" for r in runs)
    steps = {step for step, _ in runs[0]["logged"]}
    assert steps == {10, 20}
    assert any("eval/normalized_score" in data for _, data in runs[0]["logged"])
    assert (workdir / "results.json").exists() and len(list((workdir / "tb").iterdir())) == 2
