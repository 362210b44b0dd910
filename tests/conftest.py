"""Shared test setup: offline, CPU-only JAX, headless MuJoCo, and a private Minari folder.

The environment variables are set when pytest imports this file, before any test module imports
jax or minari. ``minari_dir`` (autouse, session) points ``MINARI_DATASETS_PATH`` at a fresh
session folder, so no test reads or writes ``~/.minari``. ``tiny_maze_dataset`` generates a
~3 000-transition ``pointmaze-umaze`` there once per session (per xdist worker).
"""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ["MUJOCO_GL"] = "egl"
# Compiling dominates this suite's time on a CPU; share compiled programs between xdist workers,
# launch-script subprocesses and later runs.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(tempfile.gettempdir(), "jaxdiffrl-jax-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")

import pytest  # noqa: E402

TINY_MAZE_TRANSITIONS = 3_000


@pytest.fixture(scope="session", autouse=True)
def minari_dir(tmp_path_factory):
    """The session's Minari datasets folder (also exported as MINARI_DATASETS_PATH); the dataset
    generators are registered, so a project dataset a test names is made on first use."""
    import jaxdiffrl.generators  # noqa: F401

    path = tmp_path_factory.mktemp("minari_datasets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(path))
        yield path


@pytest.fixture(scope="session")
def tiny_maze_dataset(minari_dir):
    """``pointmaze-umaze`` with 3 000 transitions (seed 0), written under ``minari_dir``.

    Returns the loaded, unconverted OfflineDataset (``.name == "pointmaze-umaze"``); after this
    fixture ran, ``load_dataset("pointmaze-umaze")`` / ``prepare_dataset`` read it from disk
    instead of generating the full-size dataset. Do not mutate its arrays.
    """
    import jaxdiffrl.generators  # noqa: F401  (registers the dataset generators)
    from jaxdiffrl.data.registry import GENERATED, load_dataset

    GENERATED["pointmaze-umaze"].generate(transitions=TINY_MAZE_TRANSITIONS, seed=0, progress=False)
    return load_dataset("pointmaze-umaze", generate_missing=False)
