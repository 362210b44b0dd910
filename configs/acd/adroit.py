"""ACD / ACD-F / ACG on Adroit (Minari ``D4RL/pen/*``, door, hammer, relocate; not in the paper), raw rewards.

Argument ``DATASET[,variant=acd|acd-f|acg]``: ACD (default), ACD-F (IDQL's N guided samples, the
argmax of Q̄ executed) or ACG (a Gaussian policy; train it with launch/train_acg.py).
The paper's ω = 3 and p = 0.1, IDQL's diffusion model, IQL's expectile; it gives no step count,
so this trains IQL's 1M steps, critic and actor together (Algorithm 1).
"""

from jaxdiffrl.app.paper_configs import acd_run


def get_config(arg: str = "D4RL/pen/human-v2"):
    return acd_run("adroit", arg)
