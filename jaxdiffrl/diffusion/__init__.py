"""The one diffusion core shared by every agent: schedules, noising, losses, samplers."""

from jaxdiffrl.diffusion.ddpm import ddim_sample, ddpm_sample, epsilon_loss, q_sample
from jaxdiffrl.diffusion.guidance import classifier_free_guidance
from jaxdiffrl.diffusion.schedules import Schedule, make_schedule

__all__ = [
    "Schedule",
    "make_schedule",
    "q_sample",
    "epsilon_loss",
    "ddpm_sample",
    "ddim_sample",
    "classifier_free_guidance",
]
