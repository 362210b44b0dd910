"""The engine's per-phase data: derived arrays, a start computation per phase, batch indices.

A counting agent records what the engine gives it: phase 1 trains on arrays derived from the
dataset (rows 10·i and a 0-d constant), phase 2 on the transitions. ``start`` must run once per
phase, per run, at the phase's first step, on the phase's whole data (constants included), and
must not run again on ``--resume`` inside the phase; batches carry ``indices`` that point at
the rows they hold, and never the constants.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxdiffrl.agents.phases import Phase
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.device_data import sample_batch
from jaxdiffrl.train.engine import phase_data, train
from jaxdiffrl.train.runs import make_runs

CALLS = {"derive": 0}


def derive(dataset: OfflineDataset) -> dict:
    CALLS["derive"] += 1
    rows = np.arange(dataset.size // 2, dtype=np.float32)
    return {"values": 10.0 * rows, "offset": np.float32(7.0)}


class CountingAgent(flax.struct.PyTreeNode):
    starts: jax.Array  # (2,) how often each phase's start ran
    start_sums: jax.Array  # (2,) what each start saw: sum of the rows (+ the constant)
    index_errors: jax.Array  # total |batch value − value at its index| in phase 1
    updates: jax.Array  # (2,)
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def phases(cls, config):
        return (
            Phase("derived", 20, cls.update_derived, data=derive, start=cls.start_derived, evaluate=False),
            Phase("transitions", 20, cls.update_transitions, start=cls.start_transitions),
        )

    @classmethod
    def create(cls, rng, observations, actions, config, hparams):
        zeros = jnp.zeros((2,), jnp.float32)
        return cls(zeros, zeros, jnp.zeros(()), zeros, ml_collections.FrozenConfigDict(config.agent))

    def start_derived(self, data):
        return self.replace(
            starts=self.starts.at[0].add(1),
            start_sums=self.start_sums.at[0].set(data["values"].sum() + data["offset"]),
        )

    def start_transitions(self, data):
        return self.replace(
            starts=self.starts.at[1].add(1), start_sums=self.start_sums.at[1].set(data["rewards"].sum())
        )

    def update_derived(self, batch):
        assert set(batch) == {"values", "indices"}
        error = jnp.abs(batch["values"] - 10.0 * batch["indices"]).sum()
        agent = self.replace(index_errors=self.index_errors + error, updates=self.updates.at[0].add(1))
        return agent, {"critic/value": batch["values"].mean()}

    def update_transitions(self, batch):
        assert {"observations", "rewards", "indices"} <= set(batch)
        return self.replace(updates=self.updates.at[1].add(1)), {"critic/reward": batch["rewards"].mean()}

    def sample_actions(self, observations, rng):
        return jnp.zeros(observations.shape[:-1] + (1,))


def dataset(n: int = 64) -> OfflineDataset:
    observations = np.zeros((n, 1), np.float32)
    return OfflineDataset(
        observations,
        np.zeros((n, 1), np.float32),
        np.arange(n, dtype=np.float32),
        observations,
        np.ones(n, np.float32),
        np.ones(n, bool),
        name="counting",
    )


def config():
    return base_config(
        "counting",
        "counting",
        ml_collections.ConfigDict({"hparams": {}}),
        max_steps=40,
        batch_size=8,
        log_interval=10,
        eval_interval=10,
        checkpoint_interval=10,
    )


def restore(workdir, step, agents_like):
    from jaxdiffrl.train.checkpointing import Checkpointer

    checkpointer = Checkpointer(workdir)
    state = checkpointer.restore(step, {"agents": agents_like, "data_keys": np.zeros((2, 2), np.uint32)})
    checkpointer.close()
    return state["agents"]


def test_sample_batch_leaves_constants_out_and_returns_indices():
    data = {"x": jnp.arange(5.0) * 2, "c": jnp.float32(3.0)}
    batch = sample_batch(data, jax.random.PRNGKey(0), 16)
    assert set(batch) == {"x", "indices"} and batch["indices"].dtype == jnp.int32
    np.testing.assert_array_equal(batch["x"], 2.0 * batch["indices"])
    with pytest.raises(ValueError, match="share their number of rows"):
        sample_batch({"x": jnp.zeros(3), "y": jnp.zeros(4)}, jax.random.PRNGKey(0), 2)


def test_phase_data_derives_once_per_function():
    CALLS["derive"] = 0
    phases = (Phase("a", 1, None, data=derive), Phase("b", 1, None, data=derive), Phase("c", 1, None))
    datas = phase_data(phases, dataset())
    assert CALLS["derive"] == 1 and datas[0] is datas[1]
    assert set(datas[2]) == {"observations", "actions", "rewards", "next_observations", "masks", "dones"}


@pytest.mark.parametrize("stop_after", [None, 10, 20, 30])
def test_start_runs_once_per_phase_and_not_again_on_resume(tmp_path, stop_after):
    """Uninterrupted, or stopped inside phase 1 (10), at the boundary (20) or inside phase 2 (30)
    and resumed: each start ran exactly once per run and saw the whole data."""
    cfg, data = config(), dataset()
    runs = make_runs([0, 1], {}, {})
    workdir = str(tmp_path / "run")
    if stop_after is not None:
        assert train(CountingAgent, cfg, data, runs, workdir, stop_after=stop_after, progress=False) == {}
    results = train(CountingAgent, cfg, data, runs, workdir, resume=stop_after is not None, progress=False)
    for run in results["runs"]:  # every phase's last metrics, whichever job trained the phase
        assert set(run["final_metrics"]) == {"critic/value", "critic/reward"}
    agents = restore(
        workdir, 40, jax.vmap(lambda _: CountingAgent.create(None, None, None, cfg, {}))(jnp.zeros(2))
    )
    np.testing.assert_array_equal(agents.starts, np.ones((2, 2)))
    np.testing.assert_array_equal(agents.updates, np.full((2, 2), 20))
    expected = [10.0 * np.arange(32).sum() + 7.0, np.arange(64).sum()]
    np.testing.assert_allclose(agents.start_sums, np.tile(expected, (2, 1)))
    np.testing.assert_array_equal(agents.index_errors, np.zeros(2))
