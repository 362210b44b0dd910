"""D4RL-maze2d-style PointMaze dataset generator.

As in D4RL maze2d, a noisy waypoint controller wanders through the maze in one
continuing stream: it drives to a random target cell, picks a new random target
when it gets there, and never heads specifically for the evaluation goal. The
stream is cut into fixed-length episodes and rewarded for the fixed evaluation
goal, so reaching that goal from most starts needs trajectory stitching.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium
import numpy as np
from tqdm import tqdm

import jaxdiffrl.envs  # noqa: F401  (registers the Maze2D ids)
from jaxdiffrl.data.minari_writer import write_minari_dataset
from jaxdiffrl.envs.maze2d import GOAL_RADIUS, Maze2DEnv
from jaxdiffrl.generators.maze_planner import MazePlanner

ENV_IDS = {
    "umaze": "jaxdiffrl/Maze2D-UMaze-v0",
    "medium": "jaxdiffrl/Maze2D-Medium-v0",
    "large": "jaxdiffrl/Maze2D-Large-v0",
}
NOISE_STD = 0.5
KP, KD = 10.0, 1.0
REF_EPISODES = 100  # also what Minari records as num_episodes_average_score

Policy = Callable[[np.ndarray], np.ndarray]


def _reset_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def _collect_stream(
    env: Maze2DEnv,
    planner: MazePlanner,
    transitions: int,
    rng: np.random.Generator,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One continuing run toward random target cells: observations (T+1, 4), actions, rewards."""
    open_cells = env.open_cells
    observations = np.empty((transitions + 1, 4), np.float32)
    actions = np.empty((transitions, 2), np.float32)
    rewards = np.empty(transitions, np.float64)
    obs, _ = env.reset(seed=_reset_seed(rng))
    observations[0] = obs
    target = open_cells[rng.integers(len(open_cells))]
    for t in tqdm(range(transitions), desc=f"pointmaze-{env.maze_name}", disable=not progress):
        noise = NOISE_STD * rng.standard_normal(2)
        action = np.clip(planner.action(obs, target) + noise, -1.0, 1.0).astype(np.float32)
        obs, reward, _, _, _ = env.step(action)
        observations[t + 1], actions[t], rewards[t] = obs, action, reward
        if np.linalg.norm(obs[:2] - env.cell_to_xy(target)) <= GOAL_RADIUS:
            others = [cell for cell in open_cells if cell != target]
            target = others[rng.integers(len(others))]
    return observations, actions, rewards


def _split_episodes(
    observations: np.ndarray, actions: np.ndarray, rewards: np.ndarray, length: int
) -> list[dict[str, np.ndarray]]:
    """Cut the stream every ``length`` steps; each cut is a truncation (the last may be shorter)."""
    episodes = []
    for start in range(0, len(actions), length):
        end = min(start + length, len(actions))
        truncations = np.zeros(end - start, bool)
        truncations[-1] = True
        episodes.append(
            {
                "observations": observations[start : end + 1],
                "actions": actions[start:end],
                "rewards": rewards[start:end],
                "terminations": np.zeros(end - start, bool),
                "truncations": truncations,
            }
        )
    return episodes


def _mean_return(env: Maze2DEnv, policy: Policy, horizon: int, rng: np.random.Generator) -> float:
    """Mean undiscounted return of ``policy`` over ``REF_EPISODES`` seeded episodes."""
    returns = []
    for _ in range(REF_EPISODES):
        obs, _ = env.reset(seed=_reset_seed(rng))
        total = 0.0
        for _ in range(horizon):
            obs, reward, _, _, _ = env.step(policy(obs))
            total += reward
        returns.append(total)
    return float(np.mean(returns))


def generate_pointmaze(
    dataset_id: str,
    *,
    maze: str = "umaze",
    transitions: int = 100_000,
    seed: int = 0,
    progress: bool = True,
) -> str:
    """Generate the maze2d-style dataset ``dataset_id`` for ``maze``; return its path.

    Actions are the planner's PD action toward the current random target plus
    N(0, 0.5²) noise, clipped to [-1, 1]; rewards are the env's sparse reward
    for the fixed evaluation goal. The stream is split into episodes of the
    env's ``max_episode_steps`` (300 / 600 / 800). Reference scores: mean
    return over 100 episodes of a uniform-random policy (min) and of the
    noiseless planner driving to the evaluation goal (max). Everything is a
    deterministic function of ``seed``.
    """
    if maze not in ENV_IDS:
        raise ValueError(f"Unknown maze {maze!r}; expected one of {sorted(ENV_IDS)}.")
    env = gymnasium.make(ENV_IDS[maze])
    maze_env: Maze2DEnv = env.unwrapped
    horizon = env.spec.max_episode_steps
    planner = MazePlanner(maze_env, kp=KP, kd=KD)
    data_rng, random_rng, expert_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )

    stream = _collect_stream(maze_env, planner, transitions, data_rng, progress)
    ref_min_score = _mean_return(maze_env, lambda obs: random_rng.uniform(-1.0, 1.0, 2), horizon, random_rng)
    ref_max_score = _mean_return(
        maze_env, lambda obs: planner.action(obs, maze_env.goal_cell), horizon, expert_rng
    )
    path = write_minari_dataset(
        dataset_id,
        _split_episodes(*stream, horizon),
        env,
        ref_min_score=ref_min_score,
        ref_max_score=ref_max_score,
        algorithm_name="Q-iteration waypoints + PD control, N(0, 0.5^2) action noise, random goals",
        metadata={
            "generator": "pointmaze",
            "config": {
                "maze": maze,
                "transitions": transitions,
                "noise": NOISE_STD,
                "kp": KP,
                "kd": KD,
                "ref_episodes": REF_EPISODES,
            },
            "seed": seed,
        },
    )
    env.close()
    return path
