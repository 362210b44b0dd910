"""Batched evaluation: every run × episode in one gymnasium vector env, actions in one jitted call.

Episode resets and action noise are seeded from (run seed, evaluation step, episode) only, so
run i of a vmapped job sees exactly the episodes a 1-seed job with the same seed sees.
"""

from collections.abc import Callable, Sequence
from enum import IntEnum

import gymnasium as gym
import jax
import numpy as np


class SeedPurpose(IntEnum):
    """What a seed from ``eval_seed`` is for; one table, so no two uses draw the same stream."""

    EVAL_RESET = 0  # evaluation episodes' env resets
    EVAL_ACTIONS = 1  # evaluation's action sampling
    ONLINE_RESET = 2  # online fine-tuning's env resets
    ONLINE_ACTIONS = 3  # online fine-tuning's exploration


def eval_seed(seed: int, step: int, purpose: SeedPurpose, episode: int = 0) -> int:
    """A 32-bit seed for one evaluation's env resets or action noise, from (seed, step) alone."""
    return int(np.random.SeedSequence([seed, step, int(purpose), episode]).generate_state(1)[0])


class Evaluator:
    """Owns the vector env (num_runs × episodes copies) and the jitted, vmapped action function."""

    def __init__(self, make_env: Callable[[], gym.Env], num_runs: int, episodes: int):
        self.num_runs, self.episodes = num_runs, episodes
        self.envs = gym.vector.SyncVectorEnv([make_env for _ in range(num_runs * episodes)])

    def evaluate(self, agents, seeds: Sequence[int], step: int) -> np.ndarray:
        """Runs one episode per env and returns the undiscounted returns, shape (runs, episodes).

        ``agents``: the vmapped agents of every run, or a list of them covering the runs in order
        (groups acting in one call each, for jobs trained as several programs)."""
        R, E = self.num_runs, self.episodes
        groups = agents if isinstance(agents, list) else [agents]
        bounds = np.cumsum([jax.tree.leaves(g)[0].shape[0] for g in groups])[:-1]
        reset_seeds = [eval_seed(s, step, SeedPurpose.EVAL_RESET, e) for s in seeds for e in range(E)]
        observations, _ = self.envs.reset(seed=reset_seeds)
        keys = np.stack(
            [np.asarray(jax.random.PRNGKey(eval_seed(s, step, SeedPurpose.EVAL_ACTIONS))) for s in seeds]
        )
        returns = np.zeros(R * E)
        active = np.ones(R * E, bool)
        while active.any():
            keys, action_keys = _split(keys)
            obs = np.asarray(observations, np.float32).reshape(R, E, -1)
            acted = [
                np.asarray(_act(g, o, k))
                for g, o, k in zip(groups, np.split(obs, bounds), np.split(action_keys, bounds), strict=True)
            ]
            actions = np.concatenate(acted).reshape(R * E, -1)
            observations, rewards, terminated, truncated, _ = self.envs.step(actions)
            returns += np.where(active, rewards, 0.0)
            active &= ~(terminated | truncated)
        return returns.reshape(R, E)

    def close(self) -> None:
        self.envs.close()


_act = jax.jit(jax.vmap(lambda agent, obs, key: agent.sample_actions(obs, key)))
_split_all = jax.jit(jax.vmap(lambda k: tuple(jax.random.split(k))))


def _split(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    new, sub = _split_all(keys)
    return np.asarray(new), np.asarray(sub)
