"""jaxdiffrl: diffusion-based offline reinforcement learning in JAX/Flax."""

__version__ = "0.1.0"
