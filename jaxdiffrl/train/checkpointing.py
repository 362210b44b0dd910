"""Orbax checkpoints of the whole training state (agents, data keys, step); never pickle."""

import os

import orbax.checkpoint as ocp


class Checkpointer:
    """Keeps the latest ``max_to_keep`` checkpoints under ``workdir/checkpoints``."""

    def __init__(self, workdir: str, max_to_keep: int | None = 2):
        options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
        self.manager = ocp.CheckpointManager(
            os.path.abspath(os.path.join(workdir, "checkpoints")), options=options
        )

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def saved_steps(self) -> list[int]:
        return sorted(self.manager.all_steps())

    def save(self, step: int, state) -> None:
        self.manager.save(step, args=ocp.args.StandardSave(state))

    def restore(self, step: int, target):
        """Restores into ``target``'s structure, dtypes and shardings."""
        return self.manager.restore(step, args=ocp.args.StandardRestore(target))

    def close(self) -> None:
        self.manager.wait_until_finished()
        self.manager.close()
