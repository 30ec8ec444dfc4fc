"""Bad calibration input: one line, exit status 2, nothing written."""

from __future__ import annotations

import pytest
from spiral.experiments.calibration.spec import load_calibration
from spiral.experiments.cli import main

from .conftest import calibration_text

MEASURE = """[[targets]]
measure = "{key}"
value = {value}
{scale}
"""

BAD = {
    "unknown parameter": dict(priors='listing_rat = {low = 0.001, high = 0.002}'),
    "prior outside the range": dict(priors='listing_rate = {low = 0.5, high = 1.5}'),
    "log-uniform from zero": dict(priors='listing_rate = {distribution = "log-uniform", '
                                  'low = 0.0, high = 0.01}'),
    "no bounds": dict(priors='listing_rate = {distribution = "uniform"}'),
    "not a number parameter": dict(priors='network = {low = 0, high = 1}'),
    "unknown measure": dict(targets=MEASURE.format(key="contact_los_12m__spiral", value=0.5,
                                                   scale="scale = 0.1")),
    "unknown variant in a measure": dict(targets=MEASURE.format(
        key="contact_loss_12m__nobody", value=0.5, scale="scale = 0.1")),
    "NaN target": dict(targets=MEASURE.format(key="contact_loss_12m__penalty", value="nan",
                                              scale="scale = 0.1")),
    "no scale": dict(targets=MEASURE.format(key="contact_loss_12m__penalty", value=0.5,
                                            scale="")),
    "zero scale": dict(targets=MEASURE.format(key="contact_loss_12m__penalty", value=0.5,
                                              scale="scale = 0")),
    "CSV without the column": dict(targets='[[targets]]\nseries = "listed_share"\nvariant = '
                                   '"penalty"\ncsv = "obs.csv"\ncolumn = "nope"\nsource = "x"\n'
                                   'scale = 0.1\n'),
    "CSV missing": dict(targets='[[targets]]\nseries = "listed_share"\nvariant = "penalty"\n'
                        'csv = "gone.csv"\ncolumn = "share"\nsource = "x"\nscale = 0.1\n'),
    "series without source": dict(targets='[[targets]]\nseries = "listed_share"\nvariant = '
                                  '"penalty"\ncsv = "obs.csv"\ncolumn = "share"\nscale = 0.1\n'),
    "unknown series": dict(targets='[[targets]]\nseries = "listed_sharez"\nvariant = "penalty"'
                           '\ncsv = "obs.csv"\ncolumn = "share"\nsource = "x"\nscale = 0.1\n'),
    "bad population": dict(abc="population_size = 0"),
    "increasing epsilons": dict(abc="epsilons = [1, 2]"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_status_2_nothing_written(case, write_calibration, tmp_path, capsys):
    path = write_calibration(**BAD[case])
    out = tmp_path / "out"
    status = main(["calibrate", str(path), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("spiral calibrate: error: ")
    assert not out.exists()


def test_unknown_parameter_suggests_the_name(write_calibration):
    path = write_calibration(priors=BAD["unknown parameter"]["priors"])
    with pytest.raises(Exception, match="did you mean 'listing_rate'"):
        load_calibration(path)


def test_good_file_reads_the_series(write_calibration):
    spec = load_calibration(write_calibration())
    assert spec.observed == {"cumulative_listings_share@6": 0.004,
                             "cumulative_listings_share@12": 0.010,
                             "cumulative_listings_share@18": 0.014,
                             "cumulative_listings_share@24": 0.020}
    assert spec.priors[0].distribution == "log-uniform"
    assert calibration_text()  # the helper stays importable
