"""The one training engine: device-resident data, scanned chunks, vmapped and sharded runs."""

from jaxdiffrl.train.engine import train
from jaxdiffrl.train.runs import Run, make_runs, parse_sweep

__all__ = ["train", "Run", "make_runs", "parse_sweep"]
