"""Training phases: multi-stage agents (IDQL critic → actor, SfBC, QDQ, CPED) run them in order."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """``steps`` calls of the agent method named ``update`` on batches of ``batch_size``.

    ``batch_size=None`` uses the config's top-level ``batch_size``.
    """

    name: str
    steps: int
    update: str = "update"
    batch_size: int | None = None


def single_phase(max_steps: int) -> tuple[Phase, ...]:
    """The schedule of every one-stage agent: ``update`` for the whole run."""
    return (Phase("train", max_steps),)
