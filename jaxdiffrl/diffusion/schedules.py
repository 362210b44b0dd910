"""Discrete-time noise schedules (β_1..β_T) and the quantities every sampler derives from them.

Index convention: arrays have length T and index ``i = t − 1`` holds diffusion step t. Networks
receive the zero-based index ``i`` as their time input.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np


class Schedule(NamedTuple):
    """β_t, α_t = 1 − β_t and ᾱ_t = Π α_s for t = 1..T (each of shape (T,))."""

    betas: jnp.ndarray
    alphas: jnp.ndarray
    alpha_bars: jnp.ndarray

    @property
    def num_steps(self) -> int:
        return self.betas.shape[0]

    @property
    def alpha_bars_prev(self) -> jnp.ndarray:
        """ᾱ_{t−1}, with ᾱ_0 = 1."""
        return jnp.concatenate([jnp.ones((1,), self.alpha_bars.dtype), self.alpha_bars[:-1]])


def vp_betas(num_steps: int, beta_min: float = 0.1, beta_max: float = 10.0) -> np.ndarray:
    """Discretised VP-SDE: β_t = 1 − exp(−β_min/T − ½(β_max − β_min)(2t − 1)/T²) (Diffusion-QL)."""
    t = np.arange(1, num_steps + 1, dtype=np.float64)
    T = float(num_steps)
    return 1.0 - np.exp(-beta_min / T - 0.5 * (beta_max - beta_min) * (2 * t - 1) / T**2)


def linear_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 2e-2) -> np.ndarray:
    """DDPM's linear schedule."""
    return np.linspace(beta_start, beta_end, num_steps, dtype=np.float64)


def cosine_betas(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Nichol & Dhariwal's cosine schedule, ᾱ(t) ∝ cos²((t/T + s)/(1 + s)·π/2)."""
    x = np.linspace(0, num_steps, num_steps + 1, dtype=np.float64)
    f = np.cos(((x / num_steps) + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bars = f / f[0]
    return np.clip(1 - alpha_bars[1:] / alpha_bars[:-1], 0.0, max_beta)


_BETAS = {"vp": vp_betas, "linear": linear_betas, "cosine": cosine_betas}


def make_schedule(kind: str, num_steps: int) -> Schedule:
    """Builds a schedule by name: ``vp`` (default of Diffusion-QL, IDQL, DAC), ``linear``, ``cosine``."""
    if kind not in _BETAS:
        raise ValueError(f"Unknown noise schedule {kind!r}; choose one of {sorted(_BETAS)}.")
    if num_steps < 1:
        raise ValueError(f"A schedule needs at least one step, got num_steps={num_steps}.")
    betas = _BETAS[kind](num_steps)
    alphas = 1.0 - betas
    alpha_bars = np.cumprod(alphas)
    return Schedule(*(jnp.asarray(v, jnp.float32) for v in (betas, alphas, alpha_bars)))
