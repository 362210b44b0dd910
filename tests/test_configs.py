"""Every config file loads, with the top-level keys the engine and users rely on."""

import glob
import os

import pytest

from jaxdiffrl.app.cli import CONFIGS_DIR, load_config
from jaxdiffrl.train.config import check_config

REQUIRED = ("algo", "dataset", "max_steps", "batch_size", "log_interval", "eval_interval", "eval_episodes")
FILES = sorted(glob.glob(os.path.join(CONFIGS_DIR, "*", "*.py")))


def test_every_method_has_every_domain():
    methods = {os.path.basename(os.path.dirname(f)) for f in FILES}
    for method in methods:
        domains = {os.path.basename(f)[:-3] for f in FILES if os.path.basename(os.path.dirname(f)) == method}
        assert {"locomotion", "antmaze", "maze", "toy"} <= domains, method


@pytest.mark.parametrize("path", FILES, ids=lambda f: os.path.relpath(f, CONFIGS_DIR))
def test_config_loads_with_required_keys(path):
    config = load_config(path)
    for key in REQUIRED:
        assert key in config, f"{path} lacks top-level {key}"
    check_config(config)
    assert "hparams" in config.agent, "sweepable float hyperparameters live in config.agent.hparams"
