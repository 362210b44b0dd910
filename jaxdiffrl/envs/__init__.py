"""Gymnasium environments of jaxdiffrl, registered on import.

Registration only records entry-point strings, so importing this package does
not import MuJoCo or gymnasium-robotics.
"""

import gymnasium

# id suffix -> (Maze2DEnv maze name, D4RL maze2d episode length)
_MAZE2D = {"UMaze": ("umaze", 300), "Medium": ("medium", 600), "Large": ("large", 800)}
# toy bandit name -> env id (one-step episodes)
BANDIT_ENV_IDS = {
    "bandit-dql-4mode": "jaxdiffrl/Bandit-DQL-4Mode-v0",
    "bandit-dql-corners": "jaxdiffrl/Bandit-DQL-Corners-v0",
    "bandit-idql": "jaxdiffrl/Bandit-IDQL-v0",
}


def _register() -> None:
    """Register the Maze2D, bandit and Bidirectional-Car ids (ours and SfBC's), skipping registered ones."""
    for name, (maze, steps) in _MAZE2D.items():
        env_id = f"jaxdiffrl/Maze2D-{name}-v0"
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point="jaxdiffrl.envs.maze2d:Maze2DEnv",
                kwargs={"maze": maze},
                max_episode_steps=steps,
            )
    for name, env_id in BANDIT_ENV_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point="jaxdiffrl.envs.bandit:BanditEnv",
                kwargs={"name": name},
                max_episode_steps=1,
            )
    if "jaxdiffrl/BidirectionalCar-v0" not in gymnasium.registry:
        gymnasium.register(
            id="jaxdiffrl/BidirectionalCar-v0",
            entry_point="jaxdiffrl.envs.bidirectional_car:BidirectionalCarEnv",
            max_episode_steps=20,
        )
    if "jaxdiffrl/BidirectionalCarSfBC-v0" not in gymnasium.registry:
        gymnasium.register(  # the SfBC reference code's instance (time limit 100)
            id="jaxdiffrl/BidirectionalCarSfBC-v0",
            entry_point="jaxdiffrl.envs.bidirectional_car_sfbc:SfBCBidirectionalCarEnv",
            max_episode_steps=100,
        )


_register()
