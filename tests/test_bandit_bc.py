"""Behaviour tests on Diffusion-QL's 4-mode bandit: diffusion BC keeps every mode, Gaussian BC cannot.

ALGORITHMS.md ("Toy tasks"): data is an equal mixture of N(centre, 0.05²) at (0, ±0.8), (±0.8, 0);
diffusion BC with T = 50 should recover the four modes, a Gaussian covers the middle. Agents are
trained through the engine's own pieces (``create_agents`` + ``make_chunk``, two vmapped seeds),
with ``configs/bc/toy.py`` and a smaller network and budget so that the file stays fast on CPU.
"""

import importlib.util
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxdiffrl.agents.bc import BCAgent
from jaxdiffrl.data.registry import prepare_dataset
from jaxdiffrl.train.device_data import to_device
from jaxdiffrl.train.engine import create_agents, make_chunk, run_keys
from jaxdiffrl.train.runs import make_runs

CENTRES = np.array([[0.0, -0.8], [0.8, 0.0], [-0.8, 0.0], [0.0, 0.8]])
RADIUS = 0.2
SEEDS = (0, 1)
NUM_SAMPLES = 2000
# Checked by hand: with these settings seeds 0–4 give 23–26 % per mode and 2–3.5 % elsewhere for
# diffusion BC. configs/bc/toy.py as it stands (lr 3e-4, 5000 steps, 3×128) leaves ~89 % of the
# samples between the modes (ε-loss 0.52 against ~0.31 for the exact ε); lr 3e-3 fixes it.
STEPS, LR = 3000, 3e-3


def _toy_config(policy: str):
    path = Path(__file__).resolve().parents[1] / "configs" / "bc" / "toy.py"
    spec = importlib.util.spec_from_file_location("bc_toy_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config("bandit-dql-4mode")
    assert config.agent.diffusion.num_steps == 50, "the bandit figure uses T = 50"
    config.agent.actor_type = policy
    config.agent.actor_lr = LR
    config.agent.diffusion.hidden_dims = (64, 64, 64)
    config.agent.actor_hidden_dims = (64, 64)
    config.agent.stochastic_actions = True  # Gaussian BC acts by sampling its fitted Gaussian
    config.max_steps = STEPS
    return config


def _train_and_sample(policy: str) -> np.ndarray:
    """Trains len(SEEDS) vmapped runs; returns their (runs, NUM_SAMPLES, 2) sampled actions."""
    config = _toy_config(policy)
    dataset = prepare_dataset(config)
    runs = make_runs(SEEDS, config.agent.hparams, {})
    agents = create_agents(BCAgent, config, dataset, runs)
    data_keys = jnp.asarray(run_keys(SEEDS)[1])
    chunk = make_chunk(BCAgent.update, config.batch_size, config.max_steps)
    agents, _, info = chunk(agents, data_keys, to_device(dataset.arrays()))
    assert np.all(np.isfinite(np.asarray(info["actor/loss"]))), f"{policy} BC loss {info['actor/loss']}"
    observations = jnp.zeros((NUM_SAMPLES, dataset.observation_dim))
    sample = jax.jit(jax.vmap(lambda agent, key: agent.sample_actions(observations, key)))
    actions = np.asarray(sample(agents, jax.random.split(jax.random.PRNGKey(42), len(SEEDS))))
    assert actions.shape == (len(SEEDS), NUM_SAMPLES, 2)
    assert np.all(np.abs(actions) <= 1.0)
    return actions


def _mode_fractions(actions: np.ndarray) -> tuple[np.ndarray, float]:
    """(fraction within RADIUS of each centre, fraction near none) for one run's actions."""
    near = np.linalg.norm(actions[:, None] - CENTRES[None], axis=-1) < RADIUS
    return near.mean(0), float((~near.any(1)).mean())


def test_diffusion_bc_recovers_all_four_modes():
    actions = _train_and_sample("diffusion")
    for seed, run_actions in zip(SEEDS, actions, strict=True):
        per_mode, elsewhere = _mode_fractions(run_actions)
        report = f"seed {seed}: per mode {np.round(per_mode, 3)}, elsewhere {elsewhere:.3f}"
        assert np.all((per_mode > 0.15) & (per_mode < 0.35)), report
        assert elsewhere < 0.10, report


def test_gaussian_bc_covers_the_middle():
    actions = _train_and_sample("gaussian")
    for seed, run_actions in zip(SEEDS, actions, strict=True):
        per_mode, elsewhere = _mode_fractions(run_actions)
        report = f"seed {seed}: per mode {np.round(per_mode, 3)}, elsewhere {elsewhere:.3f}"
        assert per_mode.min() < 0.15 and elsewhere > 0.10, report
        # A unimodal fit of the 4-mode data is centred between the modes with a broad spread.
        np.testing.assert_allclose(run_actions.mean(0), 0.0, atol=0.1, err_msg=report)
