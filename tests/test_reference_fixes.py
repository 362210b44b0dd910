"""The fixes from the review against the papers and reference codes (docs/algorithms.md):
each test fails on the code before the fix."""

import glob
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents import diffusion_ql, idql
from jaxdiffrl.agents.diffusion_ql import backup_value
from jaxdiffrl.agents.idql import IDQLAgent
from jaxdiffrl.agents.value_losses import EXPONENTIAL_WEIGHT_CAP, value_loss
from jaxdiffrl.app.cli import CONFIGS_DIR, load_config
from jaxdiffrl.diffusion import ddpm_sample, make_schedule
from jaxdiffrl.train.config import base_config

HPARAMS = {"expectile": 0.7, "quantile": 0.6, "alpha_exp": 1.0}


def test_max_q_backup_takes_each_heads_max_then_the_min_over_heads():
    """Diffusion-QL's max-Q backup as CQL and the reference code do it: min_i max_j Q̄_i(s′, a′_j)."""
    qs = jnp.array([[[1.0, 5.0, 2.0]], [[4.0, 0.0, 3.0]]])  # heads 2, one state, samples 3
    assert diffusion_ql.default_config().max_q_order == "min_of_max"
    assert float(backup_value(qs, "min_of_max")[0]) == 4.0  # min(max(1,5,2), max(4,0,3))
    assert float(backup_value(qs, "max_of_min")[0]) == 2.0  # max(min(1,4), min(5,0), min(2,3))
    for path in glob.glob(os.path.join(CONFIGS_DIR, "diffusion_ql", "*.py")):
        assert load_config(path).agent.max_q_order == "min_of_max", path


def test_diffusion_ql_keeps_a_fixed_learning_rate():
    """The reference's --lr_decay ends at ≈ 0.999 of its start: in effect constant, as the paper's."""
    assert not diffusion_ql.default_config().lr_decay
    for domain in ("locomotion", "antmaze", "kitchen", "adroit", "maze"):
        config = load_config(os.path.join(CONFIGS_DIR, "diffusion_ql", f"{domain}.py"))
        assert not config.agent.lr_decay, domain
    dac = load_config(os.path.join(CONFIGS_DIR, "dac", "locomotion.py"))
    assert dac.agent.lr_decay and dac.max_steps == 2_000_000  # DAC's code decays over 2M steps


@pytest.mark.parametrize("u", [5.0, 20.0])
def test_exponential_value_loss_gradient_never_vanishes(u):
    """d/dV of the exponential loss at Q − V = u is −α(min(exp(αu), cap) − 1): never 0 for u > 0."""
    alpha = 1.0
    grad = jax.grad(lambda v: value_loss("exponential", jnp.array([u]) - v, HPARAMS).sum())(0.0)
    expected = -alpha * (min(np.exp(alpha * u), EXPONENTIAL_WEIGHT_CAP) - 1.0)
    assert float(grad) == pytest.approx(expected) and float(grad) < -1.0
    small = jax.grad(lambda v: value_loss("exponential", jnp.array([0.5]) - v, HPARAMS).sum())(0.0)
    assert float(small) == pytest.approx(-(np.exp(0.5) - 1.0), rel=1e-5)  # the linex gradient below the cap


def tiny_idql(max_steps: int = 10):
    agent = idql.default_config()
    agent.critic.hidden_dims = (8, 8)
    agent.diffusion.update(resnet_blocks=1, resnet_width=8, time_dim=8)
    agent.update(actor_batch_size=8, num_candidates=4)
    return base_config("idql", "bandit-idql", agent, max_steps=max_steps, batch_size=8)


def test_idql_acts_with_a_slow_ema_of_the_behaviour_model():
    config = tiny_idql()
    assert config.agent.act_with == "target" and config.agent.actor_tau == 0.001
    # create and update_actor jitted (op by op they take seconds); the EMA is checked outside
    create = jax.jit(lambda key: IDQLAgent.create(key, jnp.zeros((1, 1)), jnp.zeros((1, 1)), config, HPARAMS))
    agent = create(jax.random.PRNGKey(0))
    batch = {"observations": jnp.zeros((8, 1)), "actions": jnp.full((8, 1), 0.5)}
    updated, _ = jax.jit(IDQLAgent.update_actor)(agent, batch)
    expected = jax.tree.map(
        lambda new, old: 0.001 * new + 0.999 * old, updated.actor.params, agent.target_actor_params
    )
    for got, want in zip(
        jax.tree.leaves(updated.target_actor_params), jax.tree.leaves(expected), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    observations, key = jnp.zeros((3, 1)), jax.random.PRNGKey(5)
    candidates, _, _ = updated.sample_candidates(observations, key)
    from_target = updated.diffusion.sample_candidates(updated.target_actor_params, observations, key, 4)
    np.testing.assert_array_equal(candidates, from_target)
    online = updated.replace(act_with="online").sample_candidates(observations, key)[0]
    assert not np.allclose(online, candidates)


def test_idql_sampler_clips_the_iterate_not_the_predicted_x0():
    """IDQL's reference sampler: unclipped posterior mean, x_{t−1} clipped to ±1 after its noise."""
    diffusion = idql.idql_diffusion_config()
    assert (diffusion.clip_denoised, diffusion.clip_iterate, diffusion.variance) == (False, True, "beta")
    schedule = make_schedule("vp", 5)
    eps_fn = lambda x, t: -0.8 * x + 0.3  # noqa: E731  (pushes samples past the box)
    key, shape = jax.random.PRNGKey(3), (256, 2)
    got = ddpm_sample(eps_fn, schedule, key, shape, clip_denoised=False, clip_iterate=True, variance="beta")
    init_key, loop_key = jax.random.split(key)
    x = jax.random.normal(init_key, shape)
    for index, step_key in zip(range(4, -1, -1), jax.random.split(loop_key, 5), strict=True):
        beta, alpha, alpha_bar = schedule.betas[index], schedule.alphas[index], schedule.alpha_bars[index]
        x = (x - beta / jnp.sqrt(1 - alpha_bar) * eps_fn(x, index)) / jnp.sqrt(alpha)
        x = jnp.clip(x + (index > 0) * jnp.sqrt(beta) * jax.random.normal(step_key, shape), -1, 1)
    np.testing.assert_allclose(got, x, rtol=1e-5, atol=1e-6)
    x0_clipped = ddpm_sample(eps_fn, schedule, key, shape, clip_denoised=True, variance="beta")
    assert not np.allclose(got, x0_clipped)


def test_capped_exponential_settles_below_the_soft_value_and_reports_it():
    """With samples past the cap the fixed point of the capped gradient lies below the soft value
    (IDQL's code has the same shift); value/capped_fraction says how often the cap binds."""
    from jaxdiffrl.agents.value_losses import capped_fraction

    q = jnp.asarray(np.random.default_rng(0).normal(0.0, 1.5, 4000), jnp.float32)
    alpha = 1.0
    soft = float(jnp.log(jnp.mean(jnp.exp(alpha * q))) / alpha)
    grad = jax.grad(lambda v: jnp.mean(value_loss("exponential", q - v, HPARAMS)))
    assert float(grad(jnp.float32(soft))) > 0  # past its own fixed point already at the soft value
    assert 0.0 < float(capped_fraction("exponential", q - soft, HPARAMS)) < 1.0


def test_implicit_weights_in_idqls_code_form():
    """The reference code resamples with τ-weights for both τ-losses and softmax(α(Q − V)) for the
    exponential (``implicit_weights=code``); the paper's eqs. 9, 10, 12 stay the default."""
    from jaxdiffrl.agents.value_losses import implicit_actor_weights

    q, v = jnp.array([[1.0, 2.0, 0.5]]), jnp.array([[1.5]])  # u = −0.5, 0.5, −1
    levels = {"expectile": 0.7, "quantile": 0.8, "alpha_exp": 2.0}
    np.testing.assert_allclose(implicit_actor_weights("quantile", q, v, levels, "code"), [[0.2, 0.8, 0.2]])
    np.testing.assert_allclose(implicit_actor_weights("expectile", q, v, levels, "code"), [[0.3, 0.7, 0.3]])
    expected = np.exp([-1.0, 1.0, -2.0]) / np.exp([-1.0, 1.0, -2.0]).sum()
    np.testing.assert_allclose(
        implicit_actor_weights("exponential", q, v, levels, "code"), [expected], rtol=1e-6
    )
    assert idql.default_config().implicit_weights == "paper"
