"""Train QDQ: python launch/train_qdq.py --config=configs/qdq/maze.py:pointmaze-umaze --seeds=3"""

from jaxdiffrl.agents.qdq import QDQAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("qdq/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(QDQAgent, CONFIG)
