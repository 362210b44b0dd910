"""Train IDQL: python launch/train_idql.py --config=configs/idql/maze.py:pointmaze-umaze --seeds=3

With ``--config.online.enabled=True`` the trained agents are then fine-tuned online in the same
workdir (``--config.online.mode=max|implicit``, ``--config.online.steps=N``).
"""

from jaxdiffrl.agents.idql import IDQLAgent
from jaxdiffrl.app import cli
from jaxdiffrl.train import online, restore

CONFIG = cli.define_config("idql/maze.py:pointmaze-umaze")


def finetune_online(config, results: dict) -> None:
    if config.online.enabled:
        online.finetune(
            IDQLAgent, config, restore.runs_of(results), results["workdir"], progress=cli.FLAGS.progress
        )


if __name__ == "__main__":
    cli.launch(IDQLAgent, CONFIG, then=finetune_online)
