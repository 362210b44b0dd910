"""Train SfBC: python launch/train_sfbc.py --config=configs/sfbc/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.sfbc import SfBCAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("sfbc/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(SfBCAgent, CONFIG)
