"""The top layer: what the launch scripts and config files use.

Importing it fills the two registries below it — every agent of ``jaxdiffrl.agents`` in the
engine's (``jaxdiffrl.train.registry``) and every local dataset generator in the dataset
registry's (``jaxdiffrl.generators``) — so a launch script, or a tool reading a finished run, can
name an algorithm or a project dataset and get it.
"""

import jaxdiffrl.generators  # noqa: F401  (registers the dataset generators)
from jaxdiffrl.agents import AGENTS
from jaxdiffrl.train.registry import register_agent

for _algo, _agent_cls in AGENTS.items():
    register_agent(_algo, _agent_cls)
