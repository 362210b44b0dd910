"""Train ACD / ACD-F: python launch/train_acd.py --config=configs/acd/maze.py:pointmaze-umaze --seeds=3

ACD-F: ``--config=configs/acd/<domain>.py:DATASET,variant=acd-f``; ACG: launch/train_acg.py.
"""

from jaxdiffrl.agents.acd import ACDAgent
from jaxdiffrl.app import cli

CONFIG = cli.define_config("acd/maze.py:pointmaze-umaze")

if __name__ == "__main__":
    cli.launch(ACDAgent, CONFIG)
