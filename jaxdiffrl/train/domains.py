"""Which domain a dataset belongs to, and that domain's D4RL data conventions.

Config files call ``domain_of(dataset)`` so one file per method and domain picks the right
reward convention for any dataset name or Minari id it is given.
"""

import ml_collections

from jaxdiffrl.data.conventions import default_data_config

DOMAINS = ("locomotion", "antmaze", "maze", "kitchen", "adroit", "toy")


def domain_of(dataset: str) -> str:
    name = dataset.lower()
    if "antmaze" in name:
        return "antmaze"
    if "maze" in name:
        return "maze"
    if "kitchen" in name:
        return "kitchen"
    if any(k in name for k in ("pen", "door", "hammer", "relocate", "adroit")):
        return "adroit"
    if "bandit" in name or "car" in name:
        return "toy"
    return "locomotion"


def iql_data_config(domain: str) -> ml_collections.ConfigDict:
    """IQL / IDQL / ACD reward conventions: locomotion ×1000/(return range), antmaze r − 1."""
    if domain == "locomotion":
        return default_data_config(reward_normalization="returns")
    if domain == "antmaze":
        return default_data_config(reward_shift=-1.0)
    return default_data_config()
