"""IDQL on D4RL locomotion (hopper, halfcheetah, walker2d; Minari ``mujoco/*``), IDQL Appendix E.

Argument ``DATASET[,setting=A|1][,loss=expectile|quantile|exponential]``:
- ``setting=A`` (the paper's "-A", default): critic 1.5M + actor 3M steps, N = 128;
  ``setting=1`` ("-1", one hyperparameter per domain): critic 1M + actor 2M, N = 64.
- ``loss``: the critic's value loss, with its paper level (expectile τ 0.7, quantile τ 0.6,
  exponential α 1.0).
e.g. ``--config=configs/idql/locomotion.py:mujoco/hopper/medium-v0,setting=1``.
"""

from jaxdiffrl.app.paper_configs import idql_run


def get_config(arg: str = "mujoco/hopper/medium-v0"):
    return idql_run("locomotion", arg)
