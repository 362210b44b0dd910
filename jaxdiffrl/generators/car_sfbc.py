"""The SfBC reference code's Bidirectional-Car dataset (``jaxdiffrl/BidirectionalCarSfBC-v0``).

Four behaviour schemes, each run until it has collected a quarter of the data (the reference:
a little over 250 000 transitions each, ≈ 1M in all), in this order:

1. ``steady``: per episode a side s = ±1 (½ each); a = 0.95·s + U(−0.05, 0.05).
   Starts x₀ = c + U(−1, 1), c ∼ U(−5, 5).
2. ``uniform``: a ∼ U(−1, 1) at every step. c ∼ U(−5, 5).
3. ``sticky``: a = d·U(0.7, 1), the direction d flipping with probability 0.1 per step and
   carried over from one episode to the next. c ∼ U(−2.5, 2.5).
4. ``random-walk``: a ← clip(a + N(0, 0.5²), −1, 1), also carried across episodes.
   c ∼ U(−9, 9).

The reference steps one car at a time; here each scheme steps ``lanes`` cars at once, every lane
running its episodes back to back (so the sticky / random-walk action chains carry across a
lane's episodes as in the reference's single chain; each lane's chain starts from a burnt-in,
stationary state). A scheme's episodes are taken in order of their start step until its quota
is met (at an episode end); only episodes that started early enough to have surely finished are
candidates, so none is cut short and long episodes are not under-represented.

``single_side`` drops every episode that arrives at the negative end (x < −10); the quota then
counts the kept transitions. Reference scores: a uniform-random policy (min) and full throttle
toward the nearer end (max), over ``REF_EPISODES`` seeded episodes of the registered env.
"""

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

import jaxdiffrl.envs  # noqa: F401  (registers jaxdiffrl/BidirectionalCarSfBC-v0)
from jaxdiffrl.data.minari_writer import write_minari_dataset
from jaxdiffrl.envs.bidirectional_car_sfbc import START_SPREAD, TIME_LIMIT, car_step

ENV_ID = "jaxdiffrl/BidirectionalCarSfBC-v0"
SCHEMES = ("steady", "uniform", "sticky", "random-walk")
# Half-width of the start-centre distribution c ∼ U(−w, w) each scheme resets with.
START_CENTRE = {"steady": 5.0, "uniform": 5.0, "sticky": 2.5, "random-walk": 9.0}
REFERENCE_STEPS_PER_SCHEME = 250_000  # the reference stops a scheme at the first end past this
STEADY_THROTTLE, STEADY_JITTER = 0.95, 0.05
STICKY_SWITCH, STICKY_MAGNITUDE = 0.1, (0.7, 1.0)
WALK_STD = 0.5
BURN_IN = 200  # steps of the action chain before a lane starts (random-walk)
REF_EPISODES = 100


class _Lanes:
    """``n`` cars driven by one scheme; ``act`` gives the next actions, ``restart`` new episodes."""

    def __init__(self, scheme: str, n: int, rng: np.random.Generator):
        self.scheme, self.n, self.rng = scheme, n, rng
        self.x, self.v = np.zeros(n), np.zeros(n)
        self.t = np.zeros(n, np.int64)
        self.side = np.ones(n)  # steady: this episode's side; sticky: the current direction
        self.throttle = np.zeros(n)  # random-walk: the previous action
        if scheme == "sticky":  # the direction chain's stationary law is ±1 alike
            self.side = rng.choice([-1.0, 1.0], n)
        elif scheme == "random-walk":
            for _ in range(BURN_IN):
                self.throttle = self._walk(self.throttle)
        self.restart(np.ones(n, bool))

    def _walk(self, previous: np.ndarray) -> np.ndarray:
        return np.clip(previous + self.rng.normal(0.0, WALK_STD, previous.shape), -1.0, 1.0)

    def restart(self, mask: np.ndarray) -> None:
        k = int(mask.sum())
        if k == 0:
            return
        half = START_CENTRE[self.scheme]
        centre = self.rng.uniform(-half, half, k)
        self.x[mask] = centre + self.rng.uniform(-START_SPREAD, START_SPREAD, k)
        self.v[mask] = 0.0
        self.t[mask] = 0
        if self.scheme == "steady":
            self.side[mask] = self.rng.choice([-1.0, 1.0], k)

    def act(self) -> np.ndarray:
        n, rng = self.n, self.rng
        if self.scheme == "steady":
            return self.side * STEADY_THROTTLE + rng.uniform(-STEADY_JITTER, STEADY_JITTER, n)
        if self.scheme == "uniform":
            return rng.uniform(-1.0, 1.0, n)
        if self.scheme == "sticky":
            self.side = np.where(rng.random(n) < STICKY_SWITCH, -self.side, self.side)
            return self.side * rng.uniform(*STICKY_MAGNITUDE, n)
        self.throttle = self._walk(self.throttle)
        return self.throttle


def _run_scheme(
    scheme: str, quota: int, rng: np.random.Generator, single_side: bool
) -> list[dict[str, np.ndarray]]:
    """Episodes of one scheme, in start order, until ``quota`` (kept) transitions are collected."""
    lanes = int(np.clip(quota // 256, 8, 1024))
    cars = _Lanes(scheme, lanes, rng)
    columns = {k: [] for k in ("x", "v", "a", "x1", "v1", "arrived", "truncated")}
    steps, chunk = 0, -(-quota // lanes) + TIME_LIMIT
    while True:
        for _ in range(chunk):
            a = cars.act()
            x1, v1, arrived = car_step(cars.x, cars.v, a)
            cars.t += 1
            truncated = cars.t >= TIME_LIMIT
            for key, value in zip(columns, (cars.x, cars.v, a, x1, v1, arrived, truncated), strict=True):
                columns[key].append(np.array(value))
            cars.x, cars.v = x1, v1
            cars.restart(arrived | truncated)
        steps += chunk
        # Lane-major flat arrays: lane b's steps are flat[b·steps : (b+1)·steps].
        flat = {k: np.stack(v, axis=1).reshape(-1) for k, v in columns.items()}
        ends = np.flatnonzero(flat["arrived"] | flat["truncated"])
        lane = ends // steps
        first = np.r_[True, lane[1:] != lane[:-1]]
        starts = np.where(first, lane * steps, np.r_[0, ends[:-1] + 1])
        start_step = starts - lane * steps
        side = np.where(flat["arrived"][ends], np.sign(flat["x1"][ends]), 0.0)
        # Episodes that started at step ≤ steps − TIME_LIMIT have surely ended.
        candidate = start_step <= steps - TIME_LIMIT
        if single_side:
            candidate &= side != -1
        order = np.flatnonzero(candidate)
        order = order[np.lexsort((lane[order], start_step[order]))]
        lengths = np.cumsum(ends[order] - starts[order] + 1)
        if len(lengths) and lengths[-1] >= quota:
            break
        missing = quota - (lengths[-1] if len(lengths) else 0)
        chunk = 2 * -(-missing // lanes) + 10
    chosen = order[: int(np.searchsorted(lengths, quota)) + 1]
    observations = np.stack([flat["x"], flat["v"]], axis=1).astype(np.float32)
    final = np.stack([flat["x1"], flat["v1"]], axis=1).astype(np.float32)
    episodes = []
    for i in chosen:
        span = slice(starts[i], ends[i] + 1)
        episodes.append(
            {
                "observations": np.concatenate([observations[span], final[ends[i] : ends[i] + 1]]),
                "actions": flat["a"][span].astype(np.float32)[:, None],
                "rewards": flat["arrived"][span].astype(np.float64),
                "terminations": flat["arrived"][span].copy(),
                "truncations": flat["truncated"][span].copy(),
            }
        )
    return episodes


def sample_car_sfbc(
    transitions: int | None = None,
    *,
    seed: int = 0,
    single_side: bool = False,
    progress: bool = False,
    desc: str = "bidirectional-car-sfbc",
) -> tuple[list[dict[str, np.ndarray]], dict[str, list[int]]]:
    """The episodes (scheme by scheme, in ``SCHEMES`` order) and per-scheme episode / transition
    counts. ``transitions`` None: the reference size (each scheme past 250 000 transitions)."""
    if transitions is None:
        quotas = [REFERENCE_STEPS_PER_SCHEME + 1] * len(SCHEMES)
    else:
        share, extra = divmod(int(transitions), len(SCHEMES))
        quotas = [max(1, share + (i < extra)) for i in range(len(SCHEMES))]
    rng = np.random.default_rng(seed)
    episodes, counts = [], {"scheme_episodes": [], "scheme_transitions": []}
    with tqdm(total=sum(quotas), disable=not progress, desc=desc) as bar:
        for scheme, quota in zip(SCHEMES, quotas, strict=True):
            batch = _run_scheme(scheme, quota, rng, single_side)
            size = sum(len(e["rewards"]) for e in batch)
            episodes += batch
            counts["scheme_episodes"].append(len(batch))
            counts["scheme_transitions"].append(size)
            bar.update(size)
    return episodes, counts


def _mean_return(env: gym.Env, policy, seeds) -> float:
    """Mean undiscounted return of ``policy(observation) -> action`` over one episode per seed."""
    returns = []
    for seed in seeds:
        observation, _ = env.reset(seed=int(seed))
        total, done = 0.0, False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(policy(observation))
            total, done = total + reward, terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def generate_car_sfbc(
    dataset_id: str,
    *,
    transitions: int | None = None,
    seed: int = 0,
    progress: bool = True,
    single_side: bool = False,
) -> str:
    """Writes the dataset; ``transitions`` None means the reference size (≈ 1M), else stop once
    that many transitions are collected (at episode ends; a quarter per scheme)."""
    episodes, counts = sample_car_sfbc(
        transitions, seed=seed, single_side=single_side, progress=progress, desc=dataset_id
    )
    env = gym.make(ENV_ID)
    uniform = np.random.default_rng([seed, 1])
    seeds = range(seed, seed + REF_EPISODES)
    random_score = _mean_return(env, lambda _: uniform.uniform(-1.0, 1.0, 1).astype(np.float32), seeds)
    nearer_end = lambda obs: np.array([1.0 if obs[0] >= 0 else -1.0], np.float32)
    expert_score = _mean_return(env, nearer_end, seeds)
    config = {
        "transitions": transitions,
        "single_side": single_side,
        "schemes": list(SCHEMES),
        "reference_steps_per_scheme": REFERENCE_STEPS_PER_SCHEME,
        "start_centre_half_width": START_CENTRE,
        "steady": {"throttle": STEADY_THROTTLE, "jitter": STEADY_JITTER},
        "sticky": {"switch_probability": STICKY_SWITCH, "magnitude": list(STICKY_MAGNITUDE)},
        "random_walk": {"std": WALK_STD, "burn_in": BURN_IN},
        "ref_episodes": REF_EPISODES,
    }
    return write_minari_dataset(
        dataset_id,
        episodes,
        env,
        ref_min_score=random_score,
        ref_max_score=expert_score,
        algorithm_name="bidirectional-car-sfbc-behaviour",
        metadata={"generator": "car-sfbc", "config": config, "seed": seed, **counts},
    )
