"""Train Diffusion-QL: python launch/train_diffusion_ql.py --config=configs/diffusion_ql/maze.py --seeds=3

Prints the final, offline-selected and online-best scores and stores them in results.json
(``model_selection``).
"""

from jaxdiffrl.agents.diffusion_ql import DiffusionQLAgent
from jaxdiffrl.app import cli
from jaxdiffrl.train import model_selection

CONFIG = cli.define_config("diffusion_ql/maze.py:pointmaze-umaze")


def report_model_selection(config, results: dict) -> None:
    model_selection.report(results, results["workdir"], config.model_selection_rank)


if __name__ == "__main__":
    cli.launch(DiffusionQLAgent, CONFIG, then=report_model_selection)
