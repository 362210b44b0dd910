"""The one training engine: device-resident data, scanned chunks, vmapped and sharded runs."""

from jaxdiffrl.train.engine import train
from jaxdiffrl.train.phases import Phase
from jaxdiffrl.train.runs import Run, make_runs, parse_sweep

__all__ = ["train", "Phase", "Run", "make_runs", "parse_sweep"]
