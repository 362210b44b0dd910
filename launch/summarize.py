"""Aggregate table of run directories: one row per (algorithm, dataset, sweep point), seeds pooled.

    python launch/summarize.py runs/iql-umaze runs/bc-umaze --out=table.md --json=table.json
    python launch/summarize.py runs/   # every run directory below runs/

Per row: the seeds, and for the final, offline-selected (Diffusion-QL's model selection),
online-best (each run's best evaluation) and fine-tuned-online scores, where the runs have them,
the mean ± std over runs and the IQM with a 95 % stratified bootstrap interval (as rliable
computes it); the jobs' updates/s and wall time. Runs that diverged or stopped are counted in the
seeds column and left out of the statistics; a job without results.json is named and left out.
Prints the Markdown table; ``--out`` / ``--json`` also write it and the full summary.
"""

import json
import sys

from absl import app, flags

from jaxdiffrl.train.run_dirs import RunDirError
from jaxdiffrl.train.summary import SCORES, markdown_table, summarize


def main(argv):
    try:
        summary = summarize(argv[1:] or _usage(), FLAGS.score, reps=FLAGS.reps, seed=FLAGS.bootstrap_seed)
    except RunDirError as error:
        sys.exit(f"error: {error}")
    for note in summary["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if not summary["rows"]:
        sys.exit("error: no finished run (no results.json) in the given directories.")
    table = markdown_table(summary)
    print(table, end="")
    if FLAGS.out:
        with open(FLAGS.out, "w") as f:
            f.write(table)
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(summary, f, indent=2)


def _usage():
    sys.exit("error: give one or more run directories (or folders holding them).")


if __name__ == "__main__":
    flags.DEFINE_string("out", None, "Also write the Markdown table to this file.")
    flags.DEFINE_string("json", None, "Also write the summary (every number of the table, per row) as JSON.")
    flags.DEFINE_enum("score", "normalized_score", list(SCORES), "The score aggregated.")
    flags.DEFINE_integer("reps", 50_000, "Bootstrap replicates of the IQM interval (rliable's default).")
    flags.DEFINE_integer("bootstrap_seed", 0, "Seed of the bootstrap.")
    FLAGS = flags.FLAGS
    app.run(main)
