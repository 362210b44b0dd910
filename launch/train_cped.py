"""Train CPED: python launch/train_cped.py --config=configs/cped/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.cped import CPEDAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("cped/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(CPEDAgent, CONFIG)
