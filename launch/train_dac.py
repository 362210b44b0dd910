"""Train DAC: python launch/train_dac.py --config=configs/dac/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.dac import DACAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("dac/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(DACAgent, CONFIG)
