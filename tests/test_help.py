"""``--help`` of every launch script: the project's flags, then every key of the chosen config with
its value and, where the code that builds it comments the key, its meaning; and no
gymnasium-robotics Adroit notice on any command."""

import glob
import json
import os
import re
import subprocess
import sys

import ml_collections
import pytest

from jaxdiffrl import ADROIT_NOTICE
from jaxdiffrl.app.cli import CONFIGS_DIR, config_comments, config_help, load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "launch", "train_*.py")))
OTHER_SCRIPTS = sorted(
    os.path.basename(p)
    for p in glob.glob(os.path.join(REPO, "launch", "*.py"))
    if not os.path.basename(p).startswith("train_")
)


def launch(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, os.path.join("launch", script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def default_config_spec(script: str) -> str:
    source = open(os.path.join(REPO, "launch", script)).read()
    return re.search(r'define_config\("([^"]+)"\)', source).group(1)


def flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        elif not isinstance(value, dict):
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.mark.parametrize("script", TRAIN_SCRIPTS)
def test_config_help_of_every_launch_scripts_default_config_lists_every_key(script):
    """In-process (a subprocess per script costs seconds each): every key of the script's default
    config appears in ``config_help``, grouped under its block."""
    spec = default_config_spec(script)
    path = os.path.join(CONFIGS_DIR, spec.partition(":")[0])
    config = load_config(os.path.join(CONFIGS_DIR, spec))
    text = config_help(config, config_comments(path), spec)
    keys = flatten(json.loads(config.to_json_best_effort()))
    assert "batch_size" in keys and any(key.startswith("agent.") for key in keys)
    for key in keys:
        assert re.search(rf"^    {re.escape(key)} = ", text, re.M), f"{script}: {key} missing from --help"
    assert "  agent:" in text and "  data:" in text and "  logging:" in text


@pytest.mark.parametrize("script", ["train_bc.py", "train_cped.py"])
def test_help_lists_the_flags_then_every_config_key(script):
    out = launch(script, "--help")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and ADROIT_NOTICE not in out.stderr
    text = out.stdout
    for flag in ("--config", "--seeds", "--seed", "--workdir", "--resume", "--sweep", "--stop_after"):
        assert f"  {flag}: " in text, flag
    assert "--logtostderr" not in text, "absl's own flags stay behind --helpfull"
    assert text.index("Flags:") < text.index("Config keys of configs/")
    config = load_config(os.path.join(CONFIGS_DIR, default_config_spec(script)))
    keys = flatten(json.loads(config.to_json_best_effort()))
    assert "batch_size" in keys and any(key.startswith("agent.") for key in keys)
    for key in keys:
        assert re.search(rf"^    {re.escape(key)} = ", text, re.M), f"{script}: {key} missing from --help"
    assert "  agent:" in text and "  data:" in text and "  logging:" in text


def test_help_shows_the_values_after_the_overrides_and_the_chosen_config():
    out = launch(
        "train_iql.py", "--config=configs/iql/toy.py", "--config.batch_size=64", "--seeds=2", "--help"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Config keys of configs/iql/toy.py" in out.stdout
    assert re.search(r"^    batch_size = 64 ", out.stdout, re.M)
    assert re.search(r"^    algo = 'iql'$", out.stdout, re.M)
    bad = launch("train_iql.py", "--config.agent.expectile=0.9", "--help")
    assert bad.returncode != 0 and "unknown config key 'agent.expectile'" in bad.stderr


def test_help_gives_the_meanings_the_config_code_comments():
    out = launch("train_idql.py", "--config=configs/idql/locomotion.py:hopper-medium", "-h")
    assert out.returncode == 0, out.stderr[-2000:]
    lines = {line.split(" = ")[0].strip(): line for line in out.stdout.splitlines() if " = " in line}
    assert lines["agent.extraction"].endswith("# argmax (eq. 13) | implicit (Algorithm 2 resampling)")
    assert lines["online.actor_lr"].endswith("# constant; for agents that fine-tune their actor")
    assert "#" not in lines["agent.actor_lr"], "online.actor_lr's comment is not agent.actor_lr's"
    assert "#" not in lines["agent.diffusion.schedule"], "agent.schedule's comment is not the diffusion's"
    assert lines["agent.schedule"].endswith("# sequential | interleaved")
    assert "# updates, summed over the agent's phases" in lines["max_steps"]


def test_config_help_groups_by_block_and_matches_comments_to_their_block():
    config = ml_collections.ConfigDict(
        {
            "batch_size": 256,
            "agent": {"actor_lr": 1e-3, "dims": (16, 16), "hparams": {}},
            "online": {"actor_lr": 3e-4, "steps": 10},
        }
    )
    comments = [
        ("actor_lr", "default_online_config", "the fine-tuning rate"),
        ("batch_size", "base_config", "per update"),
        ("steps", "default_online_config", "env steps"),
        ("agent.dims", "", "hidden widths"),
    ]
    text = config_help(config, comments, "configs/x.py:data")
    assert text.splitlines() == [
        "Config keys of configs/x.py:data (override any with --config.<key>=value):",
        "  run:",
        "    batch_size = 256  # per update",
        "  agent:",
        "    agent.actor_lr = 0.001",
        "    agent.dims = (16,16)    # hidden widths",
        "  agent.hparams (per-run hyperparameters: --sweep=NAME=V1,V2,… makes a grid of them):",
        "    (none)",
        "  online:",
        "    online.actor_lr = 0.0003  # the fine-tuning rate",
        "    online.steps = 10         # env steps",
    ]


def test_config_comments_follow_the_calls_that_build_the_config():
    found = config_comments(os.path.join(CONFIGS_DIR, "bc", "maze.py"))
    by_key = {key: (scope, text) for key, scope, text in reversed(found)}
    assert by_key["actor_type"] == ("default_config", "gaussian | diffusion")  # agents/bc.py
    assert by_key["ddim_steps"][0] == "default_diffusion_config"  # called by bc's default_config
    assert by_key["batch_size"][0] == "base_config"
    assert "extraction" not in by_key, "IDQL's file is not on BC's path"


@pytest.mark.parametrize("script", OTHER_SCRIPTS)
def test_the_other_launch_scripts_have_help_too(script):
    out = launch(script, "--help")  # absl's own --help: the docstring and the script's flags, exit 1
    assert out.returncode in (0, 1) and not out.stderr.strip(), out.stderr[-2000:]
    assert f"launch/{script}:" in out.stdout and "--" in out.stdout
    assert ADROIT_NOTICE not in out.stderr and "Traceback" not in out.stderr


def test_importing_gymnasium_robotics_through_jaxdiffrl_prints_no_adroit_notice():
    code = "import jaxdiffrl.envs.maze2d, gymnasium_robotics; print('imported')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "imported", out.stderr[-2000:]
    assert ADROIT_NOTICE not in out.stderr and "Adroit" not in out.stderr, out.stderr
    plain = subprocess.run(
        [sys.executable, "-c", "import gymnasium_robotics"], capture_output=True, text=True, timeout=300
    )
    if "Adroit" in plain.stderr:  # the installed gymnasium-robotics prints it: the filter matched it
        assert ADROIT_NOTICE in plain.stderr
