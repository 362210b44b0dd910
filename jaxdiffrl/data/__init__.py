"""Offline datasets: the OfflineDataset struct, Minari loading, D4RL conventions, toy and local data."""

from jaxdiffrl.data.conventions import apply_conventions, default_data_config
from jaxdiffrl.data.dataset import DatasetError, OfflineDataset, validate
from jaxdiffrl.data.minari_source import DatasetNotFoundError, load_minari
from jaxdiffrl.data.registry import load_dataset, prepare_dataset

__all__ = [
    "OfflineDataset",
    "DatasetError",
    "DatasetNotFoundError",
    "validate",
    "apply_conventions",
    "default_data_config",
    "load_minari",
    "load_dataset",
    "prepare_dataset",
]
