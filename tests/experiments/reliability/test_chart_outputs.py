"""``spiral charts`` writes its folder under a temporary name (kind ``charts``): a second run
needs ``--overwrite``, which keeps the user's files; and the same numbers give byte-identical
SVG and PDF files, even from two processes (fixed metadata and ids).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from spiral.experiments import cli


def tipping_sweep(folder: Path) -> Path:
    rows = ["point,fear_mean,network_weight,measure,n,mean,sd,ci_low,ci_high"]
    for k, (f, w) in enumerate((f, w) for f in (0.1, 0.5, 0.9) for w in (0.0, 0.4, 0.8)):
        rows.append(f"{k},{f},{w},ties_lost_share,2,{f * w},0.0,{f * w},{f * w}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_same_numbers_give_byte_identical_svg_and_pdf(tmp_path):
    sweep = tipping_sweep(tmp_path / "sweep")
    for name in ("a", "b"):
        done = subprocess.run([sys.executable, "-m", "spiral.experiments.cli", "charts",
                               str(sweep), "--format", "svg,pdf,png", "--out",
                               str(tmp_path / name)], capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    for suffix in ("svg", "pdf", "png", "csv"):
        a = (tmp_path / "a" / f"tipping-point.{suffix}").read_bytes()
        assert a == (tmp_path / "b" / f"tipping-point.{suffix}").read_bytes(), suffix
    svg = (tmp_path / "a" / "tipping-point.svg").read_text()
    assert "<dc:date>" not in svg


def test_charts_again_needs_overwrite_and_keeps_the_users_files(tmp_path, capsys):
    sweep = tipping_sweep(tmp_path / "sweep")
    assert cli.main(["charts", str(sweep)]) == 0
    charts = sweep / "charts"
    assert (charts / "manifest.json").is_file() and (charts / "tipping-point.svg").is_file()
    (charts / "caption.txt").write_text("my caption")
    assert cli.main(["charts", str(sweep)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]
    assert cli.main(["charts", str(sweep), "--overwrite"]) == 0
    assert (charts / "caption.txt").read_text() == "my caption"
    assert not [p for p in sweep.iterdir() if p.name.startswith(".")]
