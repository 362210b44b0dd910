"""IDQL's generalised IQL value objectives f(u), u = Q(s, a) − V(s), and their implicit actors.

Minimising E[f(Q − V)] over V gives a statistic of the action-value distribution:
- expectile |τ − 1(u<0)| u²   → the τ-expectile;
- quantile  |τ − 1(u<0)| |u|  → the τ-quantile;
- exponential exp(α u) − α u → (1/α) log E[exp(α Q)], the soft value. (IDQL's main text writes
  the linex as α exp(u) − α u, whose minimiser does not depend on α; its Appendix C.1 derives
  the stated soft value from exp(α u) − α u, which is what we implement.) Its gradient in u,
  α(exp(α u) − 1), explodes for large advantages, so the weight exp(α u) is capped at
  ``EXPONENTIAL_WEIGHT_CAP`` (6, as IDQL's code) in the gradient only: the loss reports the linex
  value, while its gradient is α(min(exp(α u), 6) − 1) — never zero for u > 0, however large u
  is. (IDQL's code differentiates (sg(min(exp(α u), 6)) − 1)·u, the same direction without the
  factor α; see docs/algorithms.md.)
Theorem 4.1 of IDQL: each induces the implicit policy π_imp(a|s) ∝ μ(a|s) w(s, a) with the weights
below, used by IDQL's importance-resampled extraction.
"""

import jax
import jax.numpy as jnp

VALUE_LOSSES = ("expectile", "quantile", "exponential")
EXPONENT_CLIP = 10.0  # keeps exp(α u) finite in reported values and implicit-actor weights
EXPONENTIAL_WEIGHT_CAP = 6.0  # the most exp(α u) weighs in the exponential loss's gradient


def expectile_loss(u: jnp.ndarray, tau: jnp.ndarray) -> jnp.ndarray:
    return jnp.abs(tau - (u < 0).astype(u.dtype)) * u**2


def quantile_loss(u: jnp.ndarray, tau: jnp.ndarray) -> jnp.ndarray:
    return jnp.abs(tau - (u < 0).astype(u.dtype)) * jnp.abs(u)


def exponential_loss(u: jnp.ndarray, alpha: jnp.ndarray, cap: float = EXPONENTIAL_WEIGHT_CAP) -> jnp.ndarray:
    """Per-sample exp(α u) − α u (α u clipped to ±EXPONENT_CLIP for the value), whose gradient in u
    is α(min(exp(α u), cap) − 1): the linex's gradient with a capped weight. ``cap=inf`` is the
    plain linex gradient (its weight still bounded by exp(EXPONENT_CLIP), so it never vanishes);
    a finite cap moves the minimiser below the soft value whenever samples are capped."""
    z = jnp.clip(alpha * u, -EXPONENT_CLIP, EXPONENT_CLIP)
    value = jax.lax.stop_gradient(jnp.exp(z) - z)
    weight = jax.lax.stop_gradient(jnp.minimum(jnp.exp(z), cap))
    surrogate = alpha * (weight - 1.0) * u  # its gradient in u is the capped linex gradient
    return value + surrogate - jax.lax.stop_gradient(surrogate)


def capped_fraction(
    kind: str, u: jnp.ndarray, hparams: dict, cap: float = EXPONENTIAL_WEIGHT_CAP
) -> jnp.ndarray:
    """The fraction of samples whose exponential-loss weight is capped (0 for the other losses)."""
    if kind != "exponential":
        return jnp.zeros(())
    return jnp.mean(
        (jnp.exp(jnp.clip(hparams["alpha_exp"] * u, -EXPONENT_CLIP, EXPONENT_CLIP)) > cap).astype(jnp.float32)
    )


# The hparams key that holds each loss's level: τ of the expectile, τ of the quantile, α.
LEVEL_KEYS = {"expectile": "expectile", "quantile": "quantile", "exponential": "alpha_exp"}


def value_loss(
    kind: str, u: jnp.ndarray, hparams: dict, exponential_cap: float = EXPONENTIAL_WEIGHT_CAP
) -> jnp.ndarray:
    """Per-sample f(u) for ``kind`` at its level ``hparams[LEVEL_KEYS[kind]]``."""
    if kind == "expectile":
        return expectile_loss(u, hparams["expectile"])
    if kind == "quantile":
        return quantile_loss(u, hparams["quantile"])
    if kind == "exponential":
        return exponential_loss(u, hparams["alpha_exp"], exponential_cap)
    raise ValueError(f"Unknown value loss {kind!r}; choose one of {VALUE_LOSSES}.")


IMPLICIT_WEIGHT_FORMS = ("paper", "code")


def implicit_actor_weights(
    kind: str, q: jnp.ndarray, v: jnp.ndarray, hparams: dict, form: str = "paper"
) -> jnp.ndarray:
    """w(s, a) with π_imp ∝ μ·w. ``form="paper"`` (IDQL eqs. 9, 10, 12): expectile |τ − 1(Q<V)|;
    quantile |τ − 1(Q<V)|/|Q − V|; exponential α|exp(α(Q − V)) − 1|/|Q − V|. ``form="code"``
    (IDQL's reference code): the expectile-style |τ − 1(Q ≤ V)| for both τ-losses, and
    softmax(α(Q − V)) over the last axis (the candidates) for the exponential loss."""
    u = q - v
    if form == "code":
        if kind in ("expectile", "quantile"):
            level = hparams[LEVEL_KEYS[kind]]
            return jnp.where(u > 0, level, 1.0 - level)
        if kind == "exponential":
            return jax.nn.softmax(hparams["alpha_exp"] * u, axis=-1)
        raise ValueError(f"Unknown value loss {kind!r}; choose one of {VALUE_LOSSES}.")
    if form != "paper":
        raise ValueError(
            f"Unknown implicit-actor weight form {form!r}; choose one of {IMPLICIT_WEIGHT_FORMS}."
        )
    below = (u < 0).astype(u.dtype)
    safe = jnp.maximum(jnp.abs(u), 1e-6)
    if kind == "expectile":
        return jnp.abs(hparams["expectile"] - below)
    if kind == "quantile":
        return jnp.abs(hparams["quantile"] - below) / safe
    if kind == "exponential":
        alpha = hparams["alpha_exp"]
        z = jnp.clip(alpha * u, -EXPONENT_CLIP, EXPONENT_CLIP)
        return jnp.where(jnp.abs(u) < 1e-6, alpha**2, alpha * jnp.abs(jnp.expm1(z)) / safe)  # → α² at u = 0
    raise ValueError(f"Unknown value loss {kind!r}; choose one of {VALUE_LOSSES}.")
