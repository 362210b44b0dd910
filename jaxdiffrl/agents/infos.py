"""The one naming rule of the info dicts that agents' updates return.

Every key is ``<group>/<name>``, the group the network or quantity it describes: ``critic`` (Q
networks), ``value`` (V), ``actor`` (the acting policy, or the behaviour model an IDQL-style agent
acts through), ``behaviour`` (a behaviour model that only constrains or proposes: SfBC's score
model, CPED's flow, QDQ's return model), ``temperature`` (SAC's α). The engine logs the keys as
they are, so TensorBoard groups the scalars by network; it adds ``eval/`` itself.
"""

from collections.abc import Mapping

GROUPS = ("critic", "value", "actor", "behaviour", "temperature")


def group(name: str, info: Mapping) -> dict:
    """``{f"{name}/{key}": value}`` for a known group ``name``."""
    if name not in GROUPS:
        raise ValueError(f"Unknown info group {name!r}; the groups are {GROUPS}.")
    return {f"{name}/{key}": value for key, value in info.items()}


def merge(*infos: Mapping) -> dict:
    """One dict from several; a key in two of them is a naming mistake and raises."""
    merged: dict = {}
    for info in infos:
        clash = merged.keys() & info.keys()
        if clash:
            raise ValueError(f"Info keys {sorted(clash)} are set twice; give each update its own group.")
        merged.update(info)
    return merged
