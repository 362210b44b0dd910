"""Network building blocks: shapes, dropout switching, ensembles, Gaussian log-densities.

Compilation dominates on CPU, so each test jits one program that builds and applies its modules.
"""

import functools

import flax.errors
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.networks import MLP, DiffusionActorNet, Ensemble, GaussianPolicy, MLPResNet, StateActionValue
from jaxdiffrl.networks.policies import DiagonalGaussian

X = jnp.asarray(np.random.default_rng(0).standard_normal((5, 4)), jnp.float32)
KEY = jax.random.PRNGKey(0)


def test_mlp_shapes_and_final_activation():
    linear_last, activated = MLP((16, 16, 3)), MLP((16, 3), activate_final=True)

    @jax.jit
    def program(key):
        params = linear_last.init(key, X)
        return params, linear_last.apply(params, X), activated.apply(activated.init(key, X), X)

    params, out, out_activated = program(KEY)
    kernels = [
        leaf.shape for path, leaf in jax.tree_util.tree_leaves_with_path(params) if "kernel" in str(path)
    ]
    assert kernels == [(4, 16), (16, 16), (16, 3)]
    assert out.shape == (5, 3) and out_activated.shape == (5, 3)
    assert float(out.min()) < 0, "the last layer must be linear unless activate_final"
    assert float(out_activated.min()) >= 0, "activate_final must apply the ReLU to the output"


@pytest.mark.parametrize(
    "module",
    [MLP((32, 32, 3), dropout_rate=0.5), MLPResNet(num_blocks=2, out_dim=3, width=8, dropout_rate=0.5)],
    ids=["mlp", "resnet"],
)
def test_dropout_only_with_training_and_a_dropout_rng(module):
    @jax.jit
    def program(key):
        params = module.init(key, X)
        return {
            "default": module.apply(params, X),
            "eval": module.apply(params, X, False),
            "eval_with_rng": module.apply(params, X, False, rngs={"dropout": jax.random.PRNGKey(1)}),
            "train_1": module.apply(params, X, True, rngs={"dropout": jax.random.PRNGKey(1)}),
            "train_2": module.apply(params, X, True, rngs={"dropout": jax.random.PRNGKey(2)}),
        }

    out = program(KEY)
    assert out["eval"].shape == (5, 3)
    np.testing.assert_array_equal(out["default"], out["eval"], "training must default to False")
    np.testing.assert_array_equal(out["eval"], out["eval_with_rng"], "eval mode must ignore a dropout rng")
    assert not np.allclose(out["train_1"], out["eval"]), "dropout had no effect in training mode"
    assert not np.allclose(out["train_1"], out["train_2"]), "different dropout keys gave the same output"
    with pytest.raises(flax.errors.InvalidRngError):
        jax.eval_shape(lambda: module.apply(module.init(KEY, X), X, True))


def test_ensemble_members_differ():
    ensemble = Ensemble(functools.partial(StateActionValue, (16, 16)), num=3)
    actions = jnp.ones((5, 2))

    @jax.jit
    def program(key):
        params = ensemble.init(key, X, actions)
        return params, ensemble.apply(params, X, actions)

    params, q = program(KEY)
    assert all(leaf.shape[0] == 3 for leaf in jax.tree.leaves(params)), "params need a leading member axis"
    q = np.asarray(q)
    assert q.shape == (3, 5)
    for i in range(3):
        for j in range(i):
            assert not np.allclose(q[i], q[j]), f"ensemble members {i} and {j} are identical"


def test_diagonal_gaussian_log_prob_is_the_normal_density():
    rng = np.random.default_rng(1)
    mean, log_std = rng.standard_normal((6, 3)), rng.uniform(-1.5, 0.5, (6, 3))
    actions = rng.standard_normal((6, 3))

    @jax.jit
    def program(mean, log_std, actions):
        dist = DiagonalGaussian(mean, log_std)
        sample, log_prob = dist.sample_and_log_prob(KEY)
        return dist.log_prob(actions), log_prob, dist.log_prob(sample), dist.mode()

    log_prob_actions, log_prob, log_prob_again, mode = program(
        *(jnp.asarray(v, jnp.float32) for v in (mean, log_std, actions))
    )
    std = np.exp(log_std)
    expected = np.sum(-0.5 * ((actions - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi)), axis=-1)
    np.testing.assert_allclose(log_prob_actions, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(log_prob, log_prob_again, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mode, mean, rtol=1e-6)


def test_tanh_gaussian_sample_log_prob_matches_log_prob():
    rng = np.random.default_rng(2)
    mean = jnp.asarray(rng.uniform(-0.8, 0.8, (256, 2)), jnp.float32)
    log_std = jnp.asarray(rng.uniform(-1.5, -0.5, (256, 2)), jnp.float32)
    # A 1-D squashed density, N(0.3, e^−1.4) through tanh, on a fine grid of (−1, 1).
    grid = np.linspace(-1 + 1e-6, 1 - 1e-6, 200_001)

    @jax.jit
    def program(mean, log_std, grid):
        dist = DiagonalGaussian(mean, log_std, tanh_squash=True)
        actions, log_prob = dist.sample_and_log_prob(jax.random.PRNGKey(3))
        one_d = DiagonalGaussian(jnp.full_like(grid, 0.3), jnp.full_like(grid, -0.7), tanh_squash=True)
        return actions, log_prob, dist.log_prob(actions), dist.mode(), one_d.log_prob(grid)

    actions, log_prob, log_prob_again, mode, grid_log_prob = program(
        mean, log_std, jnp.asarray(grid[:, None], jnp.float32)
    )
    assert float(jnp.max(jnp.abs(actions))) < 1.0
    np.testing.assert_allclose(log_prob_again, log_prob, atol=1e-4, err_msg="squashed log-densities")
    np.testing.assert_allclose(mode, jnp.tanh(mean), rtol=1e-6)
    density = np.exp(np.asarray(grid_log_prob, np.float64))
    mass = float(np.sum(0.5 * (density[1:] + density[:-1]) * np.diff(grid)))
    assert mass == pytest.approx(1.0, abs=1e-3), "the squashed density must integrate to one over (−1, 1)"


def test_gaussian_policy_head():
    policy = GaussianPolicy((16, 16), action_dim=2)
    clipped = GaussianPolicy((16,), action_dim=2, state_dependent_std=True, log_std_max=-1.0)

    @jax.jit
    def program(key):
        params = policy.init(key, X)
        dist, hot = policy.apply(params, X), policy.apply(params, X, 2.0)
        clipped_dist = clipped.apply(clipped.init(key, X), X)
        return params, dist.mean, dist.log_std, hot.log_std, clipped_dist.log_std

    params, mean, log_std, hot_log_std, clipped_log_std = program(KEY)
    assert params["params"]["log_std"].shape == (2,), "IQL's actor learns one state-independent log-std"
    assert mean.shape == (5, 2) and log_std.shape == (5, 2)
    assert float(jnp.max(jnp.abs(mean))) < 1.0, "tanh_mean bounds the mean"
    np.testing.assert_allclose(hot_log_std, log_std + np.log(2.0), rtol=1e-6, err_msg="temperature 2")
    assert float(jnp.max(clipped_log_std)) <= -1.0, "log_std is clipped to its max"


@pytest.mark.parametrize(
    "trunk, time_embedding", [("mlp", "sinusoidal"), ("resnet", "fourier")], ids=["dql", "idql"]
)
def test_diffusion_actor_net_shapes(trunk, time_embedding):
    net = DiffusionActorNet(
        action_dim=2,
        trunk=trunk,
        hidden_dims=(16, 16),
        resnet_blocks=1,
        resnet_width=8,
        time_embedding=time_embedding,
    )
    x, t = jnp.zeros((5, 2)), jnp.arange(5)
    eps = jax.jit(lambda key: net.apply(net.init(key, x, t, X), x, t, X))(KEY)
    assert eps.shape == (5, 2)
    assert not np.allclose(eps[0], eps[4]), "the time index must change the prediction"
    with pytest.raises(ValueError, match="trunk"):
        jax.eval_shape(lambda: DiffusionActorNet(action_dim=2, trunk="transformer").init(KEY, x, t, X))


def test_group_norm_mlp_normalises_each_feature_vector_alone():
    """With a candidate axis (B, M, d), each row is normalised by itself: the output equals the
    row-by-row output (flax's GroupNorm would otherwise pool statistics over M as well)."""
    from jaxdiffrl.networks.mlp import MLP

    net = MLP((8, 8, 1), group_norm=4)
    x = jax.random.normal(jax.random.PRNGKey(0), (3, 5, 2)) * jnp.arange(1, 6)[None, :, None]
    params = net.init(jax.random.PRNGKey(1), x)
    rows = jax.vmap(jax.vmap(lambda v: net.apply(params, v[None])[0]))(x)
    np.testing.assert_allclose(net.apply(params, x), rows, rtol=1e-5, atol=1e-6)


def test_group_norm_equals_flax_group_norm_on_feature_vectors():
    import flax.linen as nn

    from jaxdiffrl.networks.mlp import GroupNorm

    x = jax.random.normal(jax.random.PRNGKey(0), (7, 64)) * 3 + 1
    ours = GroupNorm(16)
    params = ours.init(jax.random.PRNGKey(1), x)
    params = jax.tree.map(lambda p: p + jax.random.normal(jax.random.PRNGKey(2), p.shape), params)
    np.testing.assert_allclose(ours.apply(params, x), nn.GroupNorm(16).apply(params, x), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="do not split into 5 groups"):
        GroupNorm(5).init(jax.random.PRNGKey(1), x)
