"""A run directory's identity, and the checks that keep ``--resume`` honest.

A new job writes ``run.json`` beside ``config.json`` before it trains: the seeds, the sweep grid,
the runs, the config file it was made from and the code version. ``resolve_resume`` rebuilds the
job from them: the saved config (so no override needs retyping), seeds and sweep — and refuses, in
one line naming the item, a ``--config.<key>``, ``--config``, ``--seed``, ``--seeds`` or ``--sweep``
given on the command line that differs from what the run started with (``config.on_divergence``
alone may change: it decides what happens to a diverging run, not what the finite ones compute).
A run directory from before run.json existed is resumed from its config.json, with a warning.

``fault_line`` turns a full or read-only disk, or a permission error, into ``<path>: <cause>``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ml_collections

from jaxdiffrl.train.machine import label, machine, same_machine

IDENTITY = "run.json"
RESUME_MAY_CHANGE = ("on_divergence",)


def flatten(tree: Mapping, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples as lists), for comparisons with config.json."""
    return json.loads(json.dumps(value, default=str))


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def config_values(config: ml_collections.ConfigDict) -> dict[str, Any]:
    """The flattened values of ``config`` as config.json holds them."""
    return flatten(json.loads(config.to_json_best_effort()))


def code_version() -> dict[str, Any]:
    """{"jaxdiffrl": package version, "git": ``git describe --always --dirty`` of the source tree
    (None outside a git checkout)}."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("jaxdiffrl")
    except PackageNotFoundError:
        package = None
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=source, capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        git = described.stdout.strip() if described.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        git = None
    return {"jaxdiffrl": package, "git": git}


def config_spec(spec: str) -> str:
    """``path[:arg]`` with the path made absolute, so a resume from another folder finds it."""
    path, sep, arg = spec.partition(":")
    return os.path.abspath(path) + sep + arg


def make_identity(spec: str, seeds: Sequence[int], grid: Mapping[str, Sequence[float]], runs) -> dict:
    """What run.json holds."""
    return {
        "config_file": config_spec(spec),
        "seed": int(seeds[0]),
        "seeds": len(seeds),
        "seed_list": [int(s) for s in seeds],
        "sweep": {name: [float(v) for v in values] for name, values in grid.items()},
        "runs": [{"run": run.index, "seed": run.seed, "hparams": run.hparams} for run in runs],
        "code_version": code_version(),
        "machine": machine(),
        "argv": list(sys.argv),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def read_identity(workdir: str) -> dict | None:
    path = os.path.join(workdir, IDENTITY)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def check_new_workdir(workdir: str) -> None:
    """Never overwrites a run: a used workdir needs --resume."""
    if os.path.exists(os.path.join(workdir, "config.json")) or os.path.isdir(
        os.path.join(workdir, "checkpoints")
    ):
        raise ValueError(
            f"{workdir} already holds a run; continue it with --resume or choose another --workdir."
        )


def _refuse(item: str, saved: Any, now: Any, where: str) -> ValueError:
    return ValueError(
        f"--resume: {item} differs from the run's ({where}): run has {saved!r}, now {now!r}. Drop it to "
        "continue the run as it started, or start a new run in another --workdir."
    )


def resolve_resume(
    workdir: str,
    current: ml_collections.ConfigDict,
    *,
    spec: str,
    spec_given: bool,
    overrides: Mapping[str, Any],
    flag_values: Mapping[str, Any],
    given: Sequence[str],
    load_config: Callable[[str], ml_collections.ConfigDict],
    parse_grid: Callable[[ml_collections.ConfigDict], dict[str, list[float]]],
) -> tuple[ml_collections.ConfigDict, list[int], dict[str, list[float]]]:
    """(config, seeds, sweep grid) of the run in ``workdir``, as it started.

    ``current``: the config the flags made (``spec`` its file, ``spec_given`` whether ``--config``
    was on the command line, ``overrides`` its flat ``--config.<key>`` values); ``flag_values``:
    the values of the seed and seeds flags; ``given``: those of seed / seeds / sweep that are on the
    command line; ``parse_grid(config)`` parses ``--sweep``. Raises ValueError naming the first item
    that differs from the run."""
    saved_path = os.path.join(workdir, "config.json")
    if not os.path.exists(saved_path):
        raise ValueError(f"--resume: {workdir} holds no run (no config.json) to continue.")
    with open(saved_path) as f:
        saved = flatten(json.load(f))
    identity = read_identity(workdir)
    if identity is None:
        print(
            f"warning: {workdir} has no {IDENTITY} (a run from before run identities were saved): its seeds "
            "and sweep come from the flags, unchecked."
        )
    now = config_values(current)
    differing = [
        key
        for key in overrides
        if key not in RESUME_MAY_CHANGE and key in now and saved.get(key, now[key]) != now[key]
    ]
    if differing:
        shown = "; ".join(f"{k}: run has {saved.get(k)!r}, now {now.get(k)!r}" for k in differing[:5])
        raise ValueError(
            f"--resume needs the config the run started with ({saved_path}); differs in {shown}."
        )
    if identity is not None and spec_given and config_spec(spec) != identity["config_file"]:
        raise _refuse("--config", identity["config_file"], config_spec(spec), IDENTITY)
    if saved.get("algo", now.get("algo")) != now.get("algo") and (identity is None or spec_given):
        raise _refuse("the config's algo", saved["algo"], now["algo"], saved_path)

    base = current
    if identity is not None and not spec_given:
        file = identity["config_file"].partition(":")[0]
        if os.path.exists(file):
            base = load_config(identity["config_file"])
        else:
            print(f"Note: the run's config file {file} is gone; rebuilding its config from {saved_path}.")
    config = _apply(base, saved, saved_path)
    for key in RESUME_MAY_CHANGE:
        if key in overrides:
            _set(config, key.split("."), overrides[key])
    rebuilt = config_values(config)
    for key, value in saved.items():
        if key not in RESUME_MAY_CHANGE and _plain(rebuilt.get(key)) != _plain(value):
            raise ValueError(f"--resume: cannot rebuild the run's config ({saved_path}): {key} comes out as "
                             f"{rebuilt.get(key)!r}, the run has {value!r}.")  # fmt: skip

    if identity is None:
        seed, count, grid = flag_values["seed"], flag_values["seeds"], parse_grid(config)
        return config, [seed + i for i in range(count)], grid
    for flag, saved_value in (("seed", identity["seed"]), ("seeds", identity["seeds"])):
        if flag in given and flag_values[flag] != saved_value:
            raise _refuse(f"--{flag}", saved_value, flag_values[flag], IDENTITY)
    grid = {name: [float(v) for v in values] for name, values in identity["sweep"].items()}
    if "sweep" in given:
        asked = parse_grid(config)
        if asked != grid:
            show = lambda g: [f"{k}={','.join(f'{v:g}' for v in vs)}" for k, vs in g.items()]  # noqa: E731
            raise _refuse("--sweep", show(grid), show(asked), IDENTITY)
    version, running = identity.get("code_version", {}), code_version()
    if version.get("git") and running.get("git") and version["git"] != running["git"]:
        print(
            f"Note: the run started with code {version['git']}, this is {running['git']}; the resumed job "
            "matches an uninterrupted one only if the change left training alone."
        )
    started_on, here = identity.get("machine"), machine()
    if not same_machine(started_on, here):
        print(
            f"Note: the run started on {label(started_on)}, this is {label(here)}; the resumed job's scores "
            "need not match an uninterrupted one's to the digit (XLA's code differs between machines), and "
            "results.json's throughput is this machine's."
        )
    return config, list(identity["seed_list"]), grid


def _set(config: ml_collections.ConfigDict, path: list[str], value: Any) -> None:
    node = config
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    node[path[-1]] = _tuples(value) if isinstance(old, tuple) else value


def _apply(
    base: ml_collections.ConfigDict, saved: Mapping[str, Any], saved_path: str
) -> ml_collections.ConfigDict:
    """``base`` (a copy) with every value of the saved config; its types stay the config file's."""
    config = ml_collections.ConfigDict(base.to_dict())
    now = config_values(config)
    for key, value in saved.items():
        if key in now and _plain(now[key]) == _plain(value):
            continue
        try:
            _set(config, key.split("."), value)
        except (KeyError, AttributeError, TypeError) as error:
            raise ValueError(
                f"--resume: the run's config ({saved_path}) has {key} = {value!r}, which this config file "
                f"cannot take ({type(error).__name__}: {error})."
            ) from None
    config.lock()
    return config


FAULTS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}
FAULT_TEXTS = {
    "No space left on device": "no space left on device",
    "Read-only file system": "read-only file system",
    "Permission denied": "permission denied",
    "Disk quota exceeded": "disk quota exceeded",
}


def fault_line(error: BaseException, where: str | None = None) -> str | None:
    """``<path>: <cause>`` for a disk or permission fault anywhere in ``error``'s chain (orbax and
    tensorstore wrap them in their own exceptions); None for any other error."""
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in FAULTS:
            path = current.filename or where or "?"
            return f"{path}: {(current.strerror or os.strerror(current.errno)).lower()}"
        for text, cause in FAULT_TEXTS.items():
            if text in str(current):
                return f"{where or '?'}: {cause} ({type(current).__name__})"
        current = current.__cause__ or current.__context__
    return None
