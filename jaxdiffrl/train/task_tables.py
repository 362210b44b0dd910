"""Per-task hyperparameter tables for config files, looked up by dataset name.

A table maps task keys in D4RL spelling (``hopper-medium-replay``, ``umaze-diverse``,
``pen-human``) to settings. A dataset name — a D4RL name or a Minari id such as
``mujoco/hopper/medium-replay-v0`` or ``D4RL/antmaze/umaze-diverse-v1`` — selects the longest key
it contains, reading '/' and '_' as '-'; a name no key matches gets the defaults alone.
"""

from collections.abc import Mapping


def task_settings(table: Mapping[str, Mapping], dataset: str, defaults: Mapping) -> dict:
    """``defaults`` updated with the row of the longest table key found in ``dataset``."""
    name = dataset.lower().replace("/", "-").replace("_", "-")
    matches = [key for key in table if key in name]
    row = table[max(matches, key=len)] if matches else {}
    return {**defaults, **row}
