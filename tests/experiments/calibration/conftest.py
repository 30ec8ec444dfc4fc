"""Calibration files for the tests: a tiny town, one prior, a synthetic observation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pyabc")

CSV = """# synthetic
month,share,other
6,0.004,1
12,0.010,2
18,0.014,3
24,0.020,4
"""


def calibration_text(*, priors: str | None = None, targets: str | None = None,
                     abc: str = "population_size = 20\ngenerations = 2", n: int = 200) -> str:
    """A small valid calibration file, with parts replaced."""
    priors = priors or 'listing_rate = {distribution = "log-uniform", low = 0.0003, high = 0.006}'
    targets = targets or textwrap.dedent("""\
        [[targets]]
        series = "cumulative_listings_share"
        variant = "penalty"
        csv = "obs.csv"
        column = "share"
        source = "synthetic, for the tests"
        scale = 0.005
        """)
    return textwrap.dedent(f"""\
        name = "tiny"
        scenario = "zhima-spiral"
        variants = ["penalty"]
        seed = 3
        [params]
        n_citizens = {n}
        ticks = 24
        cohort_share = 0.0
        [priors]
        {priors}
        """) + targets + f"\n[abc]\n{abc}\npredictive_draws = 4\n"


@pytest.fixture
def write_calibration(tmp_path: Path):
    """``write_calibration(**parts) -> path`` of a calibration file next to obs.csv."""
    (tmp_path / "obs.csv").write_text(CSV, encoding="utf-8")

    def write(text: str | None = None, **parts) -> Path:
        path = tmp_path / "cal.toml"
        path.write_text(text if text is not None else calibration_text(**parts), encoding="utf-8")
        return path

    return write
