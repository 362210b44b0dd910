"""SfBC's score network: its architecture's parameter count, shapes, the fixed time features, the
÷σ_t output, the noise-function helper and gradients through the continuous-time ε-loss.

Compiling ``init`` (a random draw per parameter shape) costs more on a CPU than everything else
here, so the tests fill the parameters with NumPy draws instead (``random_params``); ``init``'s
structure is checked with ``jax.eval_shape``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.diffusion.dpm_solver import dpm_solver_sample
from jaxdiffrl.diffusion.sde import VPSDE, epsilon_loss
from jaxdiffrl.diffusion.sfbc_score_net import SfBCScoreNet, sfbc_noise_fn

STATE_DIM, ACTION_DIM, BATCH = 5, 3, 8
MODEL = SfBCScoreNet(ACTION_DIM, widths=(32, 16, 8), condition_dim=16)  # the paper's shape, narrower
INPUTS = (jnp.zeros((BATCH, ACTION_DIM)), jnp.full((BATCH,), 0.5), jnp.zeros((BATCH, STATE_DIM)))


def random_params(model, seed):
    """Variables of ``model.init``'s structure filled with N(0, 0.3²) by NumPy (nothing to compile)."""
    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), *INPUTS)
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_map(lambda s: jnp.asarray(0.3 * rng.standard_normal(s.shape), s.dtype), shapes)


def dense_count(n_in, n_out):
    return n_in * n_out + n_out


def block_count(n_in, width, condition_dim=128):
    skip = dense_count(n_in, width) if n_in != width else 0
    return dense_count(n_in, width) + dense_count(condition_dim, width) + dense_count(width, width) + skip


def test_full_size_architecture_parameter_count():
    shapes = jax.eval_shape(SfBCScoreNet(ACTION_DIM).init, jax.random.PRNGKey(0), *INPUTS)
    assert set(shapes) == {"params"}  # the Fourier W is not a parameter
    count = sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(shapes["params"]))
    expected = (
        dense_count(32, 32)  # time features → 32
        + dense_count(STATE_DIM, 32)
        + dense_count(64, 128)
        + dense_count(128, 128)  # condition
        + block_count(ACTION_DIM, 512)
        + block_count(512, 256)
        + block_count(256, 128)  # down
        + block_count(128, 128)  # middle
        + block_count(256, 256)
        + block_count(512, 512)  # up
        + dense_count(1024, ACTION_DIM)  # head
    )
    assert count == expected


def test_fourier_weights_in_constants_when_not_seeded():
    shapes = jax.eval_shape(SfBCScoreNet(ACTION_DIM, fourier_seed=None).init, jax.random.PRNGKey(0), *INPUTS)
    assert set(shapes) == {"params", "constants"}
    assert shapes["constants"]["FourierFeatures_0"]["kernel"].shape == (1, 16)


def test_shapes_scalar_times_candidates_sigma_scaling_and_sampling():
    variables = random_params(MODEL, 0)
    x = jax.random.normal(jax.random.PRNGKey(1), (BATCH, ACTION_DIM))
    s = jax.random.normal(jax.random.PRNGKey(2), (BATCH, STATE_DIM))
    t = jnp.linspace(1e-3, 1.0, BATCH).at[3].set(0.3)
    x_T = jax.random.normal(jax.random.PRNGKey(3), (BATCH, 4, ACTION_DIM))

    @jax.jit
    def outputs(variables):
        score, captured = MODEL.apply(
            variables, x, t, s, capture_intermediates=True, mutable=["intermediates"]
        )
        head = captured["intermediates"]["head"]["__call__"][0]
        scalar = MODEL.apply(variables, x, 0.3, s)
        noise_fn = sfbc_noise_fn(MODEL, variables, s[:, None])  # states shared by 4 candidates each
        noise = noise_fn(jnp.broadcast_to(x[:, None], (BATCH, 4, ACTION_DIM)), 0.3)
        actions = dpm_solver_sample(noise_fn, x_T, MODEL.sde, steps=3, order=1)
        return score, head, scalar, noise, actions

    score, head, scalar, noise, actions = outputs(variables)
    assert score.shape == scalar.shape == (BATCH, ACTION_DIM)
    assert noise.shape == actions.shape == (BATCH, 4, ACTION_DIM) and bool(jnp.all(jnp.isfinite(actions)))
    np.testing.assert_allclose(score, head / VPSDE().sigma(t)[:, None], rtol=1e-5)  # output ÷ σ_t
    # A scalar time acts as a per-sample one (to float32 rounding of the 2π·t·W ~ 10² angles).
    np.testing.assert_allclose(scalar[3], score[3], rtol=1e-3, atol=1e-4)
    for candidate in range(4):
        np.testing.assert_allclose(noise[:, candidate], -VPSDE().sigma(0.3) * scalar, rtol=1e-5, atol=1e-6)


def test_epsilon_loss_gradients():
    params = random_params(MODEL, 0)["params"]
    x0 = jax.random.uniform(jax.random.PRNGKey(5), (BATCH, ACTION_DIM), minval=-1, maxval=1)
    s = jax.random.normal(jax.random.PRNGKey(6), (BATCH, STATE_DIM))

    @jax.jit
    def loss_and_grad(params):
        def loss(params):
            noise_fn = sfbc_noise_fn(MODEL, {"params": params}, s)
            return jnp.mean(epsilon_loss(noise_fn, MODEL.sde, x0, jax.random.PRNGKey(7)))

        return jax.value_and_grad(loss)(params)

    value, grads = loss_and_grad(params)
    assert np.isfinite(float(value))
    leaves = jax.tree_util.tree_leaves(grads)
    assert len(leaves) == len(jax.tree_util.tree_leaves(params))
    assert all(bool(jnp.all(jnp.isfinite(g))) and float(jnp.sum(jnp.abs(g))) > 0 for g in leaves)
