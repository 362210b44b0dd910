"""Agents: one file per algorithm, each a flax.struct.PyTreeNode with create / update / sample_actions.

``agent_class(algo)`` maps a config's ``algo`` (also in every run's config.json) to its class, for
tools that read a finished run back.
"""

import importlib

_CLASSES = {
    "bc": "bc:BCAgent",
    "iql": "iql:IQLAgent",
    "idql": "idql:IDQLAgent",
    "acd": "acd:ACDAgent",
    "acd-f": "acd:ACDAgent",
    "acg": "acd:ACGAgent",
    "diffusion_ql": "diffusion_ql:DiffusionQLAgent",
    "dac": "dac:DACAgent",
}
ALGOS = tuple(_CLASSES)


def agent_class(algo: str) -> type:
    """The agent class of ``algo`` (imported on first use)."""
    if algo not in _CLASSES:
        raise ValueError(f"Unknown algo {algo!r}; known: {', '.join(ALGOS)}.")
    module, name = _CLASSES[algo].split(":")
    return getattr(importlib.import_module(f"jaxdiffrl.agents.{module}"), name)
