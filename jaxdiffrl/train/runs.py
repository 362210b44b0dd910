"""Runs = seeds × hyperparameter points, trained side by side as one vmapped leading axis."""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from jaxdiffrl.train.config import RENAMED_KEYS


@dataclass(frozen=True)
class Run:
    index: int
    seed: int
    hparams: dict[str, float]

    @property
    def label(self) -> str:
        point = ",".join(f"{k}={v:g}" for k, v in self.hparams.items())
        return f"seed{self.seed}" + (f"-{point}" if point else "")


def swept_keys(points: Sequence[Mapping[str, float]]) -> list[str]:
    """The hyperparameters whose value differs between the given points (in first-seen order)."""
    keys = list(dict.fromkeys(key for point in points for key in point))
    return [key for key in keys if len({point.get(key) for point in points}) > 1]


def point_label(point: Mapping[str, float], keys: Sequence[str]) -> str:
    """`` k=v`` for each of ``keys`` the point has, e.g. `` eta=1`` — for console lines and titles."""
    return "".join(f" {key}={point[key]:g}" for key in keys if key in point)


def parse_sweep(specs: Sequence[str], valid: Mapping[str, float]) -> dict[str, list[float]]:
    """Parses ``--sweep=name=v1,v2,…`` flags into a grid over the agent's float hparams."""
    grid: dict[str, list[float]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not values:
            raise ValueError(f"--sweep={spec!r} must look like NAME=V1,V2,… (e.g. expectile=0.7,0.9).")
        if name not in valid:
            if f"agent.hparams.{name}" in RENAMED_KEYS:
                new = RENAMED_KEYS[f"agent.hparams.{name}"].split()[0].removeprefix("agent.hparams.")
                raise ValueError(f"--sweep names {name!r}, which was renamed: sweep {new!r} instead.")
            raise ValueError(
                f"--sweep names {name!r}, which is not a sweepable hyperparameter of this agent; "
                f"valid: {', '.join(sorted(valid)) or '(none)'}."
            )
        grid[name] = [float(v) for v in values.split(",")]
    return grid


def make_runs(
    seeds: Sequence[int], defaults: Mapping[str, float], grid: Mapping[str, Sequence[float]]
) -> list[Run]:
    """Every (seed, grid point) pair; hparams not in the grid keep their config values."""
    names = list(grid)
    points = list(itertools.product(*(grid[n] for n in names))) or [()]
    runs = []
    for point in points:
        for seed in seeds:
            hparams = {k: float(v) for k, v in defaults.items()}
            hparams.update(zip(names, point, strict=True))
            runs.append(Run(len(runs), int(seed), hparams))
    return runs


def stack_hparams(runs: Sequence[Run]) -> dict[str, np.ndarray]:
    """{name: (R,) float32} in run order, the vmapped hparams of the agents."""
    if not runs[0].hparams:
        return {}
    return {k: np.asarray([r.hparams[k] for r in runs], np.float32) for k in runs[0].hparams}
