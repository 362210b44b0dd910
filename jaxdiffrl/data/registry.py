"""Dataset names → where the data comes from, and the one entry point agents and scripts use.

A config's ``dataset`` is either a project name (``pointmaze-umaze``, ``bandit-dql-4mode``, …)
or any Minari id (``mujoco/hopper/medium-v0``, ``D4RL/antmaze/umaze-v1``). Project datasets made
by a local generator are written as Minari datasets under $MINARI_DATASETS_PATH, and made on first
use when missing; Minari ids are only ever read from disk (never downloaded implicitly).

The generators live above the engine (``jaxdiffrl.generators``: the locomotion ones train SAC
behaviour policies with it), so this layer only names them: each entry has a ``kind``, and
``register_generator(kind, fn)`` — called when ``jaxdiffrl.generators`` is imported — supplies the
function that writes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ml_collections

from jaxdiffrl.data.conventions import apply_conventions
from jaxdiffrl.data.dataset import OfflineDataset, validate
from jaxdiffrl.data.minari_source import DatasetNotFoundError, load_minari, minari_dataset_exists
from jaxdiffrl.data.toy import BANDITS

# The D4RL locomotion levels and the dataset prefixes that have a behaviour recipe.
LEVELS = ("random", "medium", "medium-replay", "expert", "medium-expert")
LOCOMOTION_ENVS = ("hopper", "halfcheetah", "walker2d", "ant")

# kind -> generate(minari_id, *, transitions, seed, progress, **options) -> path; filled by
# jaxdiffrl.generators on import.
_GENERATORS: dict[str, Callable[..., str]] = {}


def register_generator(kind: str, generate: Callable[..., str]) -> None:
    """Supplies the function that writes the datasets of ``kind`` (pointmaze, car, car-sfbc, bandit,
    locomotion)."""
    _GENERATORS[kind] = generate


@dataclass(frozen=True)
class GeneratedDataset:
    """A dataset this project makes itself: its Minari id and the generator that writes it."""

    minari_id: str
    kind: str  # which registered generator writes it
    default_transitions: int | None  # None: the generator's own size (e.g. car: 2 000 episodes)
    options: dict = field(default_factory=dict)

    def generate(
        self, *, transitions: int | None = None, seed: int = 0, progress: bool = True, **extra
    ) -> str:
        """Writes the dataset; ``extra`` goes to the generator (e.g. locomotion ``recipe_overrides``)."""
        if self.kind not in _GENERATORS:
            raise DatasetNotFoundError(
                f"No generator for {self.minari_id} is registered: import jaxdiffrl.generators "
                "(the launch scripts do) before generating project datasets."
            )
        generate = _GENERATORS[self.kind]
        transitions = self.default_transitions if transitions is None else transitions
        return generate(
            self.minari_id, transitions=transitions, seed=seed, progress=progress, **self.options, **extra
        )


GENERATED: dict[str, GeneratedDataset] = {
    f"pointmaze-{maze}": GeneratedDataset(
        f"jaxdiffrl/pointmaze-{maze}-v0",
        "pointmaze",
        transitions,
        {"maze": maze},
    )
    for maze, transitions in (("umaze", 100_000), ("medium", 200_000), ("large", 400_000))
}
GENERATED.update(
    {
        "bidirectional-car": GeneratedDataset("jaxdiffrl/bidirectional-car-v0", "car", None),
        "bidirectional-car-single-side": GeneratedDataset(
            "jaxdiffrl/bidirectional-car-single-side-v0",
            "car",
            None,
            {"single_side": True},
        ),
        # The SfBC reference code's instance: 100-step episodes, ≈ 1M transitions from 4 schemes.
        "bidirectional-car-sfbc": GeneratedDataset("jaxdiffrl/bidirectional-car-sfbc-v0", "car-sfbc", None),
        "bidirectional-car-sfbc-single-side": GeneratedDataset(
            "jaxdiffrl/bidirectional-car-sfbc-single-side-v0",
            "car-sfbc",
            None,
            {"single_side": True},
        ),
    }
)
GENERATED.update(
    {name: GeneratedDataset(f"jaxdiffrl/{name}-v0", "bandit", None, {"name": name}) for name in BANDITS}
)
GENERATED.update(
    {  # hopper-medium, walker2d-medium-replay, …: sizes are the generator's (1M; 2M medium-expert)
        f"{env}-{level}": GeneratedDataset(
            f"jaxdiffrl/{env}-{level}-v0",
            "locomotion",
            None,
            {"env": env, "level": level},
        )
        for env in LOCOMOTION_ENVS
        for level in LEVELS
    }
)


def known_names() -> list[str]:
    return sorted(GENERATED)


def make_command(name: str) -> str:
    return f"python launch/make_dataset.py --dataset={name}"


def load_dataset(name: str, *, generate_missing: bool = True, seed: int = 0) -> OfflineDataset:
    """Loads a dataset by project name or Minari id, generating a missing project dataset (with
    generator seed ``seed``; an existing one is read as it is)."""
    if name in GENERATED:
        entry = GENERATED[name]
        if not minari_dataset_exists(entry.minari_id):
            if not generate_missing:
                return load_minari(entry.minari_id, missing_hint=make_command(name))
            print(f"Dataset {name} is not on disk yet; generating it once ({make_command(name)}).")
            start = time.time()
            path = entry.generate(seed=seed)
            print(f"Wrote {name} to {path} in {time.time() - start:.1f} s.")
        return load_minari(entry.minari_id, missing_hint=make_command(name)).replace(name=name)
    if "/" not in name:
        raise ValueError(
            f"Unknown dataset {name!r}: use a project dataset ({', '.join(known_names())}) "
            "or a Minari id such as 'mujoco/hopper/medium-v0'."
        )
    return load_minari(name)


def prepare_dataset(config: ml_collections.ConfigDict, *, seed: int = 0) -> OfflineDataset:
    """Loads ``config.dataset``, validates it and applies the ``config.data`` conventions."""
    return apply_conventions(validate(load_dataset(config.dataset, seed=seed)), config.data)
