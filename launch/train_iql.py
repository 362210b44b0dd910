"""Train IQL: python launch/train_iql.py --config=configs/iql/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.iql import IQLAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("iql/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(IQLAgent, CONFIG)
