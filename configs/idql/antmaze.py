"""IDQL on D4RL AntMaze (Minari ``D4RL/antmaze/*``), IDQL Appendix E; rewards r − 1.

Argument ``DATASET[,setting=A|1][,loss=expectile|quantile|exponential]``:
- ``setting=A`` (the paper's "-A", default): critic 1.5M + actor 3M steps, N = 32;
  ``setting=1`` ("-1"): critic 1M + actor 2M, N = 64.
- ``loss``: expectile τ 0.9, quantile τ 0.8 or exponential α 0.5.
Online fine-tuning (Table 3): ``--config.online.enabled=True --config.online.mode=max|implicit``
after the "-1" pre-training budget (``setting=1``).
"""

from jaxdiffrl.app.paper_configs import idql_run


def get_config(arg: str = "D4RL/antmaze/umaze-v1"):
    return idql_run("antmaze", arg)
