"""Sensitivity analysis: SALib wiring checked on functions with known indices, the command end
to end on the small example, and clear errors for unusable files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spiral.experiments import cli
from spiral.experiments.sweeps import sensitivity
from spiral.experiments.sweeps.spec import SweepError, load_sweep

SMALL = Path(__file__).resolve().parents[3] / "experiments" / "sweeps" / \
    "sobol-amplification-small.toml"


def designs(samples: int = 256):
    spec = load_sweep(SMALL)
    options = {**sensitivity.sensitivity_options(spec), "sobol_samples": samples,
               "morris_trajectories": 30}
    return (sensitivity.design_for(spec, "sobol", options),
            sensitivity.design_for(spec, "morris", options))


def outputs(points, function):
    return pd.DataFrame({"y": [function(p) for p in points]})


def test_sobol_indices_of_a_function_with_known_answer():
    sobol, _ = designs()
    points = sobol.points()
    # y depends on network_weight only: S1 = ST = 1 for it, 0 for the others
    table = sensitivity.sobol_indices(sobol, outputs(points, lambda p: p["network_weight"]),
                                      ["y"]).set_index("parameter")
    assert table.loc["network_weight", "S1"] == pytest.approx(1.0, abs=0.05)
    assert table.loc["network_weight", "ST"] == pytest.approx(1.0, abs=0.05)
    for other in ("fear_strength", "listing_penalty"):
        assert abs(table.loc[other, "S1"]) < 0.05 and table.loc[other, "ST"] < 0.05
    assert (table["S1_conf"] >= 0).all()


def test_sobol_total_index_sees_an_interaction():
    sobol, _ = designs()
    points = sobol.points()
    # y = (w - 0.425) * (f - 0.5): no first-order effect, all of it interaction
    table = sensitivity.sobol_indices(
        sobol, outputs(points, lambda p: (p["network_weight"] - 0.425) * (p["fear_strength"] - 0.5)),
        ["y"]).set_index("parameter")
    for name in ("network_weight", "fear_strength"):
        assert table.loc[name, "S1"] < 0.1 and table.loc[name, "ST"] > 0.8


def test_morris_screens_out_an_inactive_parameter():
    _, morris = designs()
    points = morris.points()
    table = sensitivity.morris_indices(
        morris, points, outputs(points, lambda p: 2 * p["fear_strength"] + p["listing_penalty"] / 250),
        ["y"]).set_index("parameter")
    assert table.loc["network_weight", "mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["fear_strength", "mu_star"] > 0
    assert table.loc["listing_penalty", "mu_star"] > 0
    assert table.loc["fear_strength", "sigma"] == pytest.approx(0.0, abs=1e-9)  # linear: no spread


def test_missing_values_are_never_imputed_but_analysed_as_missingness():
    sobol, _ = designs(64)
    points = sobol.points()
    # the measure exists only where network_weight > 0.4: its missingness is decided by it
    frame = pd.DataFrame({"y": [p["fear_strength"] if p["network_weight"] > 0.4 else np.nan
                                for p in points]})
    table = sensitivity.sobol_indices(sobol, frame, ["y"])
    assert set(table["measure"]) == {"missing:y"}  # no imputed "y" rows
    missing = table.set_index("parameter")
    assert missing.loc["network_weight", "ST"] > 0.8
    assert missing.loc["fear_strength", "ST"] < 0.1


def test_replicate_noise_share_and_flags():
    from spiral.experiments.sweeps.indices import replicate_noise

    runs = pd.DataFrame({"point": [0, 0, 1, 1], "y": [1.0, 3.0, 11.0, 13.0],
                         "z": [1.0, 1.0, 1.0, 1.0]})
    noise = replicate_noise(runs, ["y", "z"])
    within, total = 2.0, runs["y"].var(ddof=1)
    assert noise["y"] == pytest.approx(within / total)
    assert np.isnan(noise["z"])  # no variance at all
    sobol, _ = designs(16)
    points = sobol.points()
    rng = np.random.default_rng(0)
    table = sensitivity.sobol_indices(sobol, outputs(points, lambda p: rng.normal()), ["y"])
    assert table["flags"].str.contains("interval wider than the index").any()
    assert (table["samples_for_0.1"] > 16).all()


def test_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "sens"
    assert cli.main(["sensitivity", str(SMALL), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "sobol indices" in printed and "morris indices" in printed
    sobol = pd.read_csv(out / "sobol_indices.csv")
    assert set(sobol["measure"]) <= {"score_loss_12m__spiral", "isolated_share__spiral",
                                     "missing:score_loss_12m__spiral",
                                     "missing:isolated_share__spiral"}
    assert set(sobol["parameter"]) == {"network_weight", "fear_strength", "listing_penalty"}
    assert sobol[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all()
    morris = pd.read_csv(out / "morris_indices.csv")
    assert len(morris) == 6 and (morris["mu_star"] >= 0).all()
    for name in ("sensitivity_sobol.png", "sensitivity_sobol.svg", "sensitivity_morris.png",
                 "sobol/runs.csv", "morris/summary.csv"):
        assert (out / name).is_file(), name
    assert len(pd.read_csv(out / "sobol" / "runs.csv")) == 8 * 5
    # resuming a finished analysis runs nothing and gives the same indices
    assert cli.main(["sensitivity", str(SMALL), "--out", str(out), "--quiet", "--resume"]) == 0
    assert pd.read_csv(out / "sobol_indices.csv").equals(sobol)


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("change", "pattern"), [
    (("[sensitivity]", "[sensitivity]\nsobol_samples = 12"), "power of 2"),
    (("[sensitivity]", "[sensitivity]\nmethod = ['sobol']"), "unknown key 'method'"),
    (("morris_trajectories = 6", "morris_trajectories = 6\nmethods = ['fast']"), "methods"),
])
def test_bad_sensitivity_options(tmp_path, change, pattern):
    path = write(tmp_path, SMALL.read_text().replace(*change))
    with pytest.raises(SweepError, match=pattern):
        sensitivity.sensitivity_options(load_sweep(path))


def test_values_lists_cannot_be_analysed(tmp_path):
    text = SMALL.read_text().replace('design = "sobol"\nsamples = 8', 'design = "grid"').replace(
        "fear_strength = { low = 0.0, high = 1.0 }", "fear_strength = { values = [0.1, 0.9] }").replace(
        "network_weight = { low = 0.05, high = 0.8 }",
        "network_weight = { low = 0.05, high = 0.8, steps = 2 }").replace(
        "listing_penalty = { low = 50.0, high = 300.0 }",
        "listing_penalty = { low = 50.0, high = 300.0, steps = 2 }")
    with pytest.raises(SweepError, match="fear_strength: sensitivity analysis needs a numeric range"):
        sensitivity.sensitivity_options(load_sweep(write(tmp_path, text)))


def test_unknown_measure_is_named(tmp_path):
    runs = pd.DataFrame({"point": [0, 1], "amplification_12m": [1.0, 2.0]})
    with pytest.raises(SweepError, match=r"'amplification_21m'.*did you mean 'amplification_12m'"):
        sensitivity.point_means(runs, ["amplification_21m"])


@pytest.mark.parametrize(("measure", "pattern"), [
    ("isolated_share", "not MEASURE__VARIANT.*did you mean 'isolated_share__"),
    ("score_loss_12m__penalty", "needs variant 'penalty'"),
    ("score_loss_12m__shapley-S", "needs variant 'penalty'"),
])
def test_measures_are_checked_before_any_run(tmp_path, measure, pattern):
    text = SMALL.read_text().replace('measures = ["score_loss_12m__spiral", '
                                     '"isolated_share__spiral"]', f'measures = ["{measure}"]')
    with pytest.raises(SweepError, match=pattern):
        sensitivity.sensitivity_options(load_sweep(write(tmp_path, text)))
