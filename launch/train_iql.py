"""Train IQL: python launch/train_iql.py --config=configs/iql/maze.py:pointmaze-umaze --seeds=3"""

import os

from absl import app
from ml_collections import config_flags

from jaxdiffrl.agents.iql import IQLAgent
from jaxdiffrl.train import cli

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "configs", "iql", "maze.py") + ":pointmaze-umaze"
CONFIG = config_flags.DEFINE_config_file("config", DEFAULT, "Config file[:dataset].", lock_config=True)


def main(_):
    cli.run(IQLAgent, CONFIG.value)


if __name__ == "__main__":
    app.run(main)
