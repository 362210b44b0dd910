"""Orbax checkpoints of the whole training state (agents, data keys, step); never pickle.

Every saved step carries a checksum file, ``workdir/checksums/<step>.json``: the sha256 of each
array's dtype, shape and bytes, written (atomically) before orbax writes the step. A restore
recomputes them and refuses a step whose arrays differ, that orbax cannot read, or that is gone;
``restore_latest`` then falls back to the newest good step, saying so, and (on a resume) moves the
bad ones to ``workdir/corrupt_checkpoints``. A state holding NaN or ±inf is never saved, so a
diverged run cannot rotate its last finite checkpoint away.

In a multi-process job orbax writes and reads each process's shards (its runs); each process
keeps the checksums of the rows it holds (``checksums/<step>.process<i>.json``), the processes
agree on the step to restore, and process 0 moves damaged steps.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable

import jax
import numpy as np
import orbax.checkpoint as ocp

from jaxdiffrl.train import distributed as dist
from jaxdiffrl.train.files import write_json


class CheckpointCorrupt(RuntimeError):
    """A checkpoint step that cannot be trusted: unreadable, missing or differing from its checksum."""


class NonFiniteState(ValueError):
    """A state to checkpoint holds NaN or ±inf."""


def _sha256(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.reshape(-1).view(np.uint8))  # any dtype (bfloat16 too), no copy
    return digest.hexdigest()


def checksums(state) -> dict[str, str]:
    """{leaf path: sha256 of its dtype, shape and bytes} of every array in ``state`` (of the rows
    this process holds, in a multi-process job)."""
    return {
        jax.tree_util.keystr(path): _sha256(dist.local_rows(leaf))
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]
    }


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0].split(" See full TensorStore details")[0][:200] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class Checkpointer:
    """Keeps the latest ``max_to_keep`` (≥ 1) checkpoints under ``workdir/checkpoints``.

    ``create=False`` (reading a finished run) refuses a run directory without that folder."""

    def __init__(self, workdir: str, max_to_keep: int | None = 2, *, create: bool = True):
        if max_to_keep is not None and max_to_keep < 1:
            raise ValueError(f"checkpoints_to_keep must be at least 1, got {max_to_keep}.")
        self.workdir = os.path.abspath(workdir)
        self.writer = create
        self.directory = os.path.join(self.workdir, "checkpoints")
        self.sums_directory = os.path.join(self.workdir, "checksums")
        if not create and not os.path.isdir(self.directory):
            raise FileNotFoundError(f"{self.directory}: no such folder (the run's checkpoints are gone).")
        self.options = ocp.CheckpointManagerOptions(
            max_to_keep=max_to_keep, create=create, cleanup_tmp_directories=create
        )
        self.manager = ocp.CheckpointManager(self.directory, options=self.options)

    def _reopen(self) -> None:
        """A fresh manager: one that failed a restore keeps wrong ideas about the steps' items."""
        self.manager.close()
        self.manager = ocp.CheckpointManager(self.directory, options=self.options)

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def saved_steps(self) -> list[int]:
        return sorted(self.manager.all_steps())

    @staticmethod
    def _sums_name(step: int) -> str:
        if jax.process_count() == 1:
            return f"{step}.json"
        return f"{step}.process{jax.process_index()}.json"

    def _sums_path(self, step: int) -> str:
        return os.path.join(self.sums_directory, self._sums_name(step))

    def _own_sums(self) -> dict[int, str]:
        """{step: file name} of this process's checksum files."""
        if not os.path.isdir(self.sums_directory):
            return {}
        steps = {}
        for name in os.listdir(self.sums_directory):
            step = name.split(".", 1)[0]
            if step.isdigit() and name == self._sums_name(int(step)):
                steps[int(step)] = name
        return steps

    def save(self, step: int, state) -> None:
        """Saves ``state`` as ``step`` (asynchronously); refuses (``NonFiniteState``) a state with
        NaN or ±inf in a floating-point array."""
        sums, bad = {}, []
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:  # one host copy per leaf
            array = dist.local_rows(leaf)
            if np.issubdtype(array.dtype, np.inexact) and not np.all(np.isfinite(array)):
                bad.append(jax.tree_util.keystr(path))
            sums[jax.tree_util.keystr(path)] = _sha256(array)
        if bad:
            raise NonFiniteState(
                f"refusing to checkpoint step {step}: {len(bad)} array(s) hold NaN or inf ({bad[0]})."
            )
        os.makedirs(self.sums_directory, exist_ok=True)
        write_json(self._sums_path(step), {"step": step, "sha256": sums})
        self.manager.save(step, args=ocp.args.StandardSave(state))

    def restore(self, step: int, target, *, verify: bool = True):
        """Restores ``step`` into ``target``'s structure, dtypes and shardings; with ``verify``,
        checks it against its checksums (``CheckpointCorrupt`` if unreadable or different). A step
        saved before checksums existed is restored unverified, with a note."""
        folder = os.path.join(self.directory, str(step))
        if not os.path.isdir(os.path.join(folder, "default")):
            raise CheckpointCorrupt(f"checkpoint {folder} cannot be read (its data folder 'default' is gone)")
        try:
            restored = self.manager.restore(step, args=ocp.args.StandardRestore(target))
        except Exception as error:  # orbax / tensorstore report damage as many exception types
            self._reopen()
            raise CheckpointCorrupt(f"checkpoint {folder} cannot be read ({_first_line(error)})") from error
        if not verify:
            return restored
        try:
            with open(self._sums_path(step)) as f:
                expected = json.load(f)["sha256"]
        except FileNotFoundError:
            print(f"Note: checkpoint step {step} has no checksum file (an older run): restored unverified.")
            return restored
        except (OSError, ValueError, KeyError) as error:
            raise CheckpointCorrupt(
                f"checksum file {self._sums_path(step)} is unreadable ({error})"
            ) from error
        actual = checksums(restored)
        differing = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
        if differing:
            raise CheckpointCorrupt(
                f"checkpoint {folder} does not match its checksums "
                f"({len(differing)} of {len(expected)} array(s) differ, e.g. {differing[0]})"
            )
        return restored

    def missing_steps(self) -> list[int]:
        """Steps with a checksum file but no complete checkpoint: deleted, or killed while writing."""
        steps = set(self.saved_steps())
        return sorted(step for step in self._own_sums() if step not in steps)

    def restore_latest(
        self, target_at: Callable[[int], object], *, quarantine: bool = False
    ) -> tuple[int, object] | None:
        """(step, state) of the newest step that restores and verifies (``target_at(step)`` is its
        target), or None when no step is saved. Each bad or missing newer step is named in one line;
        with ``quarantine`` (a resume, about to write new steps), bad steps move to
        ``workdir/corrupt_checkpoints``. Raises ``CheckpointCorrupt`` when every saved step is bad."""
        saved = self.saved_steps()
        newest = saved[-1] if saved else -1
        for step in self.missing_steps():
            if step > newest:
                print(f"warning: checkpoint step {step} is missing or was never completed.")
        bad = []
        result = None
        for step in reversed(saved):
            try:
                state, error = self.restore(step, target_at(step)), None
            except CheckpointCorrupt as caught:
                state, error = None, caught
            if dist.all_processes_agree(error is None):  # every process's rows are good
                result = step, state
                break
            bad.append(step)
            print(f"warning: {error or f'checkpoint step {step} is damaged on another process'}; "
                  "trying the previous checkpoint.")  # fmt: skip
        if bad and quarantine:
            self._quarantine(bad)
        if bad and result is None:
            raise CheckpointCorrupt(
                f"every checkpoint in {self.directory} is damaged (steps {', '.join(map(str, bad))})"
            )
        if bad:
            print(f"Falling back to the checkpoint at step {result[0]}.")
        return result

    def _quarantine(self, steps: list[int]) -> None:
        """Moves damaged steps (and their checksum files) out of orbax's folder."""
        folder = os.path.join(self.workdir, "corrupt_checkpoints")
        os.makedirs(folder, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dist.barrier("jaxdiffrl-quarantine-start")
        for step in steps:
            source = os.path.join(self.directory, str(step))
            if dist.is_main() and os.path.exists(source):
                shutil.move(source, os.path.join(folder, f"{step}-{stamp}"))
            if os.path.exists(self._sums_path(step)):
                kept = self._sums_name(step).removesuffix(".json").replace(str(step), f"{step}-{stamp}", 1)
                os.replace(self._sums_path(step), os.path.join(folder, f"{kept}.sha256.json"))
        dist.barrier("jaxdiffrl-quarantine-done")
        self.manager.reload()
        dist.say(f"Moved the damaged checkpoint(s) to {folder}.")

    def _prune_checksums(self) -> None:
        """Drops the checksum files of steps orbax rotated away."""
        keep = set(self.saved_steps())
        for step, name in self._own_sums().items():
            if step not in keep:
                os.remove(os.path.join(self.sums_directory, name))

    def close(self) -> None:
        self.manager.wait_until_finished()
        if self.writer:  # rotated steps lose their checksum files too
            self._prune_checksums()
        self.manager.close()
