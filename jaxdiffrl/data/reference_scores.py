"""D4RL reference returns (random = min, expert = max) for normalised scores, by environment.

Used when a dataset carries no reference scores of its own (Minari's ``mujoco/*-v0`` datasets
do not); the caller says so in the log.
"""

D4RL_REFERENCE_SCORES: dict[str, tuple[float, float]] = {
    "hopper": (-20.272305, 3234.3),
    "halfcheetah": (-280.178953, 12135.0),
    "walker2d": (1.629008, 4592.3),
    "ant": (-325.6, 3879.7),
    "antmaze": (0.0, 1.0),
    "pen": (96.262799, 3076.8331),
    "kitchen": (0.0, 4.0),
    "maze2d-umaze": (23.85, 161.86),
    "maze2d-medium": (13.13, 277.39),
    "maze2d-large": (6.7, 273.99),
}

# Minari / gymnasium environment families that share a D4RL table entry.
_FAMILY_BY_KEYWORD = {
    "hopper": "hopper",
    "halfcheetah": "halfcheetah",
    "walker2d": "walker2d",
    "antmaze": "antmaze",
    "pen": "pen",
    "kitchen": "kitchen",
    "ant": "ant",  # after "antmaze", which contains it
}


def d4rl_reference_scores(dataset_id: str) -> tuple[float, float] | None:
    """(min, max) for a dataset id such as ``mujoco/hopper/medium-v0``, or None if unknown."""
    lowered = dataset_id.lower()
    for keyword, family in _FAMILY_BY_KEYWORD.items():
        if keyword in lowered:
            return D4RL_REFERENCE_SCORES[family]
    return None
