"""Make one of the project's local datasets as a Minari dataset under $MINARI_DATASETS_PATH.

    python launch/make_dataset.py --dataset=hopper-medium [--transitions=N] [--seed=S] [--overwrite]
    python launch/make_dataset.py --dataset=hopper-medium --recipe=expert_steps=300000 --recipe=...

An existing dataset is kept unless --overwrite is given. Locomotion levels train their SAC behaviour
policies first when these are not on disk yet (kept beside the datasets; see docs/datasets.md);
``--recipe`` changes the behaviour recipe (e.g. a shorter SAC run) and is recorded in the metadata.
"""

import ast
import shutil
import sys
import time

from absl import app, flags, logging

import jaxdiffrl.generators  # noqa: F401  (registers the generators)
from jaxdiffrl.data.minari_source import minari_dataset_exists, minari_root
from jaxdiffrl.data.registry import GENERATED

flags.DEFINE_string("dataset", "pointmaze-umaze", f"One of: {', '.join(sorted(GENERATED))}.")
flags.DEFINE_integer("transitions", None, "Number of transitions (default: the dataset's own).")
flags.DEFINE_integer("seed", 0, "Generator seed; the same seed gives the same data.")
flags.DEFINE_bool("overwrite", False, "Replace the dataset if it exists.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_multi_string(
    "recipe",
    [],
    "Locomotion only, repeatable: a KEY=VALUE override of the SAC behaviour recipe "
    "(expert_steps, medium_return, eval_interval, start_steps, hidden_dims).",
)
FLAGS = flags.FLAGS


def parse_recipe(items: list[str]) -> dict:
    """['expert_steps=3000', 'hidden_dims=(32,32)'] → {'expert_steps': 3000, 'hidden_dims': (32, 32)}."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--recipe expects KEY=VALUE items, got {item!r}.")
        overrides[key.strip()] = ast.literal_eval(value.strip())
    return overrides


def main(_):
    logging.set_verbosity(logging.WARNING)  # JAX's backend probing is not news here
    if FLAGS.dataset not in GENERATED:
        sys.exit(f"error: unknown dataset {FLAGS.dataset!r}; choose one of: {', '.join(sorted(GENERATED))}.")
    entry = GENERATED[FLAGS.dataset]
    extra = {}
    if FLAGS.recipe:
        if entry.kind != "locomotion":
            sys.exit(f"error: --recipe applies to the locomotion datasets only, not {FLAGS.dataset!r}.")
        from jaxdiffrl.generators.recipes import LOCOMOTION

        try:
            extra["recipe_overrides"] = parse_recipe(FLAGS.recipe)
            LOCOMOTION[entry.options["env"]].with_overrides(extra["recipe_overrides"])  # checks the keys
        except (ValueError, SyntaxError) as error:
            sys.exit(f"error: {error}")
    if minari_dataset_exists(entry.minari_id):
        if not FLAGS.overwrite:
            path = minari_root() / entry.minari_id
            print(f"{FLAGS.dataset} exists at {path}; --overwrite to make it again.")
            return
        shutil.rmtree(minari_root() / entry.minari_id)
    start = time.time()
    try:
        path = entry.generate(
            transitions=FLAGS.transitions, seed=FLAGS.seed, progress=FLAGS.progress, **extra
        )
    except RuntimeError as error:  # a behaviour run that never reached its medium return: nothing written
        sys.exit(f"error: {error}")
    print(f"Wrote {FLAGS.dataset} ({entry.minari_id}) to {path} in {time.time() - start:.1f} s.")


if __name__ == "__main__":
    app.run(main)
