"""Network and grade measures of a run: components, isolates, assortativity, grade mix.

Read from the ``timeseries`` table (one row per month, as written to ``timeseries.csv``).
"""

from __future__ import annotations

import pandas as pd


def network_summary(timeseries: pd.DataFrame) -> dict[str, float]:
    """Network and grade measures at the last tick, and changes since the start."""
    first, last = timeseries.iloc[0], timeseries.iloc[-1]
    keys = ("components", "largest_component_share", "isolates", "score_assortativity",
            "ties", "mean_score", "share_A", "share_B", "share_C", "share_D")
    out = {f"final_{k}": float(last[k]) for k in keys}
    out["ties_lost_share"] = float(1 - last["ties"] / first["ties"]) if first["ties"] else 0.0
    return out
