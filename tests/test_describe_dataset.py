"""launch/describe_dataset.py: dimensions and action box, validation findings per field, returns
with the normalised score over finite episodes, and one-line errors for unknown names."""

import importlib.util
import json
import os
import subprocess
import sys

import gymnasium
import numpy as np
import pytest

from jaxdiffrl.data.dataset import DatasetError, OfflineDataset

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD_ID = "test/describe-bad-v0"


def load_script():
    path = os.path.join(REPO, "launch", "describe_dataset.py")
    spec = importlib.util.spec_from_file_location("describe_dataset_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


describe = load_script()


def dataset(rewards, observations=None, actions=None, dones=None, refs=(0.0, 10.0)):
    n = len(rewards)
    observations = np.zeros((n, 3), np.float32) if observations is None else observations
    return OfflineDataset(
        observations=observations,
        actions=np.zeros((n, 2), np.float32) if actions is None else actions,
        rewards=np.asarray(rewards, np.float32),
        next_observations=observations.copy(),
        masks=np.ones(n, np.float32),
        dones=np.ones(n, bool) if dones is None else dones,
        name="toy",
        ref_min_score=refs[0],
        ref_max_score=refs[1],
        action_low=np.array([-1.0, -2.0], np.float32),
        action_high=np.array([1.0, 2.0], np.float32),
    )


def test_dims_box_and_returns_of_clean_data():
    data = dataset([1.0, 2.0, 3.0, 4.0], dones=np.array([False, True, False, True]))
    summary = describe.summarize_dataset(data)
    assert summary["observation_dim"] == 3 and summary["action_dim"] == 2
    assert summary["action_low"] == [-1.0, -2.0] and summary["action_high"] == [1.0, 2.0]
    assert summary["episodes"] == 2 and summary["return_mean"] == 5.0 and summary["return_std"] == 2.0
    assert summary["normalized_score_mean"] == pytest.approx(50.0)
    assert summary["validation"] == []
    text = describe.format_summary(summary)
    assert "observations 3-D; actions 2-D in [[-1, 1], [-2, 2]]" in text
    assert "normalised 50.0 ± 20.0 (reference returns 0 → 0, 10 → 100)" in text
    assert text.endswith("validation: ok")


def test_bad_values_are_listed_per_field_and_left_out_of_the_returns():
    observations = np.zeros((4, 3), np.float32)
    observations[2, 1] = np.inf
    observations[3, 0] = -np.inf
    actions = np.zeros((4, 2), np.float32)
    actions[0, 1] = 3.0  # outside [-2, 2]
    summary = describe.summarize_dataset(dataset([1.0, np.nan, 3.0, 5.0], observations, actions))
    assert summary["validation"] == [
        "observations: 1 +inf, 1 -inf (in 2 transitions)",
        "rewards: 1 NaN (in 1 transition)",
        "next_observations: 1 +inf, 1 -inf (in 2 transitions)",
        "actions: 1 transition outside the action box",
    ]
    assert summary["finite_return_episodes"] == 3 and summary["return_mean"] == 3.0
    text = describe.format_summary(summary)
    assert "nan" not in text.lower().replace("1 nan", "")
    assert "over 3 episodes with a finite return" in text and "training refuses this data" in text
    all_nan = describe.format_summary(describe.summarize_dataset(dataset([np.nan, np.nan])))
    assert "returns: none finite" in all_nan and "± nan" not in all_nan


def test_no_reference_scores_means_no_normalised_score():
    summary = describe.summarize_dataset(dataset([1.0, 2.0], refs=(None, None)))
    assert "normalized_score_mean" not in summary
    assert "no reference scores" in describe.format_summary(summary)


def test_unknown_names_suggest_the_close_ones():
    with pytest.raises(DatasetError) as error:
        describe.load("pointmaze-umase")
    message = str(error.value)
    assert "did you mean pointmaze-umaze" in message and "\n" not in message
    with pytest.raises(DatasetError) as error:
        describe.load("nothing-like-it")
    assert "did you mean" not in str(error.value) and "make_dataset.py --help" in str(error.value)


def write_bad_dataset():
    from jaxdiffrl.data.minari_writer import write_minari_dataset

    env = gymnasium.make("jaxdiffrl/Bandit-DQL-4Mode-v0")
    episodes = []
    for i in range(10):
        observations = np.zeros((2, 1), np.float32)
        observations[1, 0] = np.inf if i == 3 else 0.0
        episodes.append(
            {
                "observations": observations,
                "actions": np.array([[1.5 if i == 5 else 0.5, 0.0]], np.float32),
                "rewards": np.array([np.nan if i in (1, 2) else float(i)], np.float32),
                "terminations": np.array([True]),
                "truncations": np.array([False]),
            }
        )
    write_minari_dataset(
        BAD_ID, episodes, env, ref_min_score=0.0, ref_max_score=10.0, algorithm_name="test", metadata={}
    )


def run_describe(*args):
    return subprocess.run(
        [sys.executable, os.path.join("launch", "describe_dataset.py"), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_script_describes_local_data_and_fails_in_one_line_per_bad_name(minari_dir, tmp_path):
    write_bad_dataset()
    out = run_describe(
        f"--dataset={BAD_ID}",
        "--dataset=pointmaze-umase",
        "--dataset=test/describe-bda-v0",
        f"--json={tmp_path / 's.json'}",
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr[-3000:]
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: unknown dataset") for line in errors), errors
    assert "did you mean pointmaze-umaze" in errors[0] and f"did you mean {BAD_ID}" in errors[1]
    assert "observations 1-D; actions 2-D in [-1, 1]^2" in out.stdout
    assert "rewards: 2 NaN" in out.stdout and "next_observations: 1 +inf" in out.stdout
    assert "actions: 1 transition outside the action box" in out.stdout
    (summary,) = json.loads((tmp_path / "s.json").read_text())
    assert summary["return_mean"] == pytest.approx(np.mean([0, 3, 4, 5, 6, 7, 8, 9]))
    assert summary["normalized_score_mean"] == pytest.approx(10 * summary["return_mean"])
    missing = run_describe("--dataset=pointmaze-large")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "python launch/make_dataset.py --dataset=pointmaze-large" in missing.stderr
