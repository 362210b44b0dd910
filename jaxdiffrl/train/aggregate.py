"""Aggregates over seeds: mean with a Student-t 95 % interval, and rliable's IQM with a stratified
bootstrap confidence interval (Agarwal et al., 2021), in numpy.

``iqm`` and ``stratified_bootstrap_ci`` follow ``rliable.metrics.aggregate_iqm`` and
``rliable.library.get_interval_estimates`` (percentile intervals): a score matrix is
(runs, tasks); each bootstrap replicate resamples the runs of every task (column) with
replacement, independently per task, and the interval is the replicates' percentiles. rliable is
not a dependency (it pins arch, pandas and seaborn); tests/test_summarize.py compares the two
where rliable is installed.
"""

from collections.abc import Callable

import numpy as np
from scipy import stats


def iqm(scores) -> float:
    """Interquartile mean of every score: the mean of the middle 50 % after cutting
    ``floor(n / 4)`` values at each end (``scipy.stats.trim_mean(·, 0.25)``, as rliable)."""
    values = np.asarray(scores, np.float64).reshape(-1)
    return float(stats.trim_mean(values, proportiontocut=0.25, axis=None))


def mean(scores) -> float:
    return float(np.mean(np.asarray(scores, np.float64)))


def mean_ci95(values, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, low, high) along ``axis``, NaN left out: mean ± t₀.₉₇₅(n − 1)·s/√n over the n finite
    values; the bounds are NaN where n < 2."""
    values = np.asarray(values, np.float64)
    finite = np.isfinite(values)
    n = finite.sum(axis=axis)
    safe = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = safe.sum(axis=axis) / n
        deviations = np.where(finite, values - np.expand_dims(centre, axis), 0.0)
        std = np.sqrt((deviations**2).sum(axis=axis) / (n - 1))
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * std / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return centre, centre - half, centre + half


def _iqm_rows(samples: np.ndarray) -> np.ndarray:
    """``iqm`` of each row of (reps, n) samples at once."""
    n = samples.shape[1]
    cut = int(0.25 * n)
    return np.sort(samples, axis=1)[:, cut : n - cut].mean(axis=1)


_ROWWISE = {iqm: _iqm_rows, mean: lambda samples: samples.mean(axis=1)}


def stratified_bootstrap_ci(
    scores,
    statistic: Callable[[np.ndarray], float] = iqm,
    reps: int = 50_000,
    size: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """The ``size`` percentile interval of ``statistic`` over ``reps`` stratified bootstrap
    replicates of ``scores`` ((runs,) or (runs, tasks)): every replicate draws, for each task, its
    runs with replacement (rliable's defaults: 50 000 replicates, percentile method). A single run
    has no spread: its interval is the point itself."""
    scores = np.asarray(scores, np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    runs, tasks = scores.shape
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, runs, size=(reps, runs, tasks))
    samples = scores[rows, np.arange(tasks)]  # (reps, runs, tasks)
    if statistic in _ROWWISE:
        replicates = _ROWWISE[statistic](samples.reshape(reps, -1))
    else:
        replicates = np.array([statistic(sample) for sample in samples])
    alpha = 100.0 * (1.0 - size) / 2.0
    low, high = np.percentile(replicates, [alpha, 100.0 - alpha])
    return float(low), float(high)
