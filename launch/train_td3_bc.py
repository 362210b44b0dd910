"""Train TD3+BC: python launch/train_td3_bc.py --config=configs/td3_bc/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.td3_bc import TD3BCAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("td3_bc/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(TD3BCAgent, CONFIG)
