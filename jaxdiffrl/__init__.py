"""jaxdiffrl: diffusion-based offline reinforcement learning in JAX/Flax."""

__version__ = "0.1.0"

# Printed by gymnasium-robotics on import (to stderr, from farama-notifications, not as a warning),
# so on every command that makes a maze or Adroit env.
ADROIT_NOTICE = "AdroitHandDoorDense-v1 environment's reward functions were updated in v1.2.1"


def _drop_adroit_notice() -> None:
    """Drops that one notice, matched by its text, before anything imports gymnasium-robotics;
    every other farama notification still prints."""
    try:
        from farama_notifications import notifications
    except ImportError:
        return
    robotics = notifications.get("gymnasium_robotics", {})
    for version, message in list(robotics.items()):
        if ADROIT_NOTICE in message:
            del robotics[version]


_drop_adroit_notice()
