"""The engine's only way to an agent class from a name: a table the launch layer fills.

The engine itself receives agent classes as arguments; tools that read a finished run back
(config.json names its ``algo``) look the class up here. ``jaxdiffrl.app`` registers every agent
of ``jaxdiffrl.agents`` on import.
"""

_AGENTS: dict[str, type] = {}


def register_agent(algo: str, agent_cls: type) -> None:
    """Makes ``agent_class(algo)`` return ``agent_cls``."""
    _AGENTS[algo] = agent_cls


def agent_class(algo: str) -> type:
    """The agent class registered for ``algo``."""
    if algo not in _AGENTS:
        known = ", ".join(sorted(_AGENTS)) or "none (import jaxdiffrl.app to register the agents)"
        raise ValueError(f"Unknown algo {algo!r}; registered: {known}.")
    return _AGENTS[algo]


def registered() -> tuple[str, ...]:
    return tuple(sorted(_AGENTS))
