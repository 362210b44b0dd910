"""The locomotion recipes: which gymnasium env each dataset prefix uses, the SAC behaviour run's
settings (the D4RL levels are the dataset registry's). Free of JAX and MuJoCo imports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from jaxdiffrl.data.registry import LEVELS, LOCOMOTION_ENVS

__all__ = ["LEVELS", "LOCOMOTION", "LocomotionRecipe"]


@dataclass(frozen=True)
class LocomotionRecipe:
    name: str  # the dataset prefix: hopper, halfcheetah, walker2d, ant
    env_id: str
    medium_return: float  # ≈ ⅓ of D4RL's expert reference return
    expert_steps: int = 1_000_000
    eval_interval: int = 10_000
    start_steps: int = 10_000  # uniform random actions before learning starts
    hidden_dims: tuple[int, ...] = (256, 256)

    def with_overrides(self, overrides: dict | None) -> LocomotionRecipe:
        """The recipe with some fields replaced (e.g. a tiny run for tests); unknown keys fail."""
        overrides = dict(overrides or {})
        valid = [f.name for f in dataclasses.fields(self) if f.name not in ("name", "env_id")]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise ValueError(f"Unknown behaviour recipe keys {unknown}; valid keys: {', '.join(valid)}.")
        if "hidden_dims" in overrides:
            overrides["hidden_dims"] = tuple(overrides["hidden_dims"])
        return dataclasses.replace(self, **overrides)

    @property
    def tag(self) -> str:
        """'' for the recipe as published, else a short hash, so a non-default run (a tiny test
        run) never stands in for the real policies."""
        if self == LOCOMOTION[self.name]:
            return ""
        digest = hashlib.sha1(json.dumps(dataclasses.asdict(self), sort_keys=True).encode()).hexdigest()
        return "-" + digest[:8]


LOCOMOTION: dict[str, LocomotionRecipe] = {
    "hopper": LocomotionRecipe("hopper", "Hopper-v5", 1078.0),
    "halfcheetah": LocomotionRecipe("halfcheetah", "HalfCheetah-v5", 4045.0),
    "walker2d": LocomotionRecipe("walker2d", "Walker2d-v5", 1531.0),
    "ant": LocomotionRecipe("ant", "Ant-v5", 1293.0),
}
assert tuple(LOCOMOTION) == LOCOMOTION_ENVS, "every registered locomotion dataset needs a recipe"
