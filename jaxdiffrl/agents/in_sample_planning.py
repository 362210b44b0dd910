"""SfBC's in-sample planning: returns along the dataset's own trajectories, improved by a value.

The dataset is one flat sequence of N transitions; ``ends[n]`` is True where a trajectory ends
(terminal, timeout or discontinuity — a timeout ends the return too, with no bootstrap). Every
recursion below runs as one reverse ``lax.scan`` over the N rows, the carry being R_{n+1}, reset
by ``ends``; no Python loop over transitions, and ``vmap`` adds runs.

- ``discounted_returns``: R⁽⁰⁾_n = r_n + γ (1 − end_n) R⁽⁰⁾_{n+1}, the Monte-Carlo return.
- ``planned_returns(form="paper")``: R_n = r_n + γ (1 − end_n) max(R_{n+1}, V_{n+1}) — the
  paper's recursion, where V_{n+1} = V(s_{n+1}) is the previous iteration's value of the next
  state of the trajectory: continue along the data, or stop there and collect the value.
- ``planned_returns(form="code")``: R_n = max(r_n + γ (1 − end_n) R_{n+1}, V_n) — the reference
  code's recursion, with the value of the current state (at a trajectory end max(r_n, V_n)).
- ``softmax_values``: V(s) = Σ_m softmax(α Q̂(s, a_m)) Q(s, a_m) over behaviour samples a_m,
  Q̂ the network's normalised output and Q = Q̂·std + mean in return units.

docs/algorithms.md §16 has the account.
"""

import jax
import jax.numpy as jnp

FORMS = ("paper", "code")


def discounted_returns(rewards: jnp.ndarray, ends: jnp.ndarray, discount: float) -> jnp.ndarray:
    """R⁽⁰⁾ (N,) from rewards (N,) and ends (N,) bool."""

    def step(next_return, inputs):
        reward, end = inputs
        value = reward + discount * (1.0 - end) * next_return
        return value, value

    _, returns = jax.lax.scan(
        step, jnp.zeros((), rewards.dtype), (rewards, ends.astype(rewards.dtype)), reverse=True
    )
    return returns


def planned_returns(
    rewards: jnp.ndarray, ends: jnp.ndarray, values: jnp.ndarray, discount: float, form: str = "paper"
) -> jnp.ndarray:
    """R (N,) from rewards (N,), ends (N,) bool and the previous iteration's V(s_n) (N,)."""
    ends = ends.astype(rewards.dtype)
    if form == "paper":
        next_values = jnp.concatenate([values[1:], jnp.zeros((1,), values.dtype)])

        def step(next_return, inputs):
            reward, end, next_value = inputs
            value = reward + discount * (1.0 - end) * jnp.maximum(next_return, next_value)
            return value, value

        inputs = (rewards, ends, next_values)
    elif form == "code":

        def step(next_return, inputs):
            reward, end, value_here = inputs
            value = jnp.maximum(reward + discount * (1.0 - end) * next_return, value_here)
            return value, value

        inputs = (rewards, ends, values)
    else:
        raise ValueError(f"Unknown agent.planning {form!r}; choose one of {FORMS}.")
    _, returns = jax.lax.scan(step, jnp.zeros((), rewards.dtype), inputs, reverse=True)
    return returns


def softmax_values(
    normalised_q: jnp.ndarray, mean: jnp.ndarray, std: jnp.ndarray, temperature: float
) -> jnp.ndarray:
    """V (…,) from Q̂ (…, M) of M behaviour samples per state: Σ_m softmax(α Q̂)_m (Q̂_m·std + mean)."""
    weights = jax.nn.softmax(temperature * normalised_q, axis=-1)
    return jnp.sum(weights * (normalised_q * std + mean), axis=-1)


def normalise_targets(
    returns: jnp.ndarray, min_std: float = 0.1
) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """((R − mean)/max(std, min_std), mean, max(std, min_std)), the statistics over all N rows."""
    mean = returns.mean()
    std = jnp.maximum(returns.std(), min_std)
    return (returns - mean) / std, mean, std
