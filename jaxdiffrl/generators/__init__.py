"""Local dataset generators, registered with the dataset registry on import.

They sit above the engine: the locomotion datasets train SAC behaviour policies with
``jaxdiffrl.train.online_training``. Each generator module is imported only when a dataset of its
kind is written, so importing this package loads no simulator.
"""

from jaxdiffrl.data.registry import register_generator


def _generate_pointmaze(*args, **kwargs) -> str:
    from jaxdiffrl.generators.pointmaze import generate_pointmaze

    return generate_pointmaze(*args, **kwargs)


def _generate_car(*args, **kwargs) -> str:
    from jaxdiffrl.generators.car import generate_car

    return generate_car(*args, **kwargs)


def _generate_car_sfbc(*args, **kwargs) -> str:
    from jaxdiffrl.generators.car_sfbc import generate_car_sfbc

    return generate_car_sfbc(*args, **kwargs)


def _generate_bandit(*args, **kwargs) -> str:
    from jaxdiffrl.generators.bandit import generate_bandit

    return generate_bandit(*args, **kwargs)


def _generate_locomotion(*args, **kwargs) -> str:
    from jaxdiffrl.generators.locomotion import generate_locomotion

    return generate_locomotion(*args, **kwargs)


register_generator("pointmaze", _generate_pointmaze)
register_generator("car", _generate_car)
register_generator("car-sfbc", _generate_car_sfbc)
register_generator("bandit", _generate_bandit)
register_generator("locomotion", _generate_locomotion)
