"""End an episode at its first successful step, so that a sparse return is a success indicator.

D4RL's antmaze evaluation stops an episode once the ant reaches the goal; its normalised score
(reference min 0, max 1) is therefore a success rate. gymnasium-robotics' AntMaze built with
``continuing_task=True`` (how the Minari antmaze datasets record their evaluation env) never
terminates and pays its sparse reward 1 on every step spent inside the goal radius, so a summed
return counts steps at the goal rather than one success. ``SuccessEndsEpisode`` restores the
episodic task.

A step is a success when its ``info["success"]`` is true or, for envs whose infos carry no
``"success"`` key, when its reward is positive. That step is returned with ``terminated=True`` and
its reward, observation, ``truncated`` flag and info unchanged; every other step passes through
untouched. With a 0/1 reward the episode's return is then 1 on success and 0 otherwise.

The return is a success indicator only for that unshifted reward. Under a shifted reward such as
r − 1 (0 at the goal, −1 elsewhere) the return would be minus the number of steps before success,
and the reward fallback would never fire because no reward is positive. Evaluation steps the env's
raw reward, so this does not arise there: reward shifts are a convention of the training data.

Only steps are checked: an episode that starts inside the goal ends at its first step, which then
reports the success (the reset's info is not looked at).
"""

import gymnasium as gym


class SuccessEndsEpisode(gym.Wrapper):
    """Terminate at the first step reporting success (``info["success"]``, else reward > 0)."""

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        success = bool(info["success"]) if "success" in info else float(reward) > 0.0
        return observation, reward, bool(terminated) or success, truncated, info
