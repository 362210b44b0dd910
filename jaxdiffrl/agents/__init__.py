"""Agents: one file per algorithm, each a flax.struct.PyTreeNode with create / update / sample_actions.

``AGENTS`` maps a config's ``algo`` (also in every run's config.json) to its class; the launch
layer registers them with the engine (``jaxdiffrl.train.registry``), which never imports agents.
"""

from jaxdiffrl.agents.acd import ACDAgent, ACGAgent
from jaxdiffrl.agents.bc import BCAgent
from jaxdiffrl.agents.cped import CPEDAgent
from jaxdiffrl.agents.dac import DACAgent
from jaxdiffrl.agents.diffusion_ql import DiffusionQLAgent
from jaxdiffrl.agents.idql import IDQLAgent
from jaxdiffrl.agents.iql import IQLAgent
from jaxdiffrl.agents.qdq import QDQAgent
from jaxdiffrl.agents.sfbc import SfBCAgent
from jaxdiffrl.agents.td3_bc import TD3BCAgent

AGENTS: dict[str, type] = {
    "bc": BCAgent,
    "iql": IQLAgent,
    "idql": IDQLAgent,
    "acd": ACDAgent,
    "acd-f": ACDAgent,
    "acg": ACGAgent,
    "diffusion_ql": DiffusionQLAgent,
    "dac": DACAgent,
    "td3_bc": TD3BCAgent,
    "qdq": QDQAgent,
    "sfbc": SfBCAgent,
    "cped": CPEDAgent,
}
