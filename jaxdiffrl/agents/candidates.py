"""Acting by candidates: score N sampled actions per state with a critic, then pick one.

Used by every agent that acts through a sampler and a critic: IDQL (argmax, or implicit-actor
resampling), ACD-F (argmax), Diffusion-QL (softmax or argmax), DAC (argmax), SfBC (top-k mean).

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §9.5.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

RULES = ("argmax", "softmax", "resample", "topk_mean")


def candidate_values(
    q_fn: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray],
    observations: jnp.ndarray,
    candidates: jnp.ndarray,
) -> jnp.ndarray:
    """``q_fn`` of every candidate: observations (B, o), candidates (B, N, d) → (..., B, N).

    ``q_fn(observations, actions)`` sees (B, N, o) and (B, N, d) and may add leading axes (an
    ensemble's heads: (H, B, N)).
    """
    repeated = jnp.broadcast_to(observations[:, None, :], (*candidates.shape[:2], observations.shape[-1]))
    return q_fn(repeated, candidates)


def take(candidates: jnp.ndarray, index: jnp.ndarray) -> jnp.ndarray:
    """candidates (B, N, d), index (B,) → (B, d)."""
    return jnp.take_along_axis(candidates, index[:, None, None], axis=1)[:, 0]


def select(
    candidates: jnp.ndarray, scores: jnp.ndarray, rng: jax.Array, rule: str, *, k: int = 1
) -> jnp.ndarray:
    """One action per state from candidates (B, N, d) with scores (B, N):

    - ``argmax``: the highest-scored candidate (IDQL eq. 13, ACD-F's filter, DAC);
    - ``softmax``: one drawn with probabilities softmax(scores) (Diffusion-QL's acting rule);
    - ``resample``: one drawn with probabilities scores / Σ scores — scores are non-negative
      importance weights (IDQL's implicit actor);
    - ``topk_mean``: the unweighted mean of the ``k`` highest-scored candidates (SfBC).
    """
    if rule == "argmax":
        return take(candidates, jnp.argmax(scores, axis=-1))
    if rule == "softmax":
        return take(candidates, jax.random.categorical(rng, scores, axis=-1))
    if rule == "resample":
        return take(candidates, jax.random.categorical(rng, jnp.log(scores), axis=-1))
    if rule == "topk_mean":
        _, index = jax.lax.top_k(scores, k)
        return jnp.take_along_axis(candidates, index[..., None], axis=1).mean(axis=1)
    raise ValueError(f"Unknown candidate selection {rule!r}; choose one of {RULES}.")


def check_rule(rule: str, name: str) -> None:
    """A one-line error for a config's unknown selection rule, before anything is traced."""
    if rule not in RULES:
        raise ValueError(f"Unknown {name} {rule!r}; choose one of {RULES}.")
