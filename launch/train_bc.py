"""Train BC: python launch/train_bc.py --config=configs/bc/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.bc import BCAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("bc/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(BCAgent, CONFIG)
