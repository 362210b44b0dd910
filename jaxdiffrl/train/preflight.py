"""Checks a job passes before anything is written: the agent accepts the config, the dataset fits the
environment it is evaluated in, and its values are of a sane size.

``check_agent`` traces (``jax.eval_shape``: nothing is computed) the agent's ``create`` and the
update of every phase up to the first one with its own data or ``start`` — which is where option
values (``critic.value_loss``, ``actor_type``, …) are read — so a typo in one fails in one line
before the run directory exists, not after config.json is written. ``check_spaces`` compares the
dataset's observation and action shapes with one evaluation environment's spaces and refuses an
action box other than [−1, 1] (the agents act in [−1, 1]; nothing rescales, and clipping would
silently lose the outer actions). ``warn_large_values`` names a field beyond a sanity bound.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.train.device_data import sample_batch

REWARD_BOUND = 1e6  # |reward| after the data conventions
RETURN_BOUND = 1e8  # |undiscounted trajectory return|
OBSERVATION_BOUND = 1e6  # |observation|


class PreflightError(ValueError):
    """The job cannot start; the message names what is wrong."""


def check_agent(agent_cls, config: ml_collections.ConfigDict, dataset: OfflineDataset, hparams: dict) -> None:
    """Traces ``create`` and the leading transition-phase updates for one run; raises
    ``PreflightError`` with the agent's own message for a config value it refuses."""
    try:
        phases = tuple(agent_cls.phases(config))
        observation = jax.ShapeDtypeStruct((1, dataset.observation_dim), jnp.float32)
        action = jax.ShapeDtypeStruct((1, dataset.action_dim), jnp.float32)
        params = {k: jax.ShapeDtypeStruct((), jnp.float32) for k in hparams}

        def create(key, observation, action, params):
            return agent_cls.create(key, observation, action, config, params)

        key = jax.ShapeDtypeStruct((2,), jnp.uint32)
        agent = jax.eval_shape(create, key, observation, action, params)
        rows = {name: np.zeros((2, *array.shape[1:]), np.float32) for name, array in dataset.arrays().items()}
        for phase in phases:
            if phase.data is not None or phase.start is not None:
                break
            batch_size = phase.batch_size or config.batch_size

            def update(agent, rows, key, update=phase.update, batch_size=batch_size):
                return update(agent, sample_batch(rows, key, batch_size))

            jax.eval_shape(update, agent, rows, key)
    except (ValueError, KeyError, TypeError) as error:
        if isinstance(error, KeyError):
            message = f"the config lacks the key {error.args[0]!r}"
        else:
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PreflightError(f"{agent_cls.__name__} refuses this config: {message}") from error


def check_spaces(dataset: OfflineDataset) -> None:
    """The dataset's observation and action shapes against its evaluation env's spaces, and the
    action box (the dataset's declared one and the env's) against [−1, 1]."""
    boxes = []
    if dataset.action_low is not None and dataset.action_high is not None:
        boxes.append(("the dataset declares", dataset.action_low, dataset.action_high))
    if dataset.make_env is not None:
        env = dataset.make_env()
        try:
            observation_shape = getattr(env.observation_space, "shape", None)
            action_space = env.action_space
        finally:
            env.close()
        name = dataset.env_id or dataset.name
        data_shapes = (dataset.observations.shape[1:], dataset.actions.shape[1:])
        for what, env_shape, data_shape in (
            ("observation", observation_shape, data_shapes[0]),
            ("action", getattr(action_space, "shape", None), data_shapes[1]),
        ):
            if env_shape is not None and tuple(env_shape) != tuple(data_shape):
                raise PreflightError(
                    f"dataset {dataset.name!r} has {what}s of shape {tuple(data_shape)} but its evaluation "
                    f"env {name} has {what} space shape {tuple(env_shape)}."
                )
        if hasattr(action_space, "low") and hasattr(action_space, "high"):
            boxes.append((f"env {name} has", action_space.low, action_space.high))
    for who, low, high in boxes:
        low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
        if not (np.allclose(low, -1.0, atol=1e-6) and np.allclose(high, 1.0, atol=1e-6)):
            raise PreflightError(
                f"{who} the action box [{low.min():.6g}, {high.max():.6g}] for {dataset.name!r}; the "
                "agents act in [-1, 1] and nothing rescales actions, so this is refused rather than clipped: "
                "rescale the dataset's actions and the env (e.g. gymnasium.wrappers.RescaleAction) to "
                "[-1, 1]."
            )


def warn_large_values(dataset: OfflineDataset) -> list[str]:
    """Prints (and returns) a warning per field whose values exceed a sanity bound: rewards,
    trajectory returns, observations — finite values large enough to overflow a critic."""
    warnings = []
    for field, values, bound in (
        ("rewards", dataset.rewards, REWARD_BOUND),
        ("observations", dataset.observations, OBSERVATION_BOUND),
    ):
        size = np.abs(np.asarray(values, np.float64))
        if size.size and size.max() > bound:
            index = tuple(int(i) for i in np.unravel_index(np.argmax(size), size.shape))
            warnings.append(
                f"warning: dataset {dataset.name!r}: {field}{list(index)} = {values[index]:.3g} exceeds the "
                f"sanity bound {bound:.0e} ({int((size > bound).sum())} values in all); expect a diverging "
                "critic, or rescale the data (config.data.reward_scale / normalize_observations)."
            )
    returns = np.abs(dataset.trajectory_returns())
    if returns.size and returns.max() > RETURN_BOUND:
        warnings.append(
            f"warning: dataset {dataset.name!r}: a trajectory return is {returns.max():.3g}, beyond the "
            f"sanity bound {RETURN_BOUND:.0e}; expect a diverging critic, or rescale the rewards."
        )
    for line in warnings:
        print(line)
    return warnings
