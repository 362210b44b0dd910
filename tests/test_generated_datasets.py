"""The local dataset generators: every one writes a Minari dataset that minari and the project's
loader read alike, the same seed gives the same data, and the locomotion levels (made with a tiny
SAC recipe) feed the IQL launch script as a user would run it."""

import json
import os
import subprocess
import sys

import minari
import numpy as np
import pytest

from jaxdiffrl.data.reference_scores import D4RL_REFERENCE_SCORES
from jaxdiffrl.data.registry import GENERATED, load_dataset
from jaxdiffrl.generators.recipes import LEVELS, LOCOMOTION

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A SAC run of 1 500 env steps with small networks; medium is the first evaluated policy.
TINY_RECIPE = {
    "expert_steps": 1500,
    "start_steps": 500,
    "eval_interval": 500,
    "medium_return": -1e9,
    "hidden_dims": (32, 32),
}
RECIPE_FLAGS = [f"--recipe={k}={v}".replace(" ", "") for k, v in TINY_RECIPE.items()]


def launch(script: str, *args: str, datasets: str | None = None) -> subprocess.CompletedProcess:
    """Runs ``launch/<script>`` with ``args``; ``datasets`` overrides MINARI_DATASETS_PATH."""
    env = {**os.environ, **({"MINARI_DATASETS_PATH": datasets} if datasets else {})}
    command = [sys.executable, os.path.join(REPO, "launch", script), *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)


def make_dataset(name: str, *args: str) -> subprocess.CompletedProcess:
    return launch("make_dataset.py", f"--dataset={name}", *args)


def episode_ends(dataset) -> np.ndarray:
    return np.flatnonzero(dataset.dones)


def check_round_trip(name: str) -> None:
    """minari.load_dataset and the project's loader agree on episodes, boundaries and scores."""
    entry = GENERATED[name]
    source = minari.load_dataset(entry.minari_id)
    episodes = list(source.iterate_episodes())
    data = load_dataset(name, generate_missing=False)
    lengths = np.array([len(e.rewards) for e in episodes])
    assert data.size == lengths.sum() == source.total_steps
    np.testing.assert_array_equal(episode_ends(data), np.cumsum(lengths) - 1)
    terminations = np.concatenate([e.terminations for e in episodes])
    np.testing.assert_array_equal(data.masks, 1.0 - terminations)
    np.testing.assert_array_equal(data.rewards, np.concatenate([e.rewards for e in episodes]))
    assert data.ref_min_score == source.storage.metadata["ref_min_score"]
    assert data.ref_max_score == source.storage.metadata["ref_max_score"]
    metadata = source.storage.metadata["jaxdiffrl"]
    assert {"generator", "config", "seed"} <= set(metadata)
    env = source.recover_environment(eval_env=True)
    assert env.action_space.shape == (data.action_dim,)
    env.close()


def test_registry_names_every_locomotion_level():
    assert tuple(LOCOMOTION) == ("hopper", "halfcheetah", "walker2d", "ant")
    for env in LOCOMOTION:
        for level in LEVELS:
            assert GENERATED[f"{env}-{level}"].minari_id == f"jaxdiffrl/{env}-{level}-v0"


@pytest.mark.parametrize(
    "name, transitions",
    [
        ("bandit-dql-4mode", 300),
        ("bandit-idql", 300),
        ("bidirectional-car-single-side", 200),
        ("hopper-random", 1200),
    ],
)
def test_generators_round_trip_and_are_deterministic(name, transitions, tmp_path, monkeypatch):
    arrays = []
    for copy in ("a", "b"):
        monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / copy))
        GENERATED[name].generate(transitions=transitions, seed=3, progress=False)
        check_round_trip(name)
        arrays.append(load_dataset(name, generate_missing=False).arrays())
    for key, values in arrays[0].items():
        assert values.tobytes() == arrays[1][key].tobytes(), f"{name}: {key} differs between two seed-3 runs"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "c"))
    GENERATED[name].generate(transitions=transitions, seed=4, progress=False)
    assert not np.array_equal(load_dataset(name, generate_missing=False).actions, arrays[0]["actions"])


def test_hopper_random_is_d4rl_shaped(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    GENERATED["hopper-random"].generate(transitions=1200, seed=0, progress=False)
    data = load_dataset("hopper-random", generate_missing=False)
    assert data.size == 1200 and data.observation_dim == 11 and data.action_dim == 3
    assert (data.ref_min_score, data.ref_max_score) == D4RL_REFERENCE_SCORES["hopper"]
    assert (data.masks == 0).sum() >= 1, "a uniform-random hopper falls: some episodes terminate"
    assert np.abs(data.actions).max() <= 1.0
    assert abs(float(data.normalized_score(np.array(0.0)))) < 1.0, "D4RL hopper constants: return 0 ≈ 0.6"


@pytest.fixture(scope="module")
def tiny_hopper(tmp_path_factory):
    """hopper-{medium, medium-replay, expert, medium-expert} made by the command with TINY_RECIPE."""
    root = tmp_path_factory.mktemp("locomotion")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(root / "datasets"))
        outputs = {}
        for name, size in (
            ("hopper-medium", 600),
            ("hopper-medium-replay", None),
            ("hopper-medium-expert", 800),
        ):
            args = [*RECIPE_FLAGS, "--noprogress"] + ([f"--transitions={size}"] if size else [])
            out = make_dataset(name, *args)
            assert out.returncode == 0, out.stderr[-3000:]
            outputs[name] = out.stdout
        yield root, outputs


def test_locomotion_levels_round_trip(tiny_hopper):
    root, outputs = tiny_hopper
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(root / "datasets"))
        for name in ("hopper-medium", "hopper-medium-replay", "hopper-medium-expert"):
            assert f"Wrote {name} (jaxdiffrl/{name}-v0) to " in outputs[name], outputs[name]
            check_round_trip(name)
        medium = load_dataset("hopper-medium", generate_missing=False)
        replay = load_dataset("hopper-medium-replay", generate_missing=False)
        both = load_dataset("hopper-medium-expert", generate_missing=False)
        metadata = minari.load_dataset("jaxdiffrl/hopper-medium-v0").storage.metadata["jaxdiffrl"]
    assert medium.size == 600 and both.size == 800
    assert replay.size == 500, "medium-replay is the SAC run's data up to the first evaluation"
    assert metadata["config"]["recipe"]["medium_return"] == -1e9, "the stopping return is recorded"
    assert metadata["behaviour"]["medium"]["env_steps"] == 500
    assert "Training the SAC behaviour policies" in outputs["hopper-medium"]
    assert "Training the SAC behaviour policies" not in outputs["hopper-medium-replay"], "policies are reused"
    policies = root / "jaxdiffrl-policies"
    (folder,) = policies.iterdir()
    assert folder.name.startswith("hopper-seed0-"), "a non-default recipe gets its own folder"
    record = json.loads((folder / "behaviour.json").read_text())
    assert record["finished"] and record["expert"] is not None and record["medium"] is not None


@pytest.mark.parametrize("name", ["hopper-medium", "hopper-medium-replay"])
def test_train_iql_on_generated_hopper(tiny_hopper, name, tmp_path):
    root, _ = tiny_hopper
    workdir = tmp_path / "iql"
    out = launch(
        "train_iql.py",
        f"--config=configs/iql/locomotion.py:{name}",
        "--config.max_steps=20",
        "--config.log_interval=10",
        "--config.eval_interval=20",
        "--config.checkpoint_interval=20",
        "--config.eval_episodes=1",
        "--config.batch_size=16",
        "--config.agent.critic.hidden_dims=(16,16)",
        "--config.agent.actor_hidden_dims=(16,16)",
        "--progress=false",
        f"--workdir={workdir}",
        datasets=str(root / "datasets"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((workdir / "results.json").read_text())
    assert results["dataset"] == name and results["steps"] == 20
    assert isinstance(results["runs"][0]["normalized_score"], float)


def test_train_td3_bc_on_generated_hopper(tiny_hopper, tmp_path):
    """TD3+BC's locomotion config (standardised observations, raw rewards) on the tiny hopper-medium."""
    root, _ = tiny_hopper
    workdir = tmp_path / "td3_bc"
    out = launch(
        "train_td3_bc.py",
        "--config=configs/td3_bc/locomotion.py:hopper-medium",
        "--config.max_steps=20",
        "--config.log_interval=10",
        "--config.eval_interval=20",
        "--config.checkpoint_interval=20",
        "--config.eval_episodes=1",
        "--config.batch_size=16",
        "--config.agent.critic_hidden_dims=(16,16)",
        "--config.agent.actor_hidden_dims=(16,16)",
        "--progress=false",
        f"--workdir={workdir}",
        datasets=str(root / "datasets"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((workdir / "results.json").read_text())
    assert results["algo"] == "td3_bc" and results["dataset"] == "hopper-medium" and results["steps"] == 20
    assert isinstance(results["runs"][0]["normalized_score"], float)
    assert json.loads((workdir / "config.json").read_text())["data"]["normalize_observations"] is True
    assert {"critic/loss", "actor/loss", "actor/lambda"} <= results["runs"][0]["final_metrics"].keys()


def test_unknown_recipe_key_is_refused_before_anything_is_written(tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
        out = make_dataset("hopper-medium", "--recipe=expert_step=10")
    assert out.returncode != 0
    assert "expert_step" in out.stderr and "expert_steps" in out.stderr, out.stderr[-1000:]
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_describe_dataset_summarises_the_levels(tiny_hopper, tmp_path):
    root, _ = tiny_hopper
    summary_path = tmp_path / "summary.json"
    out = launch(
        "describe_dataset.py",
        "--dataset=hopper-medium",
        "--dataset=hopper-medium-replay",
        f"--json={summary_path}",
        datasets=str(root / "datasets"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    medium, replay = json.loads(summary_path.read_text())
    assert medium["transitions"] == 600 and replay["transitions"] == 500
    assert "hopper-medium: 600 transitions" in out.stdout
    low, high = D4RL_REFERENCE_SCORES["hopper"]
    assert medium["normalized_score_mean"] == pytest.approx(
        100 * (medium["return_mean"] - low) / (high - low)
    )


def test_a_behaviour_run_that_never_reaches_medium_fails_in_one_line(tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
        flags = [f for f in RECIPE_FLAGS if "medium_return" not in f]
        out = make_dataset("hopper-medium", *flags, "--recipe=medium_return=1e9", "--noprogress")
    assert out.returncode != 0
    assert "never reached the medium return" in out.stderr and "Traceback" not in out.stderr, out.stderr[
        -2000:
    ]
    assert not (tmp_path / "datasets").exists() or not any((tmp_path / "datasets").rglob("data")), (
        "no dataset"
    )
