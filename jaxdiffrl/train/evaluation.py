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
        keys = np.split(keys, bounds)  # per group; host arrays every step, so one compiled program
        returns = np.zeros(R * E)
        active = np.ones(R * E, bool)
        while active.any():
            obs = np.split(np.asarray(observations, np.float32).reshape(R, E, -1), bounds)
            acted = []
            for index, group in enumerate(groups):
                next_keys, group_actions = _act(group, obs[index], keys[index])
                keys[index] = np.asarray(next_keys)  # 8 bytes a run: the same argument kind each step
                acted.append(np.asarray(group_actions))  # the env needs them on the host
            actions = np.concatenate(acted).reshape(R * E, -1)
            observations, rewards, terminated, truncated, _ = self.envs.step(actions)
            returns += np.where(active, rewards, 0.0)
            active &= ~(terminated | truncated)
        return returns.reshape(R, E)

    def close(self) -> None:
        self.envs.close()


def _act_one(agent, observations, key):
    """(the run's next key, its actions for ``observations`` (E, d)): the key splits into the
    next step's and this step's action key, in one jitted call with the actions."""
    key, action_key = jax.random.split(key)
    return key, agent.sample_actions(observations, action_key)


_act = jax.jit(jax.vmap(_act_one))
