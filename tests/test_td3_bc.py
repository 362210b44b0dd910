"""TD3+BC and the TD3 critic pieces: target smoothing, the twin-Q target and loss, λ = α/E|Q₁| with
a stop-gradient, the delayed actor / EMA schedule, observation standardisation of the dataset and
of the evaluation env alike, and the engine's seeds-together = seeds-alone equality."""

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax.training.train_state import TrainState

from jaxdiffrl.agents import AGENTS, td3_bc, td3_critic
from jaxdiffrl.agents.td3_bc import TD3BCAgent
from jaxdiffrl.data.conventions import apply_conventions, default_data_config
from jaxdiffrl.data.dataset import OfflineDataset
from jaxdiffrl.data.registry import GENERATED, prepare_dataset
from jaxdiffrl.envs.normalize import StandardizedObservation
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.engine import train
from jaxdiffrl.train.runs import make_runs


def test_smoothed_target_action_clips_noise_then_action():
    actions = jnp.array([[0.9, -0.9, 0.2, -0.2, 0.0, 0.7]])
    key = jax.random.PRNGKey(0)
    z = np.asarray(jax.random.normal(key, actions.shape))
    assert np.all(np.abs(z) > 1e-3), "σ = 1000 below must push every component past the clip"
    # σ = 1000: every noise component is clipped to ±0.5, then the sum to [−1, 1].
    noisy = np.asarray(actions) + 0.5 * np.sign(z)
    clipped = td3_critic.smoothed_target_action(actions, key, 1000.0, 0.5)
    np.testing.assert_allclose(clipped, np.clip(noisy, -1, 1), atol=1e-6)
    unclipped = td3_critic.smoothed_target_action(actions, key, 1000.0, 0.5, clip_action=False)
    np.testing.assert_allclose(unclipped, noisy, atol=1e-6)
    assert np.abs(unclipped).max() > 1.0, "the unclipped option leaves the box"
    # Small σ: the noise is σz unless it passes ±c.
    small = td3_critic.smoothed_target_action(actions, key, 0.2, 0.25)
    np.testing.assert_allclose(small, np.clip(actions + np.clip(0.2 * z, -0.25, 0.25), -1, 1), atol=1e-6)


def test_td_target_and_critic_loss_on_hand_values():
    rewards, masks = jnp.array([1.0, 0.5]), jnp.array([1.0, 0.0])
    next_qs = jnp.array([[2.0, 3.0], [4.0, 1.0]])  # heads × batch: min over heads = (2, 1)
    np.testing.assert_allclose(td3_critic.td_target(rewards, masks, next_qs, 0.99), [2.98, 0.5], rtol=1e-6)
    qs = jnp.array([[3.0, 0.5], [2.0, 1.5]])
    # head 0: errors (1, −0.5) → 0.625; head 1: (0, 0.5) → 0.125
    np.testing.assert_allclose(td3_critic.critic_loss(qs, jnp.array([2.0, 1.0])), 0.75, rtol=1e-6)


@pytest.mark.parametrize("reduction, bc_scale", [("sum", 1.0), ("mean", 0.5)])
def test_lambda_is_stop_gradiented_in_the_actor_gradient(reduction, bc_scale):
    """Linear π(s) = sW and Q₁(s, a) = a·c: ∂L/∂W = −λ/B Sᵀ1cᵀ + (2 bc_scale/B) Sᵀ(SW − A)."""
    rng = np.random.default_rng(0)
    S, A = rng.normal(size=(5, 3)), rng.uniform(-1, 1, (5, 2))
    W, c, alpha = rng.normal(size=(3, 2)), np.array([1.5, -0.7]), 2.5

    def loss(w, stop_gradient=True):
        policy_actions = jnp.asarray(S) @ w
        q = policy_actions @ jnp.asarray(c)
        if stop_gradient:
            return td3_bc.actor_loss(policy_actions, q, jnp.asarray(A), alpha, reduction)
        # The same loss with a differentiated normaliser: what the stop-gradient must prevent.
        lam = alpha / (jnp.abs(q).mean() + td3_bc.EPS)
        return -lam * q.mean() + bc_scale * jnp.square(policy_actions - A).sum(-1).mean(), {}

    grad, info = jax.grad(loss, has_aux=True)(jnp.asarray(W))
    q = S @ W @ c
    lam = alpha / (np.abs(q).mean() + td3_bc.EPS)
    B = len(S)
    expected = -lam / B * S.T @ np.ones((B, 1)) @ c[None] + 2 * bc_scale / B * S.T @ (S @ W - A)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(info["lambda"], lam, rtol=1e-6)
    np.testing.assert_allclose(info["bc_loss"], bc_scale * np.square(S @ W - A).sum(-1).mean(), rtol=1e-6)
    naive = jax.grad(lambda w: loss(w, stop_gradient=False)[0])(jnp.asarray(W))
    assert not np.allclose(naive, expected, rtol=1e-3), "the normaliser's gradient would have shown"


def tiny_agent_config(max_steps: int = 20, **data):
    agent = td3_bc.default_config()
    agent.actor_hidden_dims = agent.critic_hidden_dims = (16, 16)
    return base_config(
        "td3_bc",
        "bandit-idql",
        agent,
        default_data_config(**data),
        max_steps=max_steps,
        batch_size=32,
        log_interval=10,
        eval_interval=20,
        checkpoint_interval=20,
        eval_episodes=3,
    )


def changed(a, b) -> bool:
    return any(not np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True))


def test_actor_and_targets_move_only_on_every_policy_freq_th_update():
    config = tiny_agent_config()
    config.agent.policy_freq = 3
    rng = np.random.default_rng(0)
    obs, actions = jnp.asarray(rng.normal(size=(8, 3)), jnp.float32), jnp.asarray(rng.uniform(-1, 1, (8, 2)))
    batch = {
        "observations": obs,
        "actions": actions,
        "rewards": jnp.asarray(rng.normal(size=8), jnp.float32),
        "next_observations": obs[::-1],
        "masks": jnp.ones(8),
        "dones": jnp.zeros(8, bool),
    }
    agent = TD3BCAgent.create(
        jax.random.PRNGKey(0), obs[:1], actions[:1], config, {"alpha": jnp.float32(2.5)}
    )
    update = jax.jit(TD3BCAgent.update)
    for n in range(1, 7):  # the n-th update
        agent_before = agent
        agent, info = update(agent, batch)
        due = n % 3 == 0
        assert changed(agent_before.critic.params, agent.critic.params), "the critic learns every update"
        assert changed(agent_before.actor.params, agent.actor.params) == due, n
        assert changed(agent_before.actor.opt_state, agent.actor.opt_state) == due, n
        assert changed(agent_before.target_actor_params, agent.target_actor_params) == due, n
        assert changed(agent_before.target_critic_params, agent.target_critic_params) == due, n
        assert float(info["actor/updated"]) == float(due)
        assert int(agent.step) == n and int(agent.actor.step) == n // 3
    acted = agent.sample_actions(obs, jax.random.PRNGKey(1))
    assert acted.shape == actions.shape and float(jnp.abs(acted).max()) <= 1.0


def test_delayed_update_is_per_run_under_vmap():
    """Four vmapped runs at steps 0..3 with policy_freq 2: runs 1 and 3 update (their 2nd and 4th)."""
    tx = optax.sgd(1.0)
    actor = TrainState.create(apply_fn=None, params={"w": jnp.zeros(2)}, tx=tx)
    actors = jax.tree.map(lambda x: jnp.stack([x] * 4), actor)
    grads = {"w": -jnp.ones((4, 2))}
    targets = {"w": jnp.zeros((4, 2))}
    critic, target_critic = {"q": jnp.ones((4, 1))}, {"q": jnp.zeros((4, 1))}
    update = jax.vmap(td3_critic.delayed_actor_update, in_axes=(0, None, None, 0, 0, 0, 0, 0))
    new_actor, new_target, new_target_critic = update(
        jnp.arange(4), 2, 0.1, actors, grads, targets, critic, target_critic
    )
    due = np.array([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(new_actor.params["w"], due[:, None] * np.ones((4, 2)))
    np.testing.assert_array_equal(new_actor.step, due.astype(int))
    np.testing.assert_allclose(new_target["w"], 0.1 * due[:, None] * np.ones((4, 2)), rtol=1e-6)
    np.testing.assert_allclose(new_target_critic["q"], 0.1 * due[:, None], rtol=1e-6)


def car_dataset(steps: int = 30) -> tuple[OfflineDataset, np.ndarray]:
    """One Bidirectional-Car rollout of fixed random throttles (varied (x, v)), and the throttles."""
    env = gym.make("jaxdiffrl/BidirectionalCar-v0", max_episode_steps=10_000)
    throttles = np.random.default_rng(0).uniform(-1, 1, (steps, 1)).astype(np.float32)
    observations = [env.reset(seed=0)[0]]
    for throttle in throttles:
        observations.append(env.step(throttle)[0])
    observations = np.asarray(observations, np.float32)
    dataset = OfflineDataset(
        observations=observations[:-1],
        actions=throttles,
        rewards=np.zeros(steps, np.float32),
        next_observations=observations[1:],
        masks=np.ones(steps, np.float32),
        dones=np.zeros(steps, bool),
        name="car-rollout",
        make_env=lambda: gym.make("jaxdiffrl/BidirectionalCar-v0", max_episode_steps=10_000),
    )
    return dataset, throttles


def test_observation_normalisation_matches_between_dataset_and_eval_env():
    raw, throttles = car_dataset()
    assert apply_conventions(raw, default_data_config()).observations is raw.observations, "off by default"
    data = apply_conventions(raw, default_data_config(normalize_observations=True))
    mean, std = raw.observations.astype(np.float64).mean(0), raw.observations.astype(np.float64).std(0)
    np.testing.assert_allclose(data.observations, (raw.observations - mean) / (std + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(
        data.next_observations, (raw.next_observations - mean) / (std + 1e-3), rtol=1e-5
    )
    assert data.observations.dtype == np.float32 and np.abs(data.observations.mean(0)).max() < 1e-4
    np.testing.assert_array_equal(data.make_env.mean, mean)
    np.testing.assert_array_equal(data.make_env.std, std)
    again = apply_conventions(raw, default_data_config(normalize_observations=True))
    np.testing.assert_array_equal(again.make_env.mean, mean)  # recomputed from the dataset alone
    # Replaying the rollout in the wrapped evaluation env gives the dataset's rows bit for bit.
    env = data.make_env()
    assert isinstance(env, StandardizedObservation) and env.observation_space.dtype == np.float32
    observation, _ = env.reset(seed=0)
    seen = [observation]
    for throttle in throttles:
        seen.append(env.step(throttle)[0])
    np.testing.assert_array_equal(np.asarray(seen[:-1]), data.observations)
    np.testing.assert_array_equal(np.asarray(seen[1:]), data.next_observations)


def test_vmapped_seeds_equal_single_seed_runs(tmp_path, monkeypatch):
    """Seeds 0 and 1 trained together equal each trained alone, on a 300-transition ``bandit-idql``
    written to a private folder (the session's full-size one is left alone), with standardised
    observations so that the evaluation env goes through the wrapper."""
    assert AGENTS["td3_bc"] is TD3BCAgent
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    GENERATED["bandit-idql"].generate(transitions=300, seed=0, progress=False)
    config = tiny_agent_config(normalize_observations=True)
    dataset = prepare_dataset(config)
    assert dataset.size == 300 and isinstance(dataset.make_env(), StandardizedObservation)
    hparams = config.agent.hparams
    together = train(
        TD3BCAgent, config, dataset, make_runs([0, 1], hparams, {}), str(tmp_path / "all"), progress=False
    )
    assert together["seeds"] == [0, 1]
    for seed in range(2):
        alone = train(
            TD3BCAgent,
            config,
            dataset,
            make_runs([seed], hparams, {}),
            str(tmp_path / f"s{seed}"),
            progress=False,
        )
        a, b = together["runs"][seed], alone["runs"][0]
        for key in ("normalized_score", "return"):
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-5, err_msg=key)
        assert a["final_metrics"].keys() == b["final_metrics"].keys()
        assert {"critic/loss", "actor/loss", "actor/lambda"} <= a["final_metrics"].keys()
        for key in a["final_metrics"]:
            np.testing.assert_allclose(
                a["final_metrics"][key], b["final_metrics"][key], rtol=1e-5, atol=1e-5, err_msg=key
            )


def test_resume_mid_actor_cycle_matches_uninterrupted_run(tmp_path, monkeypatch):
    """Stopped after 15 updates (between two delayed actor steps) and resumed, the job ends with the
    parameters, step counter and evaluation of the uninterrupted one."""
    from jaxdiffrl.train.checkpointing import Checkpointer
    from jaxdiffrl.train.engine import create_agents

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    GENERATED["bandit-idql"].generate(transitions=300, seed=0, progress=False)
    config = tiny_agent_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1], config.agent.hparams, {})
    full = train(TD3BCAgent, config, dataset, runs, str(tmp_path / "full"), progress=False)
    assert (
        train(TD3BCAgent, config, dataset, runs, str(tmp_path / "cut"), stop_after=15, progress=False) == {}
    )
    resumed = train(TD3BCAgent, config, dataset, runs, str(tmp_path / "cut"), resume=True, progress=False)
    assert [r["normalized_score"] for r in full["runs"]] == [r["normalized_score"] for r in resumed["runs"]]
    target = {
        "agents": create_agents(TD3BCAgent, config, dataset, runs),
        "data_keys": np.zeros((2, 2), np.uint32),
    }
    states = []
    for name in ("full", "cut"):
        checkpointer = Checkpointer(str(tmp_path / name))
        states.append(checkpointer.restore(20, target))
        checkpointer.close()
    assert np.all(np.asarray(states[1]["agents"].step) == 20)
    for x, y in zip(jax.tree.leaves(states[0]), jax.tree.leaves(states[1]), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
