"""D4RL-maze2d-style offline task on top of gymnasium-robotics' PointMaze.

The inner ``PointMazeEnv`` provides the MuJoCo point mass (2-D force actuation,
dt = 0.01 s, velocity clipped to ±5) and the maze walls. This wrapper turns it
into the single-task maze2d benchmark: one fixed evaluation goal per maze, a
goal-free observation, a sparse reward, and no termination (the episode length
comes from the registration's ``max_episode_steps``).
"""

from __future__ import annotations

import os
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium_robotics.envs.maze.maps import LARGE_MAZE, MEDIUM_MAZE, U_MAZE
from gymnasium_robotics.envs.maze.point_maze import PointMazeEnv

Cell = tuple[int, int]

# maze name -> (map, fixed evaluation goal cell (row, col)). The goals are the
# D4RL maze2d goals: the far ends of the mazes from their usual start corners.
MAZES: dict[str, tuple[list[list[int]], Cell]] = {
    "umaze": (U_MAZE, (1, 1)),
    "medium": (MEDIUM_MAZE, (6, 6)),
    "large": (LARGE_MAZE, (7, 9)),
}

GOAL_RADIUS = 0.5


class Maze2DEnv(gymnasium.Env):
    """Point-mass maze navigation to one fixed goal, as in D4RL maze2d.

    Evaluation goal cells (row, col), goal position = the cell's centre:
      * ``umaze``: (1, 1), the top-left end of the U; the other end, (3, 1),
        is the usual start, so the agent has to go all the way round.
      * ``medium``: (6, 6), the bottom-right corner.
      * ``large``: (7, 9), near the bottom-right corner.

    Observation: float32 ``(x, y, vx, vy)``; the goal is not observed.
    Action: float32 force in ``[-1, 1]^2``.
    Reward: 1.0 when the post-step position is within 0.5 of the goal, else 0.0.
    The task never terminates. Each reset starts at the centre of a uniformly
    random open cell (or ``options["reset_cell"]``) plus the inner env's uniform
    ±0.25 position noise, with zero velocity, all drawn from ``self.np_random``.
    """

    metadata = {"render_modes": ["human", "rgb_array", "depth_array"], "render_fps": 100}

    def __init__(self, maze: str = "umaze", render_mode: str | None = None):
        if maze not in MAZES:
            raise ValueError(f"Unknown maze {maze!r}; expected one of {sorted(MAZES)}.")
        maze_map, goal_cell = MAZES[maze]
        self.maze_name = maze
        self.render_mode = render_mode
        # continuing_task / reset_target=False: the inner env never terminates
        # and never moves its goal; this wrapper computes its own reward.
        self._inner = PointMazeEnv(
            maze_map=maze_map,
            render_mode=render_mode,
            continuing_task=True,
            reset_target=False,
        )
        # The inner env writes its MJCF to a temporary file that it never
        # deletes; the model is loaded by now, so remove it to avoid piling up.
        os.remove(self._inner.tmp_xml_file_path)
        self._maze = self._inner.maze
        self._goal_cell: Cell = goal_cell
        self._goal_xy = self.cell_to_xy(goal_cell)
        self._open_cells: list[Cell] = [
            (i, j) for i, row in enumerate(maze_map) for j, value in enumerate(row) if value != 1
        ]
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(4,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    @property
    def maze_map(self) -> list[list[int]]:
        """The maze layout, ``1`` = wall, ``0`` = open, indexed ``[row][col]``."""
        return [list(row) for row in self._maze.maze_map]

    @property
    def open_cells(self) -> list[Cell]:
        """All non-wall cells ``(row, col)``, in row-major order."""
        return list(self._open_cells)

    @property
    def goal_cell(self) -> Cell:
        """The fixed evaluation goal cell ``(row, col)``."""
        return self._goal_cell

    @property
    def goal_xy(self) -> np.ndarray:
        """Centre of the goal cell in world coordinates."""
        return self._goal_xy.copy()

    def cell_to_xy(self, cell: Cell) -> np.ndarray:
        """World ``(x, y)`` of the centre of cell ``(row, col)``."""
        return self._maze.cell_rowcol_to_xy(np.asarray(cell)).astype(np.float64)

    def xy_to_cell(self, xy: np.ndarray) -> Cell:
        """Cell ``(row, col)`` containing world position ``xy``."""
        i, j = self._maze.cell_xy_to_rowcol(np.asarray(xy))
        return int(i), int(j)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start at a random (or ``options["reset_cell"]``) open cell's centre plus noise."""
        super().reset(seed=seed)
        # Share one generator so that reset(seed=s) fixes all of the inner
        # env's randomness as well.
        self._inner.np_random = self.np_random
        reset_cell = (options or {}).get("reset_cell")
        if reset_cell is None:
            reset_cell = self._open_cells[self.np_random.integers(len(self._open_cells))]
        obs, _ = self._inner.reset(
            options={"goal_cell": np.asarray(self._goal_cell), "reset_cell": np.asarray(reset_cell)}
        )
        # The inner env jitters its goal; pin it to the cell centre (only the
        # rendered target marker uses it, the reward is computed here).
        self._inner.goal = self.goal_xy
        self._inner.update_target_site_pos()
        return self._observe(obs["observation"]), {"success": False}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply the force; reward 1.0 iff the new position is within 0.5 of the goal."""
        obs, _, _, _, _ = self._inner.step(np.clip(action, -1.0, 1.0))
        state = obs["observation"]
        success = bool(np.linalg.norm(state[:2] - self._goal_xy) <= GOAL_RADIUS)
        return self._observe(state), float(success), False, False, {"success": success}

    def render(self) -> np.ndarray | None:
        """Render through the inner MuJoCo env."""
        return self._inner.render()

    def close(self) -> None:
        """Close the inner env (and its renderer)."""
        self._inner.close()

    @staticmethod
    def _observe(state: np.ndarray) -> np.ndarray:
        return state.astype(np.float32)
