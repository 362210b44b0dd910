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
DeriveData = Callable[[Any], dict]  # (OfflineDataset) -> {name: np.ndarray}
Start = Callable[[Any, dict], Any]  # (agent, the phase's whole data) -> agent


@dataclass(frozen=True)
class Phase:
    """``steps`` calls of ``update(agent, batch)`` on batches of ``batch_size`` rows.

    - ``batch_size=None`` uses the config's top-level ``batch_size``.
    - ``data``: the phase trains on arrays derived from the ``OfflineDataset`` instead of its
      transitions (QDQ's truncated-return windows). The engine calls ``data(dataset)`` once per job
      (phases holding the same function object share one result) and keeps the arrays on the
      device. Arrays of N rows are sampled into batches; 0-d arrays are dataset-level constants
      (a scale, a count) that only ``start`` sees. ``None``: the dataset's transitions.
    - ``start(agent, data)``: runs once, per run, when the phase begins, on the phase's whole data
      (a whole-dataset computation: SfBC's planning targets, QDQ's return scale, a student network
      initialised from its teacher). What it computes lives in the agent, so a checkpoint taken
      inside the phase already holds it and ``--resume`` does not run it again.
    - ``evaluate=False`` skips evaluation during the phase (pre-training of a model that does not
      act, e.g. QDQ's return model), except at the last step of the run.

    Every batch also carries ``indices`` (B,) int32, the rows it was drawn from, so an update can
    look up per-row quantities that ``start`` computed.
    """

    name: str
    steps: int
    update: Update
    batch_size: int | None = None
    data: DeriveData | None = None
    start: Start | None = None
    evaluate: bool = True


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
