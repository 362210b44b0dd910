"""SuccessEndsEpisode turns the continuing AntMaze of the Minari antmaze datasets into D4RL's episodic task.

The AntMaze env is built as the datasets' recorded evaluation spec builds it: ``AntMaze_UMaze-v4``
with ``continuing_task=True, reset_target=False`` and the umaze evaluation map. Raw, it keeps paying
reward 1 on every step at the goal and never terminates; wrapped, the episode ends on the first
step at the goal with return exactly 1.

Reaching the goal: a learned or hand-tuned gait would make the test slow and brittle, so the
scripted policy carries the ant instead. Before each step it moves the torso at most ``STEP`` along
the maze's free corridor (r cell → left column → g row → the observed goal), zeroes the velocities
and calls ``mj_forward``, then sends a zero action. The env still runs its own physics step and
computes reward, ``info["success"]`` and termination from where the ant ends up; neither the env
nor the wrapper is touched. The start is asserted to lie outside the goal radius, and the walk
advances less than that radius per step, so the first success comes after many unrewarded steps
and the wrapper has to single out that one step.

Toy envs cover the reward > 0 fallback for envs without an ``info["success"]`` key, the precedence
of that key over the reward, and an episode without success running to truncation unchanged.
"""

import warnings

import gymnasium as gym
import gymnasium_robotics
import mujoco
import numpy as np
import pytest

from jaxdiffrl.envs.success import SuccessEndsEpisode

gym.register_envs(gymnasium_robotics)

ANTMAZE_ID = "AntMaze_UMaze-v4"  # the id the Minari D4RL antmaze-umaze datasets record
# The umaze evaluation map: "r" the reset cell, "g" the goal cell (row, column).
EVAL_MAP = [[1, 1, 1, 1, 1], [1, 0, 0, "r", 1], [1, 0, 1, 1, 1], [1, 0, 0, "g", 1], [1, 1, 1, 1, 1]]
CORRIDOR = [(1, 1), (3, 1)]  # the free cells the walk turns at between "r" (1, 3) and "g" (3, 3)
GOAL_RADIUS = 0.45  # AntMaze's success / sparse-reward distance
STEP = 0.2  # the most the policy moves the torso per env step (< GOAL_RADIUS)
HOLD = 50  # steps spent at the goal after the first success on the raw env
SEED = 0


def make_antmaze() -> gym.Env:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "AntMaze_UMaze-v4 is out of date"
        return gym.make(ANTMAZE_ID, continuing_task=True, reset_target=False, maze_map=EVAL_MAP)


class CarryToGoal:
    """Scripted policy: walks the ant's torso through the MuJoCo state along the corridor's waypoints
    and on to the observed ``desired_goal``, one bounded move per step, then holds it on the goal;
    the action itself is zero."""

    def __init__(self, env: gym.Env):
        self.maze_env = env.unwrapped
        maze = self.maze_env.maze
        self.waypoints = [maze.cell_rowcol_to_xy(np.array(cell)) for cell in CORRIDOR]

    def __call__(self, observation) -> np.ndarray:
        data = self.maze_env.data
        position = data.qpos[:2].copy()
        target = self.waypoints[0] if self.waypoints else observation["desired_goal"]
        offset = target - position
        distance = np.linalg.norm(offset)
        if distance <= STEP:
            data.qpos[:2] = target
            if self.waypoints:
                self.waypoints.pop(0)  # head for the next waypoint from the next step on
        else:
            data.qpos[:2] = position + offset * (STEP / distance)
        data.qvel[:] = 0.0
        mujoco.mj_forward(self.maze_env.model, data)
        return np.zeros(self.maze_env.action_space.shape, np.float32)


def reset_outside_goal(env: gym.Env):
    observation, info = env.reset(seed=SEED)
    start_distance = np.linalg.norm(observation["achieved_goal"] - observation["desired_goal"])
    assert start_distance > GOAL_RADIUS and not info["success"]
    return observation


def walk_to_first_success(env: gym.Env, policy: CarryToGoal, observation):
    """Step until the first success; returns (steps taken, rewards, last step's outputs)."""
    rewards = []
    for _ in range(env.spec.max_episode_steps):
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        rewards.append(float(reward))
        if info["success"] or terminated or truncated:
            return len(rewards), rewards, (observation, terminated, truncated, info)
    raise AssertionError("the scripted policy never reached the goal")


def test_raw_continuing_antmaze_pays_every_step_at_the_goal():
    env = make_antmaze()
    policy = CarryToGoal(env)
    observation = reset_outside_goal(env)
    steps, rewards, (observation, terminated, truncated, info) = walk_to_first_success(
        env, policy, observation
    )
    assert info["success"] and steps > 10
    assert rewards[:-1] == [0.0] * (steps - 1) and rewards[-1] == 1.0
    assert not terminated and not truncated

    later_return = 0.0
    for _ in range(HOLD):
        observation, reward, terminated, truncated, info = env.step(policy(observation))
        assert not terminated and not truncated
        later_return += float(reward)
    assert later_return == float(HOLD) > 1.0  # summed, every step at the goal counts again
    env.close()


def test_wrapped_antmaze_ends_on_the_first_success_with_return_one():
    raw = make_antmaze()
    raw_steps, _, _ = walk_to_first_success(raw, CarryToGoal(raw), reset_outside_goal(raw))
    raw.close()

    env = SuccessEndsEpisode(make_antmaze())
    policy = CarryToGoal(env)
    steps, rewards, (_, terminated, truncated, info) = walk_to_first_success(
        env, policy, reset_outside_goal(env)
    )
    assert terminated and not truncated and info["success"]
    assert steps == raw_steps  # the same seeded walk; the wrapper changed only the terminated flag
    assert sum(rewards) == 1.0
    env.close()


class Corridor(gym.Env):
    """Toy continuing task: from step ``goal_step`` on, every step pays 1 (plus ``bonus`` on all steps).
    Never terminates; infos hold ``success`` only when ``reports_success``."""

    def __init__(self, goal_step: int | None, reports_success: bool = False, bonus: float = 0.0):
        self.goal_step, self.reports_success, self.bonus = goal_step, reports_success, bonus
        self.observation_space = gym.spaces.Box(0.0, np.inf, (1,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        reached = self.goal_step is not None and self.t >= self.goal_step
        info = {"success": reached} if self.reports_success else {}
        return np.array([self.t], np.float32), float(reached) + self.bonus, False, False, info


def episode(env: gym.Env) -> list[tuple]:
    """(observation, reward, terminated, truncated, info) of each step of one episode."""
    env.reset(seed=0)
    steps = []
    while not steps or not (steps[-1][2] or steps[-1][3]):
        steps.append(env.step(env.action_space.sample()))
    return steps


def toy(goal_step, limit=10, **kwargs) -> gym.Env:
    return gym.wrappers.TimeLimit(Corridor(goal_step, **kwargs), max_episode_steps=limit)


def test_positive_reward_is_success_without_an_info_key():
    steps = episode(SuccessEndsEpisode(toy(goal_step=4)))
    assert len(steps) == 4 and steps[-1][2] and not steps[-1][3]
    assert [s[1] for s in steps] == [0.0, 0.0, 0.0, 1.0]
    assert sum(s[1] for s in episode(toy(goal_step=4))) == 7.0  # unwrapped: paid on steps 4…10


@pytest.mark.parametrize("kwargs", [{}, {"reports_success": True}, {"reports_success": True, "bonus": 0.5}])
def test_without_success_the_episode_runs_to_truncation_unchanged(kwargs):
    wrapped, raw = (
        episode(SuccessEndsEpisode(toy(goal_step=None, **kwargs))),
        episode(toy(goal_step=None, **kwargs)),
    )
    assert len(wrapped) == 10 and not wrapped[-1][2] and wrapped[-1][3]
    for (obs, reward, terminated, truncated, info), expected in zip(wrapped, raw, strict=True):
        assert obs == expected[0] and (reward, terminated, truncated, info) == expected[1:]


def test_info_success_takes_precedence_over_a_positive_reward():
    steps = episode(SuccessEndsEpisode(toy(goal_step=4, reports_success=True, bonus=0.5)))
    assert len(steps) == 4 and steps[-1][2] and steps[-1][4] == {"success": True}
    assert [s[1] for s in steps] == [0.5, 0.5, 0.5, 1.5]  # rewards pass through unchanged


def test_antmaze_configs_end_episodes_at_success_and_evaluate_100():
    """Every antmaze config evaluates D4RL's way: episodes end at the goal, 100 of them."""
    import glob
    import os

    from jaxdiffrl.app.cli import CONFIGS_DIR, load_config

    files = sorted(glob.glob(os.path.join(CONFIGS_DIR, "*", "antmaze.py")))
    assert len(files) >= 6
    for path in files:
        config = load_config(path)
        assert config.data.success_ends_episode, path
        assert config.eval_episodes == 100, path


def test_the_data_convention_wraps_the_evaluation_env():
    from jaxdiffrl.data.conventions import apply_conventions, default_data_config
    from jaxdiffrl.data.dataset import OfflineDataset

    n = 4
    dataset = OfflineDataset(
        observations=np.zeros((n, 1), np.float32),
        actions=np.zeros((n, 1), np.float32),
        rewards=np.zeros(n, np.float32),
        next_observations=np.zeros((n, 1), np.float32),
        masks=np.ones(n, np.float32),
        dones=np.zeros(n, bool),
        name="toy",
        make_env=lambda: gym.wrappers.TimeLimit(Corridor(goal_step=3), 10),
    )
    wrapped = apply_conventions(dataset, default_data_config(success_ends_episode=True)).make_env()
    plain = apply_conventions(dataset, default_data_config()).make_env()
    assert isinstance(wrapped, SuccessEndsEpisode) and not isinstance(plain, SuccessEndsEpisode)
