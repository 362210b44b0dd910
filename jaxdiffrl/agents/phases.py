"""How an agent asks to be trained: the phases of offline training and the online fine-tuning mode.

An agent declares its schedule with the update functions themselves (``IDQLAgent.update_critic``),
never their names; the engine calls ``phase.update(agent, batch)``. Functions hash, so the engine's
jit cache keys on them directly.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Update = Callable[[Any, dict], tuple[Any, dict]]  # (agent, batch) -> (agent, info)
Act = Callable[[Any, Any, Any], Any]  # (agent, observations, rng) -> actions


@dataclass(frozen=True)
class Phase:
    """``steps`` calls of ``update(agent, batch)`` on batches of ``batch_size`` rows.

    ``batch_size=None`` uses the config's top-level ``batch_size``.
    """

    name: str
    steps: int
    update: Update
    batch_size: int | None = None


def single_phase(update: Update, max_steps: int) -> tuple[Phase, ...]:
    """The schedule of every one-stage agent: ``update`` for the whole run."""
    return (Phase("train", max_steps, update),)


@dataclass(frozen=True)
class OnlineUpdate:
    """``per_env_step`` calls of ``update(agent, batch)`` on replay batches of ``batch_size``."""

    update: Update
    per_env_step: int
    batch_size: int


@dataclass(frozen=True)
class OnlineMode:
    """``act(agent, observations, rng)`` explores; then the updates of each env step."""

    act: Act
    updates: tuple[OnlineUpdate, ...]


class SinglePhase:
    """Mixin of every one-stage agent: its ``update`` for the whole run."""

    @classmethod
    def phases(cls, config) -> tuple[Phase, ...]:
        return single_phase(cls.update, config.max_steps)
