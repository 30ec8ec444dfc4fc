"""The mean and the median the measures report, on numpy arrays.

They give the numbers pandas gives (``Series.mean``, ``Series.median``: NaN values skipped, NaN
when nothing is left; sums in float64) without building a Series for each of the many small
averages of a run's summary.
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
