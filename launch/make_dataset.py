"""Make one of the project's local datasets as a Minari dataset under $MINARI_DATASETS_PATH.

    python launch/make_dataset.py --dataset=pointmaze-umaze [--transitions=N] [--seed=S] [--overwrite]

An existing dataset is kept unless --overwrite is given.
"""

import shutil
import sys
import time

from absl import app, flags

from jaxdiffrl.data.minari_source import minari_dataset_exists, minari_root
from jaxdiffrl.data.registry import GENERATED

flags.DEFINE_string("dataset", "pointmaze-umaze", f"One of: {', '.join(sorted(GENERATED))}.")
flags.DEFINE_integer("transitions", None, "Number of transitions (default: the dataset's own).")
flags.DEFINE_integer("seed", 0, "Generator seed; the same seed gives the same data.")
flags.DEFINE_bool("overwrite", False, "Replace the dataset if it exists.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
FLAGS = flags.FLAGS


def main(_):
    if FLAGS.dataset not in GENERATED:
        sys.exit(f"error: unknown dataset {FLAGS.dataset!r}; choose one of: {', '.join(sorted(GENERATED))}.")
    entry = GENERATED[FLAGS.dataset]
    if minari_dataset_exists(entry.minari_id):
        if not FLAGS.overwrite:
            path = minari_root() / entry.minari_id
            print(f"{FLAGS.dataset} exists at {path}; --overwrite to make it again.")
            return
        shutil.rmtree(minari_root() / entry.minari_id)
    start = time.time()
    path = entry.generate(transitions=FLAGS.transitions, seed=FLAGS.seed, progress=FLAGS.progress)
    print(f"Wrote {FLAGS.dataset} ({entry.minari_id}) to {path} in {time.time() - start:.1f} s.")


if __name__ == "__main__":
    app.run(main)
