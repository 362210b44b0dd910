"""Classifier-free guidance (Ho & Salimans): mix conditional and unconditional ε-predictions."""

import jax.numpy as jnp


def classifier_free_guidance(
    eps_conditional: jnp.ndarray, eps_unconditional: jnp.ndarray, guidance: float | jnp.ndarray
) -> jnp.ndarray:
    """ε^ω = (1 + ω)·ε(x, y) − ω·ε(x, ∅). ω = 0 is the conditional model, ω = −1 the unconditional."""
    return (1.0 + guidance) * eps_conditional - guidance * eps_unconditional
