"""The Bidirectional-Car behaviour dataset (SfBC), and its ``single-side`` variant.

Each episode picks a side with probability ½ and drives toward it with throttle
u = side·clip(N(0.9, 0.2), 0, 1), switching side with probability 0.05 per step; 2 000 episodes by
default, so about half end at each endpoint. ``single_side`` drops every episode that ends at
x = −1. Reference scores: a uniform-random policy (min) and full throttle to one side (max, 1).
"""

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

import jaxdiffrl.envs  # noqa: F401  (registers jaxdiffrl/BidirectionalCar-v0)
from jaxdiffrl.data.minari_writer import write_minari_dataset

ENV_ID = "jaxdiffrl/BidirectionalCar-v0"
EPISODES = 2_000
SWITCH_PROBABILITY = 0.05
THROTTLE_MEAN, THROTTLE_STD = 0.9, 0.2
REF_EPISODES = 100


def _run_episode(env: gym.Env, policy, seed: int) -> tuple[dict[str, np.ndarray], int]:
    """One episode with ``policy(observation) -> action``; returns it and the side it ended at."""
    observation, _ = env.reset(seed=seed)
    episode = {k: [] for k in ("observations", "actions", "rewards", "terminations", "truncations")}
    episode["observations"].append(observation)
    side, done = 0, False
    while not done:
        action = np.asarray(policy(observation), np.float32)
        observation, reward, terminated, truncated, info = env.step(action)
        for key, value in zip(
            ("observations", "actions", "rewards", "terminations", "truncations"),
            (observation, action, reward, terminated, truncated),
            strict=True,
        ):
            episode[key].append(value)
        side, done = info["side"], terminated or truncated
    return {k: np.asarray(v) for k, v in episode.items()}, side


def behaviour_policy(rng: np.random.Generator):
    """The data's driver: a side chosen at random, kept with probability 0.95 per step."""
    side = rng.choice([-1.0, 1.0])

    def act(_observation):
        nonlocal side
        if rng.random() < SWITCH_PROBABILITY:
            side = -side
        return [side * np.clip(rng.normal(THROTTLE_MEAN, THROTTLE_STD), 0.0, 1.0)]

    return act


def generate_car(
    dataset_id: str,
    *,
    transitions: int | None = None,
    seed: int = 0,
    progress: bool = True,
    single_side: bool = False,
) -> str:
    """Writes the dataset; ``transitions`` None means 2 000 episodes, else stop once that many
    transitions are collected (at an episode end)."""
    env = gym.make(ENV_ID)
    rng = np.random.default_rng(seed)
    episodes, collected, index = [], 0, 0
    target = transitions if transitions is not None else None
    with tqdm(total=target or EPISODES, disable=not progress, desc=dataset_id) as bar:
        while (collected < target) if target is not None else (index < EPISODES):
            episode, side = _run_episode(env, behaviour_policy(rng), seed=int(rng.integers(2**31)))
            index += 1
            if single_side and side == -1:
                continue
            episodes.append(episode)
            collected += len(episode["rewards"])
            bar.update(len(episode["rewards"]) if target is not None else 1)
    uniform = np.random.default_rng([seed, 1])
    random_returns = [
        _run_episode(env, lambda _: uniform.uniform(-1, 1, 1), seed=seed + i)[0]["rewards"].sum()
        for i in range(REF_EPISODES)
    ]
    expert_return = _run_episode(env, lambda _: [1.0], seed=seed)[0]["rewards"].sum()
    config = {
        "episodes": EPISODES if transitions is None else None,
        "transitions": transitions,
        "single_side": single_side,
        "switch_probability": SWITCH_PROBABILITY,
        "throttle": [THROTTLE_MEAN, THROTTLE_STD],
    }
    return write_minari_dataset(
        dataset_id,
        episodes,
        env,
        ref_min_score=float(np.mean(random_returns)),
        ref_max_score=float(expert_return),
        algorithm_name="bidirectional-car-behaviour",
        metadata={"generator": "car", "config": config, "seed": seed},
    )
