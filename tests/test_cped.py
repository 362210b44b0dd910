"""CPED: dual ascent in closed form, the reference code's α schedules at their breakpoints, the
actor loss and its stop-gradient, the Flow-GAN step's schedule and penalty forms, the phases and
delays, and the engine's equalities across the pre-training / actor-critic boundary."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdiffrl.agents import AGENTS, cped
from jaxdiffrl.agents.cped import CPEDAgent, antmaze_alpha_schedule, locomotion_alpha_schedule
from jaxdiffrl.agents.flow_gan import FlowGAN, default_flow_gan_config
from jaxdiffrl.agents.optimization import dual_ascent
from jaxdiffrl.app.paper_configs import cped_agent
from jaxdiffrl.data.registry import GENERATED, prepare_dataset
from jaxdiffrl.networks.discriminators import gradient_penalty
from jaxdiffrl.train.checkpointing import Checkpointer
from jaxdiffrl.train.config import base_config
from jaxdiffrl.train.engine import create_agents, train
from jaxdiffrl.train.runs import make_runs


def test_dual_ascent_on_a_quadratic_stops_at_the_kkt_multiplier():
    """min (x − 3)² s.t. x ≤ 1: for a given α the primal minimiser is x*(α) = 3 − α/2, so the dual
    step α ← α + η (x*(α) − 1) = α + η (2 − α/2) climbs monotonically to the KKT multiplier α* = 4,
    where x* = 1 sits on the constraint, and stays there. A slack constraint (x ≤ 5) drives α to
    its lower bound 0."""
    alpha, history = jnp.float32(0.0), []
    for _ in range(200):
        alpha = dual_ascent(alpha, (3.0 - alpha / 2) - 1.0, 0.5)
        history.append(float(alpha))
    assert all(b >= a for a, b in zip(history, history[1:], strict=False)), "moves toward the constraint"
    np.testing.assert_allclose(history[-1], 4.0, rtol=1e-6)
    assert float(dual_ascent(jnp.float32(4.0), (3.0 - 2.0) - 1.0, 0.5)) == 4.0, "a fixed point at g = 0"
    slack = jnp.float32(3.0)
    for _ in range(50):
        slack = dual_ascent(slack, (3.0 - slack / 2) - 5.0, 0.5)
    assert float(slack) == 0.0
    # Primal-dual together (gradient descent on x, ascent on α) reach the saddle (1, 4) as well.
    x, alpha = jnp.float32(0.0), jnp.float32(0.0)
    for _ in range(3000):
        x = x - 0.05 * (2 * (x - 3.0) + alpha)
        alpha = dual_ascent(alpha, x - 1.0, 0.05)
    np.testing.assert_allclose([float(x), float(alpha)], [1.0, 4.0], atol=1e-4)
    # Bounds and the violation clip (DAC's form).
    assert float(dual_ascent(jnp.float32(9.5), 10.0, 1.0, high=10.0)) == 10.0
    assert float(dual_ascent(jnp.float32(1.0), 10.0, 0.1, violation_clip=1.0)) == pytest.approx(1.1)


def test_the_reference_codes_alpha_schedules_at_their_breakpoints():
    P = 500_000
    locomotion = {
        0: 1000.0,
        600_000: 1000.0,  # up to P + 100k inclusive
        600_001: 10.0,
        699_999: 10.0,
        700_000: 7.5,
        800_000: 5.0,
        900_000: 2.5,
        999_999: 2.5,
        1_000_000: 0.0,  # the code's formula at exactly 1M
        1_000_001: 1.5,
        1_499_999: 1.5,
    }
    for step, alpha in locomotion.items():
        assert float(locomotion_alpha_schedule(jnp.int32(step), P)) == alpha, step
    antmaze = {0: 5.0, 99_999: 5.0, 100_000: 0.5, 300_000: 0.5, 300_001: 0.25, 500_000: 0.25,
               500_001: 0.1, 800_000: 0.1, 800_001: 0.08, 999_999: 0.08}  # fmt: skip
    for step, alpha in antmaze.items():
        np.testing.assert_allclose(float(antmaze_alpha_schedule(jnp.int32(step))), alpha, err_msg=step)
    # With P = 300k the locomotion formula reaches 10 − 2.5·6 < 0 before 1M: refused.
    config = base_config("cped", "x", cped_agent("code", "locomotion"), max_steps=1_300_000)
    config.agent.flow_gan_steps = 300_000
    with pytest.raises(ValueError, match="flow_gan_steps=500000") as refused:
        cped.check_alpha_schedule(config)
    # The fix it names is a mode that exists: dual ascent, with alpha_lr 0 for a fixed α.
    assert "alpha_mode='dual'" in str(refused.value) and "alpha_lr=0" in str(refused.value)
    assert "dual" in cped.ALPHA_MODES
    config.agent.flow_gan_steps = 500_000
    cped.check_alpha_schedule(config)


def test_actor_loss_values_and_stop_gradient():
    q = jnp.array([1.0, 3.0])
    nll_policy, nll_data = jnp.array([2.0, 4.0]), jnp.array([1.0, 1.0])
    loss, info = cped.actor_loss(q, nll_policy, nll_data, jnp.float32(0.5), 1.0)
    np.testing.assert_allclose(float(loss), -2.0 + 0.5 * 2.0)
    np.testing.assert_allclose(float(info["constraint"]), 2.0)
    off, _ = cped.actor_loss(q, nll_policy, nll_data, jnp.float32(0.5), 0.0)
    np.testing.assert_allclose(float(off), 1.0)  # the Q term before q_delay
    grad = jax.grad(lambda d: cped.actor_loss(q, nll_policy, d, jnp.float32(0.5), 1.0)[0])(nll_data)
    np.testing.assert_array_equal(np.asarray(grad), 0.0)


@pytest.mark.parametrize("form", ["standard", "code"])
def test_flow_gan_step_schedule_and_penalty_forms(form):
    """The critic steps on every update and the flow on every ``flow_every``-th; the logged penalty
    equals ``gradient_penalty`` of the critic before its step, in the standard form (weight 10,
    u ~ U(0, 1), the mean score) or the code's (0.5, u ~ N(0, 1), the summed outputs)."""
    config = default_flow_gan_config()
    config.update(hidden_dims=(16, 16), standardize="none", gradient_penalty=form, flow_every=3)
    flow_gan = FlowGAN.create(jax.random.PRNGKey(0), 4, config)
    real = jax.random.normal(jax.random.PRNGKey(1), (32, 4))
    update = jax.jit(FlowGAN.update)
    for step in range(6):
        key = jax.random.PRNGKey(10 + step)
        before = flow_gan
        flow_gan, info = update(flow_gan, real, key, jnp.int32(step))
        flow_moved = any(
            not np.array_equal(a, b)
            for a, b in zip(
                jax.tree.leaves(before.flow.params), jax.tree.leaves(flow_gan.flow.params), strict=True
            )
        )
        assert flow_moved == (step % 3 == 0) and float(info["flow_updated"]) == float(step % 3 == 0), step
        assert int(flow_gan.discriminator.step) == step + 1
        prior_key, penalty_key = jax.random.split(key)
        z = before.flow.apply_fn(before.flow.params, prior_key, 32, method="sample_prior")
        fake = before.flow.apply_fn(before.flow.params, z, method="inverse")
        score = lambda x, b=before: b.discriminator.apply_fn(b.discriminator.params, x)
        if form == "standard":
            expected = gradient_penalty(score, real, fake, penalty_key, 10.0, "uniform")
        else:
            expected = gradient_penalty(lambda x, s=score: 4 * s(x), real, fake, penalty_key, 0.5, "normal")
        np.testing.assert_allclose(float(info["gradient_penalty"]), float(expected), rtol=1e-4)


def tiny_config(pretrain: int = 20, rl: int = 20, **agent_overrides):
    agent = cped.default_config()
    agent.flow_gan.update(hidden_dims=(16, 16), flow="realnvp", standardize="hidden", flow_b2=0.999)
    agent.flow_gan_steps = pretrain
    agent.actor_hidden_dims = agent.critic_hidden_dims = (16, 16)
    agent.density_features = "action"
    agent.update(agent_overrides)
    return base_config(
        "cped",
        "bandit-dql-4mode",
        agent,
        max_steps=pretrain + rl,
        batch_size=32,
        log_interval=10,
        eval_interval=20,
        checkpoint_interval=10,
        eval_episodes=3,
    )


def fake_batch(n: int = 16, obs_dim: int = 1, act_dim: int = 2) -> dict:
    rng = np.random.default_rng(0)
    obs = jnp.asarray(rng.normal(size=(n, obs_dim)), jnp.float32)
    return {
        "observations": obs,
        "actions": jnp.asarray(rng.uniform(-0.9, 0.9, (n, act_dim)), jnp.float32),
        "rewards": jnp.asarray(rng.normal(size=n), jnp.float32),
        "next_observations": obs,
        "masks": jnp.ones(n),
        "dones": jnp.zeros(n, bool),
    }


def changed(a, b) -> bool:
    return any(not np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True))


def test_phases_delays_and_the_frozen_flow():
    """Pre-training moves only the Flow-GAN; afterwards the flow is frozen (unless
    ``train_flow_during_rl``), the critic waits ``critic_delay`` updates, the actor's Q term
    ``q_delay``, the actor and targets move every ``policy_freq``-th update, and α ascends on those."""
    assert AGENTS["cped"] is CPEDAgent
    config = tiny_config(pretrain=4, rl=8, critic_delay=2, q_delay=4)
    phases = CPEDAgent.phases(config)
    assert [(p.name, p.steps, p.evaluate) for p in phases] == [
        ("flow_gan", 4, False),
        ("actor_critic", 8, True),
    ]
    batch = fake_batch()
    hparams = {"alpha": jnp.float32(1.0), "alpha_lr": jnp.float32(0.1)}
    agent = CPEDAgent.create(
        jax.random.PRNGKey(0), batch["observations"][:1], batch["actions"][:1], config, hparams
    )
    pretrain, update = jax.jit(CPEDAgent.update_flow_gan), jax.jit(CPEDAgent.update)
    for _ in range(4):
        before, (agent, info) = agent, pretrain(agent, batch)
        assert changed(before.flow_gan, agent.flow_gan)
        assert not changed(before.actor, agent.actor) and not changed(before.critic, agent.critic)
        assert set(info) >= {"behaviour/nll", "behaviour/gradient_penalty", "behaviour/d_loss"}
    for n in range(4, 12):  # absolute update index n; RL update n − 4
        before, (agent, info) = agent, update(agent, batch)
        assert not changed(before.flow_gan, agent.flow_gan), "the flow is frozen"
        assert changed(before.critic.params, agent.critic.params) == (n - 4 >= 2), n
        assert float(info["critic/updated"]) == float(n - 4 >= 2)
        due = (n + 1) % 2 == 0
        assert changed(before.actor.params, agent.actor.params) == due, n
        assert changed(before.target_critic_params, agent.target_critic_params) == due, n
        q_on = n - 4 >= 4
        np.testing.assert_allclose(float(info["actor/q_term"]) != 0.0, q_on, err_msg=str(n))
        expected_alpha = (
            max(0.0, float(before.alpha) + 0.1 * float(info["actor/constraint"]))
            if due
            else float(before.alpha)
        )
        np.testing.assert_allclose(float(agent.alpha), expected_alpha, rtol=1e-5, err_msg=str(n))
        np.testing.assert_allclose(float(info["actor/alpha"]), float(before.alpha))
    assert int(agent.step) == 12
    keep_training = tiny_config(pretrain=4, rl=8, train_flow_during_rl=True)
    agent = CPEDAgent.create(
        jax.random.PRNGKey(0), batch["observations"][:1], batch["actions"][:1], keep_training, hparams
    )
    agent = agent.replace(step=jnp.int32(5))
    moved, info = jax.jit(CPEDAgent.update)(agent, batch)
    assert changed(agent.flow_gan.discriminator, moved.flow_gan.discriminator) and "behaviour/nll" in info
    # A schedule sets α from the step alone.
    scheduled = tiny_config(pretrain=4, rl=8, alpha_mode="antmaze_schedule")
    agent = CPEDAgent.create(
        jax.random.PRNGKey(0), batch["observations"][:1], batch["actions"][:1], scheduled, hparams
    )
    _, info = jax.jit(CPEDAgent.update)(agent.replace(step=jnp.int32(5)), batch)
    assert float(info["actor/alpha"]) == 5.0

    # critic_layer_norm puts a LayerNorm after each hidden layer of both critics (off by default).
    def layer_norms(agent):
        paths = jax.tree_util.tree_leaves_with_path(agent.critic.params)
        return sum("LayerNorm" in jax.tree_util.keystr(path) for path, _ in paths)

    assert layer_norms(agent) == 0
    normed = tiny_config(pretrain=4, rl=8, critic_layer_norm=True)
    agent = CPEDAgent.create(
        jax.random.PRNGKey(0), batch["observations"][:1], batch["actions"][:1], normed, hparams
    )
    assert layer_norms(agent) == 2 * 2  # 2 hidden layers × (scale, bias), stacked over the 2 critics
    moved, info = jax.jit(CPEDAgent.update)(agent.replace(step=jnp.int32(5)), batch)
    assert changed(agent.critic.params, moved.critic.params) and np.isfinite(float(info["critic/loss"]))


def test_configuration_errors():
    batch = fake_batch(obs_dim=1, act_dim=1)
    hparams = {"alpha": 1.0, "alpha_lr": 0.0}
    with pytest.raises(ValueError, match="0 < agent.flow_gan_steps < max_steps"):
        CPEDAgent.phases(tiny_config(pretrain=0))
    with pytest.raises(ValueError, match="alpha_mode"):
        CPEDAgent.create(
            jax.random.PRNGKey(0),
            batch["observations"],
            batch["actions"],
            tiny_config(alpha_mode="fixed"),
            hparams,
        )
    with pytest.raises(ValueError, match="at least 2 features"):
        CPEDAgent.create(
            jax.random.PRNGKey(0), batch["observations"], batch["actions"], tiny_config(), hparams
        )
    with pytest.raises(ValueError, match="density_features"):
        CPEDAgent.create(
            jax.random.PRNGKey(0),
            batch["observations"],
            batch["actions"],
            tiny_config(density_features="s"),
            hparams,
        )
    bad_flow = tiny_config()
    bad_flow.agent.flow_gan.flow = "glow"
    with pytest.raises(ValueError, match="flow_gan.flow"):
        CPEDAgent.create(
            jax.random.PRNGKey(0), batch["observations"][:1], jnp.zeros((1, 2)), bad_flow, hparams
        )


@pytest.fixture
def small_bandit(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    GENERATED["bandit-dql-4mode"].generate(transitions=300, seed=0, progress=False)
    config = tiny_config()
    return config, prepare_dataset(config)


def test_vmapped_seeds_equal_single_seed_runs_and_resume_matches_uninterrupted_run(tmp_path, small_bandit):
    """The engine's two equalities on one uninterrupted two-seed run (trained once: every ``train``
    call traces its programs afresh, which is most of its cost here).

    Seeds 0 and 1 trained together equal each trained alone. Stopped inside the Flow-GAN phase
    (10), at its end (20) and inside the actor-critic (30), resumed each time: the final state
    equals the uninterrupted run's, α included."""
    config, dataset = small_bandit
    hparams = config.agent.hparams
    runs = make_runs([0, 1], hparams, {})
    full = train(CPEDAgent, config, dataset, runs, str(tmp_path / "full"), progress=False)
    for seed in range(2):
        alone = train(
            CPEDAgent,
            config,
            dataset,
            make_runs([seed], hparams, {}),
            str(tmp_path / f"s{seed}"),
            progress=False,
        )
        a, b = full["runs"][seed], alone["runs"][0]
        np.testing.assert_allclose(a["normalized_score"], b["normalized_score"], rtol=1e-5, atol=1e-5)
        assert {"actor/alpha", "actor/constraint", "critic/loss"} <= a["final_metrics"].keys()
        for key in a["final_metrics"]:
            np.testing.assert_allclose(
                a["final_metrics"][key], b["final_metrics"][key], rtol=1e-4, atol=1e-5, err_msg=key
            )

    cut = str(tmp_path / "cut")
    for stop in (10, 20, 30):
        assert (
            train(CPEDAgent, config, dataset, runs, cut, stop_after=stop, resume=True, progress=False) == {}
        )
    resumed = train(CPEDAgent, config, dataset, runs, cut, resume=True, progress=False)
    assert [r["normalized_score"] for r in full["runs"]] == [r["normalized_score"] for r in resumed["runs"]]
    target = {
        "agents": create_agents(CPEDAgent, config, dataset, runs),
        "data_keys": np.zeros((2, 2), np.uint32),
    }
    states = []
    for name in ("full", "cut"):
        checkpointer = Checkpointer(str(tmp_path / name))
        states.append(checkpointer.restore(40, target))
        checkpointer.close()
    assert np.all(np.asarray(states[1]["agents"].step) == 40)
    for x, y in zip(jax.tree.leaves(states[0]), jax.tree.leaves(states[1]), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


MIXTURE_CENTRES = jnp.array([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])
MIXTURE_WEIGHTS = jnp.array([0.4, 0.3, 0.2, 0.1])


def mixture(key, n):
    component_key, noise_key = jax.random.split(key)
    component = jax.random.choice(component_key, 4, (n,), p=MIXTURE_WEIGHTS)
    return MIXTURE_CENTRES[component] + 0.5 * jax.random.normal(noise_key, (n, 2))


@pytest.mark.slow
def test_flow_gan_recovers_mixture_weights():
    """Two seeds (vmapped) of Flow-GAN training on a 2-D mixture of four N(·, 0.5²) at weights
    (0.4, 0.3, 0.2, 0.1): 20 000 samples each put every component's mass within 5 points. RealNVP
    2 × 64, Adam 1e-3 (β₂ 0.999) for both networks, the flow on every update, λ = 10 (with the
    reference λ = 1 the adversarial term moves up to 13 points of mass at 3k–10k updates; the
    NLL-only fit is tests/test_flows.py's)."""
    config = default_flow_gan_config()
    config.update(flow="realnvp", hidden_dims=(64, 64), standardize="hidden", flow_lr=1e-3, flow_every=1)
    config.update(discriminator_lr=1e-3, flow_b2=0.999, flow_eps=1e-8, nll_weight=10.0)

    @jax.jit
    def program(keys):
        def one(key):
            init_key, train_key, sample_key = jax.random.split(key, 3)

            def step(flow_gan, i):
                data_key, update_key = jax.random.split(jax.random.fold_in(train_key, i))
                flow_gan, info = flow_gan.update(mixture(data_key, 256), update_key, i)
                return flow_gan, info["nll"]

            flow_gan, nll = jax.lax.scan(step, FlowGAN.create(init_key, 2, config), jnp.arange(3000))
            samples = flow_gan.sample(sample_key, 20_000)
            nearest = jnp.argmin(jnp.sum((samples[:, None] - MIXTURE_CENTRES[None]) ** 2, axis=-1), axis=1)
            return jnp.bincount(nearest, length=4) / samples.shape[0], nll

        return jax.vmap(one)(keys)

    masses, nll = program(jax.random.split(jax.random.PRNGKey(0), 2))
    assert np.all(np.isfinite(np.asarray(nll)))
    np.testing.assert_allclose(masses, np.broadcast_to(MIXTURE_WEIGHTS, (2, 4)), atol=0.05)


@pytest.mark.slow
def test_bandit_flow_ranks_data_above_uniform_and_td3_drifts_out_of_the_data():
    """configs/cped/toy.py on Diffusion-QL's 4-mode bandit, 3 vmapped seeds with α = η_α = 0 (TD3:
    the constraint off). After the Flow-GAN phase the flow ranks held-out dataset actions above
    uniform box actions (ROC AUC ≥ 0.95, every seed); after the actor-critic phase TD3's action lies
    more than 3σ (0.15) from every mode, out of the data. CPED itself (α₀ = 1, dual ascent) does not
    reach the best mode on this toy — its actor stays at its initial action between the modes,
    where the flow keeps a density bridge; docs/results/cped-bandit.md records the measurement."""
    import importlib.util
    from pathlib import Path

    from jaxdiffrl.data.toy import BANDITS, sample_bandit
    from jaxdiffrl.train.device_data import to_device
    from jaxdiffrl.train.engine import make_chunk, run_keys

    path = Path(__file__).resolve().parents[1] / "configs" / "cped" / "toy.py"
    spec = importlib.util.spec_from_file_location("cped_toy_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    dataset = prepare_dataset(config)
    runs = make_runs([0, 1, 2], {"alpha": 0.0, "alpha_lr": 0.0}, {})
    agents = create_agents(CPEDAgent, config, dataset, runs)
    keys = jnp.asarray(run_keys([0, 1, 2])[1])
    data = to_device(dataset.arrays())
    phases = CPEDAgent.phases(config)
    agents, keys, _ = make_chunk(phases[0].update, config.batch_size, phases[0].steps)(agents, keys, data)

    held_out, _ = sample_bandit(BANDITS["bandit-dql-4mode"], 2000, 123)
    uniform = np.random.default_rng(0).uniform(-1, 1, held_out.shape).astype(np.float32)
    obs = jnp.zeros((2000, dataset.observation_dim))
    nll_of = jax.jit(jax.vmap(lambda agent, a: agent.behaviour_nll(obs, a), in_axes=(0, None)))
    data_nll, uniform_nll = np.asarray(nll_of(agents, held_out)), np.asarray(nll_of(agents, uniform))
    auc = (data_nll[:, :, None] < uniform_nll[:, None, :]).mean(axis=(1, 2))
    assert np.all(auc >= 0.95), auc

    agents, keys, info = make_chunk(phases[1].update, config.batch_size, phases[1].steps)(agents, keys, data)
    assert np.all(np.asarray(info["actor/alpha"]) == 0.0)
    actions = np.asarray(jax.vmap(lambda agent: agent.sample_actions(obs[:1], None))(agents))[:, 0]
    centres = np.asarray(BANDITS["bandit-dql-4mode"].centres)
    distance = np.linalg.norm(actions[:, None] - centres[None], axis=-1).min(axis=1)
    assert np.all(distance > 0.15), (actions, distance)


def test_plot_bandit_shades_the_behaviour_density(tmp_path, small_bandit):
    """launch/plot_bandit.py draws each run's −log p(a) under its points for agents with a density:
    the grid holds the agent's own values (rows along a₂), a per-run action batch gets each run's
    values, agents without a density get None, and the figure gains a colour bar."""
    import importlib.util
    from pathlib import Path

    import matplotlib.image
    import matplotlib.pyplot

    from jaxdiffrl.data.toy import BANDITS

    path = Path(__file__).resolve().parents[1] / "launch" / "plot_bandit.py"
    spec = importlib.util.spec_from_file_location("plot_bandit_script", path)
    plot_bandit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot_bandit)  # its flags are defined only when it runs as a script

    config, dataset = small_bandit
    agents = create_agents(CPEDAgent, config, dataset, make_runs([0, 1], config.agent.hparams, {}))
    observation = dataset.observations[:1]
    grid = plot_bandit.behaviour_nll_grid(agents, observation, size=5)
    assert grid.shape == (2, 5, 5) and np.all(np.isfinite(grid))
    point = jnp.array([[0.5, -1.0]])  # column 3 (a₁ = 0.5), row 0 (a₂ = −1)
    for run in range(2):
        agent = jax.tree.map(lambda x, run=run: x[run], agents)
        expected = agent.behaviour_nll(jnp.asarray(observation), point)[0]
        np.testing.assert_allclose(grid[run, 0, 3], expected, rtol=1e-5, atol=1e-5)
    per_run = plot_bandit.behaviour_nll_at(agents, observation, jnp.stack([point, -point]))
    np.testing.assert_allclose(per_run[0, 0], grid[0, 0, 3], rtol=1e-5, atol=1e-5)
    assert plot_bandit.behaviour_nll_at(object(), observation, point) is None
    draws = {"actions": np.zeros((2, 4, 2), np.float32)}
    labels = ["seed 0", "seed 1"]
    spec_ = BANDITS["bandit-dql-4mode"]
    plain, shaded = tmp_path / "plain.png", tmp_path / "shaded.png"
    figures = (
        plot_bandit.plot(draws, dataset.actions, spec_, labels, 0.2, str(plain), dpi=40),
        plot_bandit.plot(draws, dataset.actions, spec_, labels, 0.2, str(shaded), grid, wrap=1, dpi=40),
    )
    assert [len(figure.axes) for figure in figures] == [2, 3], "two panels, plus a colour bar when shaded"
    plain_image, shaded_image = matplotlib.image.imread(plain), matplotlib.image.imread(shaded)
    assert shaded_image.shape[0] > 1.5 * plain_image.shape[0], "wrap=1: one run per line of panels"
    for figure in figures:
        matplotlib.pyplot.close(figure)
