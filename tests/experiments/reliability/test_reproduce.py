"""``spiral reproduce DIR``: a run, a sweep and a sensitivity analysis rerun from their
manifests give byte-identical data files (exit 0); a changed data file is named (exit 1);
package versions that differ from the manifest's are named.
"""

from __future__ import annotations

import json
import shutil

import pytest
from spiral.experiments import cli
from spiral.experiments.common.manifest import package_versions

SWEEP = """name = "again"
scenario = "zhima-spiral"
design = "grid"
replicates = 2
seed = 3

[fixed]
n_citizens = 150
ticks = 14

[parameters]
fear_mean = { values = [0.2, 0.8] }
"""

MORRIS = SWEEP.replace('design = "grid"', 'design = "morris"\nsamples = 2').replace(
    "replicates = 2", "replicates = 1").replace("{ values = [0.2, 0.8] }",
                                                "{ low = 0.2, high = 0.8 }\n"
                                                "hearing_prob = { low = 0.1, high = 0.9 }"
                                                ) + '\n[sensitivity]\nmethods = ["morris"]\n'


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "again.toml"
    path.write_text(SWEEP, encoding="utf-8")
    assert cli.main(["sweep", str(path), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


def report(capsys) -> str:
    return capsys.readouterr().out


def test_a_sweep_reproduces_byte_for_byte(sweep_dir, capsys):
    assert cli.main(["reproduce", str(sweep_dir)]) == 0
    out = report(capsys)
    assert "result: every data file is byte-identical" in out
    assert "identical: 4 data file(s)" in out  # points.csv, runs.csv/.parquet, summary.csv


def test_a_changed_data_file_is_named(sweep_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    runs = (copy / "runs.csv").read_text().splitlines()
    runs[1] = runs[1][:-1] + ("9" if runs[1][-1] != "9" else "8")
    (copy / "runs.csv").write_text("\n".join(runs) + "\n")
    manifest = json.loads((copy / "sweep.json").read_text())
    manifest["versions"]["numpy"] = "0.0.1"
    (copy / "sweep.json").write_text(json.dumps(manifest))
    assert cli.main(["reproduce", str(copy)]) == 1
    out = report(capsys)
    assert "differ: 1 data file(s): runs.csv" in out and "NOT identical" in out
    assert f"numpy {package_versions()['numpy']} (manifest: 0.0.1)" in out


def test_the_rerun_can_be_kept(sweep_dir, tmp_path, capsys):
    keep = tmp_path / "rerun"
    assert cli.main(["reproduce", str(sweep_dir), "--keep", str(keep)]) == 0
    capsys.readouterr()
    assert (keep / "runs.csv").read_bytes() == (sweep_dir / "runs.csv").read_bytes()


def test_a_run_reproduces_byte_for_byte(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--set", "n_citizens=150", "--ticks", "10", "--seed", "9",
                     "--workers", "1", "--replicates", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["reproduce", str(out)]) == 0
    text = report(capsys)
    assert "result: every data file is byte-identical" in text
    assert "figures" not in text


def test_a_sensitivity_analysis_reproduces(tmp_path, capsys):
    path = tmp_path / "morris.toml"
    path.write_text(MORRIS, encoding="utf-8")
    out = tmp_path / "sens"
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["reproduce", str(out)]) == 0
    text = report(capsys)
    assert "result: every data file is byte-identical" in text


def test_every_declared_dependency_is_recorded():
    from importlib import metadata

    versions = package_versions()
    declared = [r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()
                for r in metadata.requires("blacklist-spiral") or []]
    assert {"python", "blacklist-spiral", *declared} <= set(versions)
    assert all(versions[name] != "not installed" for name in ("numpy", "pandas", "scipy",
                                                             "networkx", "pyarrow", "mesa"))
