"""Train ACG: python launch/train_acg.py --config=configs/acd/maze.py:pointmaze-umaze,variant=acg --seeds=3"""

from jaxdiffrl.agents.acd import ACGAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("acd/maze.py:pointmaze-umaze,variant=acg")

if __name__ == "__main__":
    cli.launch(ACGAgent, CONFIG)
