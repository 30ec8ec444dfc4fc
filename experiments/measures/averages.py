"""The mean and the median the measures report, on numpy arrays; the t quantile of intervals.

:func:`mean` and :func:`median` give the numbers pandas gives (``Series.mean``,
``Series.median``: NaN values skipped, NaN when nothing is left) without building a Series for
each of the many small averages of a run's summary. :func:`t_critical` is the Student t
quantile of every confidence interval the tool reports (over replicates, sweep points,
ensembles): ``scipy.stats.t.ppf``'s numbers from ``scipy.special``, which loads in a fraction
of the time (a sweep computes its summary after its workers have finished).
"""

from __future__ import annotations

import math

import numpy as np


def mean(values) -> float:
    """Mean of ``values``, NaN values skipped (NaN if none is left), as pandas computes it:
    floats summed in their own dtype with NaN counted as 0, integers and booleans in float64.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        count = values.size - int(np.count_nonzero(missing))
        if count == 0:
            return math.nan
        if count < values.size:
            values = np.where(missing, values.dtype.type(0), values)
        return float(values.sum() / values.dtype.type(count))
    if values.size == 0:
        return math.nan
    return float(values.sum(dtype=np.float64) / np.float64(values.size))


def median(values) -> float:
    """Median of ``values``, NaN values skipped (NaN if none is left), as pandas computes it:
    floats in their own dtype, integers and booleans in float64.
    """
    values = np.asarray(values)
    floats = values.dtype.kind == "f"
    values = values[~np.isnan(values)] if floats else values.astype(np.float64)
    return float(np.median(values)) if values.size else math.nan


def t_critical(confidence: float, df):
    """The Student t quantile ``t(0.5 + confidence / 2, df)`` of a two-sided interval
    (``df`` a number or an array; the values of ``scipy.stats.t.ppf``).
    """
    from scipy.special import stdtrit

    return stdtrit(np.asarray(df, dtype=np.float64), 0.5 + confidence / 2)
