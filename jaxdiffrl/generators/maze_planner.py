"""Waypoint planner and PD controller that drive the maze point mass.

The planner runs Q-iteration on the grid of maze cells (4-neighbour moves,
reward 1 for entering the terminal target cell, discount ``gamma``), which for
``gamma < 1`` makes the greedy policy follow a shortest path. The resulting
next-cell table is cached per target cell, so planning costs one table lookup
per step. This is the classic D4RL maze2d data-collection scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

Cell = tuple[int, int]

# Cell offsets (d_row, d_col) of the four moves; ties go to the earliest move.
_MOVES = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])


class MazeGeometry(Protocol):
    """What the planner needs from a maze env (e.g. ``Maze2DEnv``)."""

    @property
    def maze_map(self) -> Sequence[Sequence[int]]: ...

    def cell_to_xy(self, cell: Cell) -> np.ndarray: ...

    def xy_to_cell(self, xy: np.ndarray) -> Cell: ...


def pd_action(
    xy: np.ndarray, velocity: np.ndarray, waypoint: np.ndarray, kp: float = 10.0, kd: float = 1.0
) -> np.ndarray:
    """PD force toward ``waypoint``: ``clip(kp * (waypoint - xy) - kd * velocity, -1, 1)``."""
    return np.clip(kp * (waypoint - xy) - kd * velocity, -1.0, 1.0)


class MazePlanner:
    """Greedy shortest-path waypoints over maze cells, plus the PD controller to follow them."""

    def __init__(self, maze: MazeGeometry, gamma: float = 0.99, kp: float = 10.0, kd: float = 1.0):
        self._maze = maze
        self._gamma = gamma
        self.kp = kp
        self.kd = kd
        self._open = np.asarray(maze.maze_map) != 1
        self._successors = self._successor_table()
        self._next_cells: dict[Cell, np.ndarray] = {}

    def _successor_table(self) -> np.ndarray:
        """(4, rows, cols, 2) cell reached by each move; bumping into a wall stays put.

        Wall cells get successors too, so a position that numerically lands in a
        wall cell still gets a sensible waypoint.
        """
        rows, cols = self._open.shape
        cells = np.stack(np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij"), -1)
        successors = []
        for move in _MOVES:
            target = np.clip(cells + move, 0, [rows - 1, cols - 1])
            allowed = self._open[target[..., 0], target[..., 1]][..., None]
            successors.append(np.where(allowed, target, cells))
        return np.stack(successors)

    def _next_cell_table(self, target: Cell) -> np.ndarray:
        """(rows, cols, 2) greedy next cell toward ``target``, by Q-iteration (cached)."""
        if target not in self._next_cells:
            if not self._open[target]:
                raise ValueError(f"Target cell {target} is a wall.")
            rows_next, cols_next = self._successors[..., 0], self._successors[..., 1]
            reward = np.zeros(self._open.shape)
            reward[target] = 1.0
            value = np.zeros(self._open.shape)
            # The target is terminal (value 0), so V = gamma ** (distance - 1)
            # is reached exactly once values have spread over the whole maze;
            # each sweep spreads them one cell, so the cell count bounds it.
            for _ in range(self._open.size):
                q = reward[rows_next, cols_next] + self._gamma * value[rows_next, cols_next]
                new_value = q.max(axis=0)
                new_value[target] = 0.0
                if np.array_equal(new_value, value):
                    break
                value = new_value
            best = q.argmax(axis=0)
            self._next_cells[target] = np.take_along_axis(self._successors, best[None, ..., None], axis=0)[0]
        return self._next_cells[target]

    def waypoint(self, xy: np.ndarray, target: Cell) -> np.ndarray:
        """Centre of the next cell on the greedy path to ``target``; in ``target``, its centre."""
        target = (int(target[0]), int(target[1]))
        cell = self._maze.xy_to_cell(xy)
        if cell == target:
            return self._maze.cell_to_xy(target)
        next_cell = self._next_cell_table(target)[cell]
        return self._maze.cell_to_xy((int(next_cell[0]), int(next_cell[1])))

    def action(self, observation: np.ndarray, target: Cell) -> np.ndarray:
        """PD action from observation ``(x, y, vx, vy)`` toward the next waypoint to ``target``."""
        xy, velocity = observation[:2], observation[2:4]
        return pd_action(xy, velocity, self.waypoint(xy, target), self.kp, self.kd)
