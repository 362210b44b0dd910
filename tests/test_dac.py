"""DAC: the soft Q-guidance loss's minimiser on a fixed quadratic Q, the LCB target on a hand-built
ensemble, and a smoke run of the launch script that also checks the dual ascent on η."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.agents.dac import (
    EPS,
    lower_confidence_bound,
    normalised_q_gradient,
    soft_q_guidance_loss,
)
from jaxdiffrl.diffusion import make_schedule

ROOT = Path(__file__).resolve().parents[1]

# Q_h(s, a) = offset_h − k_h ‖a − c_h‖², three heads, actions in R².
CURVATURES = np.array([1.0, 2.0, 0.5])
CENTRES = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.0]])
OFFSETS = np.array([4.0, 3.0, 5.0])


def quadratic_q(observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
    """(H, B) values of the fixed quadratic ensemble (the state is ignored)."""
    squared = jnp.sum((actions[None] - CENTRES[:, None]) ** 2, axis=-1)
    return OFFSETS[:, None] - CURVATURES[:, None] * squared


def test_soft_q_guidance_minimiser_is_eps_minus_scaled_gradient_over_2eta():
    rng = np.random.default_rng(0)
    batch, eta = 16, 0.7
    observations = jnp.zeros((batch, 1))
    data_actions = jnp.asarray(rng.uniform(-1, 1, (batch, 2)), jnp.float32)
    noise = jnp.asarray(rng.standard_normal((batch, 2)), jnp.float32)
    schedule = make_schedule("vp", 5)
    index = jnp.asarray(rng.integers(0, 5, batch))
    alpha_bar = schedule.alpha_bars[index][:, None]
    noisy = jnp.sqrt(alpha_bar) * data_actions + jnp.sqrt(1 - alpha_bar) * noise
    noise_level = jnp.sqrt(1 - alpha_bar)

    guidance = jax.jit(normalised_q_gradient, static_argnums=0)(
        quadratic_q, observations, noisy, data_actions
    )
    # By hand: ∇ mean_h Q_h = −2 mean_h k_h (x − c_h); C = mean over heads and batch of |Q_h(s, a)|.
    x = np.asarray(noisy, np.float64)
    by_hand = -2 * np.mean(CURVATURES[:, None, None] * (x[None] - CENTRES[:, None]), axis=0)
    scale = np.abs(np.asarray(quadratic_q(observations, data_actions))).mean() + EPS
    np.testing.assert_allclose(guidance, by_hand / scale, rtol=1e-5, atol=1e-6)

    # L_A is quadratic in ε_θ: one Newton step from 0 lands on its exact minimiser.
    def total_loss(eps_pred):
        return soft_q_guidance_loss(eps_pred, noise, guidance, noise_level, eta)[0].sum()

    @jax.jit
    def newton_from_zero():
        zeros = jnp.zeros_like(noise)
        hessian = jax.hessian(total_loss)(zeros).reshape(2 * batch, 2 * batch)
        return -jnp.linalg.solve(hessian, jax.grad(total_loss)(zeros).ravel()).reshape(batch, 2)

    minimiser = newton_from_zero()
    closed_form = noise - noise_level * guidance / (2 * eta)
    np.testing.assert_allclose(minimiser, closed_form, rtol=1e-4, atol=1e-5)
    slides_form = noise - noise_level * guidance / eta  # eq. (15)'s 1/η: the same family at η/2
    assert float(jnp.abs(minimiser - slides_form).max()) > 1e-2
    bc = soft_q_guidance_loss(closed_form, noise, guidance, noise_level, eta)[1]
    np.testing.assert_allclose(bc, jnp.mean((closed_form - noise) ** 2, axis=-1), rtol=1e-6)


def test_lower_confidence_bound_on_a_hand_built_ensemble():
    # 3 heads × 2 states × 2 sampled next actions.
    values = jnp.array(
        [
            [[1.0, 3.0], [0.0, 4.0]],
            [[2.0, 2.0], [2.0, 6.0]],
            [[6.0, 0.0], [1.0, 1.0]],
        ]
    )
    # Means over samples: state 0 → (2, 2, 3), state 1 → (2, 4, 1).
    # mean 7/3, population std √(2/9); mean 7/3, std √(14/9).
    expected = np.array([7 / 3 - 1.5 * np.sqrt(2 / 9), 7 / 3 - 1.5 * np.sqrt(14 / 9)])
    np.testing.assert_allclose(lower_confidence_bound(values, 1.5, False), expected, rtol=1e-6)
    # Max over samples (antmaze): state 0 → (3, 2, 6), state 1 → (4, 6, 1).
    maxed = np.array([11 / 3 - np.std([3, 2, 6]), 11 / 3 - np.std([4, 6, 1])])
    np.testing.assert_allclose(lower_confidence_bound(values, 1.0, True), maxed, rtol=1e-6)
    np.testing.assert_allclose(lower_confidence_bound(values, 0.0, False), [7 / 3, 7 / 3], rtol=1e-6)


def test_launch_script_smoke_with_dual_ascent(tmp_path):
    """Two runs swept over the BC threshold b: with b far above L_bc every update lowers η by λ_η
    (the step is clipped to ±1), far below it raises η by λ_η; the logged η is the mean over the last
    10 of the 20 updates, 1 ∓ λ_η·15.5."""
    workdir = tmp_path / "run"
    # The session's Minari folder (conftest): the bandit is generated once per worker, not per test.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "JAX_PLATFORMS": "cpu"}
    command = [
        sys.executable,
        str(ROOT / "launch" / "train_dac.py"),
        f"--config={ROOT}/configs/dac/toy.py:bandit-dql-4mode",
        "--config.max_steps=20",
        "--config.log_interval=10",
        "--config.eval_interval=20",
        "--config.checkpoint_interval=20",
        "--config.eval_episodes=4",
        "--config.batch_size=16",
        "--config.agent.diffusion.num_steps=3",
        "--config.agent.diffusion.hidden_dims=(8,8)",
        "--config.agent.critic_hidden_dims=(8,8)",
        "--config.agent.num_qs=3",
        "--config.agent.target_samples=2",
        "--config.agent.hparams.eta=1.0",
        "--config.agent.hparams.eta_lr=0.01",
        "--sweep=bc_threshold=100,-100",
        f"--workdir={workdir}",
        "--progress=false",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((workdir / "results.json").read_text())
    assert [r["hparams"]["bc_threshold"] for r in results["runs"]] == [100.0, -100.0]
    for run in results["runs"]:
        assert np.isfinite(run["normalized_score"]) and np.isfinite(run["final_metrics"]["critic/loss"])
    etas = [r["final_metrics"]["actor/eta"] for r in results["runs"]]
    np.testing.assert_allclose(etas, [1 - 0.155, 1 + 0.155], rtol=1e-5)
