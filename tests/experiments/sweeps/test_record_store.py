"""The sweep's run store (issue 15): append-only JSON-lines files, torn lines, duplicates,
100,000 records, extending a sweep with more replicates or points, and old sweep folders.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from spiral.experiments.common.manifest import seed_text
from spiral.experiments.sweeps.records import (
    RecordLog,
    check_records,
    finished_runs,
    is_done,
    log_files,
    record_key,
)
from spiral.experiments.sweeps.spec import SweepError
from spiral.experiments.sweeps.store import legacy_fingerprint
from spiral.experiments.sweeps.summary import combine
from spiral.experiments.sweeps.sweep import plan, run_sweep

SMALL = """
name = "store"
scenario = "zhima-spiral"
design = "grid"
replicates = 2
seed = 5

[fixed]
n_citizens = 150
ticks = 20
cohort_share = 0.05

[parameters]
fear_mean = { values = [0.2, 0.8] }
"""


def write(folder: Path, text: str, name: str = "store.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class FakeTask:
    """What the store's bookkeeping needs of a run task."""

    point: int
    replicate: int
    seed: int
    changes: dict
    sweep_seed: int = 1

    @property
    def key(self) -> str:
        return record_key(self.point, self.replicate)


def record(point: int, replicate: int, *, status: str = "ok", value: float = 1.0) -> dict:
    seed = point * 1_000_003 + replicate
    out = {"sweep_seed": 1, "point": point, "replicate": replicate, "seed": seed,
           "seed_text": seed_text(seed), "status": status,
           "params": {"fear_mean": round(point / 10_000, 6)},
           "measures": {} if status != "ok" else
           {f"m{k}": value + point * 1e-4 + replicate * 1e-3 + k for k in range(8)},
           "elapsed_s": 0.01}
    if status != "ok":
        out["error"] = {"type": "RuntimeError", "message": "boom", "traceback": None}
    return out


def test_a_torn_last_line_is_ignored_then_cut_off(tmp_path):
    with RecordLog(tmp_path) as log:
        for p in range(3):
            log.append(record(p, 0))
    path = log_files(tmp_path)[0]
    path.write_bytes(path.read_bytes() + b'{"sweep_seed":1,"point":3,"repl')
    assert sorted(finished_runs(tmp_path)) == [record_key(p, 0) for p in range(3)]
    assert not path.read_bytes().endswith(b"\n")  # reading alone changes nothing
    finished_runs(tmp_path, clean=True)
    assert path.read_bytes().endswith(b"\n")
    with RecordLog(tmp_path) as log:  # an append after a torn line starts a line of its own
        path.write_bytes(path.read_bytes() + b'{"torn')
        log.append(record(3, 0))
    assert sorted(finished_runs(tmp_path)) == [record_key(p, 0) for p in range(4)]
    assert len(log_files(tmp_path)) == 1


def test_a_run_recorded_twice_counts_once_and_the_latest_success_wins(tmp_path):
    with RecordLog(tmp_path) as log:
        log.append(record(0, 0, status="failed"))
        log.append(record(0, 0, value=2.0))       # the retry
        log.append(record(0, 0, value=3.0))       # recorded again (e.g. a lost worker's run)
        log.append(record(1, 0, value=1.0))
        log.append(record(1, 0, status="failed"))  # a later failure does not undo a success
        log.append(record(2, 0, status="failed"))
    runs = finished_runs(tmp_path)
    assert len(runs) == 3
    assert runs["p000000-r0000"]["measures"]["m0"] == pytest.approx(3.0)
    assert is_done(runs["p000001-r0000"]) and not is_done(runs["p000002-r0000"])


def test_files_roll_over_and_are_read_in_order(tmp_path):
    with RecordLog(tmp_path, roll_bytes=2_000) as log:
        for rep in range(3):
            for p in range(10):
                log.append(record(p, 0, value=float(rep)), sync=False)
    assert len(log_files(tmp_path)) > 2
    runs = finished_runs(tmp_path)
    assert len(runs) == 10 and all(r["measures"]["m0"] >= 2.0 for r in runs.values())


def test_100000_records_resume_and_summary_stay_fast(tmp_path, capsys):
    """100,000 synthetic runs through the store: bookkeeping and summary times, file count."""
    points, replicates = 10_000, 10
    tasks = [FakeTask(p, r, p * 1_000_003 + r, {"fear_mean": round(p / 10_000, 6)})
             for p in range(points) for r in range(replicates)]
    out = tmp_path / "big"
    out.mkdir()
    start = time.perf_counter()
    with RecordLog(out) as log:
        for task in tasks:
            failed = task.point % 1000 == 7 and task.replicate == 0  # 10 failed runs
            log.append(record(task.point, task.replicate,
                              status="failed" if failed else "ok"), sync=False)
        for p in range(0, points, 1000):  # 10 runs recorded a second time (retries)
            log.append(record(p, 1), sync=False)
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    with RecordLog(out) as log:  # per-record fsync, as a sweep writes
        for r in range(1000):
            log.append(record(points + r, 0))
    fsync_s = time.perf_counter() - start
    store = log_files(out)[0]
    store.write_bytes(store.read_bytes() + b'{"sweep_seed":1,"po')  # a kill mid-write

    start = time.perf_counter()
    records = finished_runs(out, clean=True)
    check_records(out, {k: v for k, v in records.items() if v["point"] < points}, tasks)
    pending = [t for t in tasks if not is_done(records.get(t.key))]
    scan_s = time.perf_counter() - start
    assert len(records) == 100_000 + 1000 and len(pending) == 10

    keep = [v for v in records.values() if v["point"] < points]
    start = time.perf_counter()
    runs, summary, failed = combine(out, ["fear_mean"], records=keep)
    summary_s = time.perf_counter() - start
    assert len(runs) == 100_000 - 10 and len(failed) == 10
    assert not runs.duplicated(["point", "replicate"]).any()
    assert len(summary) == points * 8
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert len(files) <= 10, files
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    with capsys.disabled():
        print(f"\n[store] 100,000 records (+10 retries, 10 failed) written in {write_s:.2f} s "
              f"(bulk); 1,000 records with fsync each in {fsync_s:.2f} s "
              f"({fsync_s:.3f} ms/record); resume scan + check + pending of 101,000 "
              f"records in {scan_s:.2f} s; runs/summary/failed tables (write included) in "
              f"{summary_s:.2f} s; {len(files)} files ({', '.join(files)}), {size_mb:.0f} MB")


# --- real sweeps ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    return folder, run_sweep(write(folder, SMALL), folder / "out", show_progress=False)


def test_more_replicates_extend_the_sweep_and_only_the_new_runs_run(small, tmp_path):
    _, first = small
    out = tmp_path / "grown"
    shutil.copytree(first.out, out)
    bigger = write(tmp_path, SMALL.replace("replicates = 2", "replicates = 3"))
    result = run_sweep(bigger, out, resume=True, show_progress=False)
    assert (result.ran, result.skipped, result.failed) == (2, 4, 0)
    whole = run_sweep(bigger, tmp_path / "whole", show_progress=False)
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (whole.out / name).read_bytes(), name
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["n_runs"] == 6 and manifest["replicates"] == 3
    assert manifest["extensions"][0]["runs_before"] == 4
    assert "replicates = 3" in (out / "sweep.toml").read_text()


def test_more_design_points_extend_the_sweep(small, tmp_path):
    _, first = small
    out = tmp_path / "grown"
    shutil.copytree(first.out, out)
    bigger = write(tmp_path, SMALL.replace("[0.2, 0.8]", "[0.2, 0.8, 0.5]"))
    result = run_sweep(bigger, out, resume=True, show_progress=False)
    assert (result.ran, result.skipped) == (2, 4)
    assert len(pd.read_csv(out / "points.csv")) == 3
    whole = run_sweep(bigger, tmp_path / "whole", show_progress=False)
    assert (out / "runs.csv").read_bytes() == (whole.out / "runs.csv").read_bytes()


@pytest.mark.parametrize("change, pattern", [
    (("[0.8, 0.2]", None), "has parameters fear_mean=0.2, but .* has fear_mean=0.8"),  # points moved
    (("n_citizens = 150", "n_citizens = 160"), "different sweep"),  # fixed parameter
    (("seed = 5", "seed = 6"), "different sweep"),                  # seeds
    (("replicates = 2", "replicates = 1"), "not a run of this sweep"),  # shrinking
])
def test_an_extension_that_changes_recorded_runs_is_refused(small, tmp_path, change, pattern):
    _, first = small
    out = tmp_path / "changed"
    shutil.copytree(first.out, out)
    old, new = change
    text = SMALL.replace("[0.2, 0.8]", old) if new is None else SMALL.replace(old, new)
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(SweepError, match=pattern):
        run_sweep(write(tmp_path, text), out, resume=True, show_progress=False)
    assert sorted(p.name for p in out.rglob("*")) == before


def test_an_old_sweep_folder_with_one_file_per_run_resumes(small, tmp_path):
    """A folder of the previous store (runs/<key>.json) is read and resumed, not extended."""
    _, first = small
    out = tmp_path / "old"
    shutil.copytree(first.out, out)
    records = finished_runs(out)
    shutil.rmtree(out / "records")
    (out / "runs").mkdir()
    for key, rec in list(records.items())[:-1]:  # the last run was not finished
        (out / "runs" / f"{key}.json").write_text(json.dumps(rec, indent=1) + "\n")
    spec_path = write(tmp_path, SMALL)
    manifest = json.loads((out / "sweep.json").read_text())
    del manifest["store_version"]
    manifest["fingerprint"] = legacy_fingerprint(*_spec_tasks(spec_path))
    (out / "sweep.json").write_text(json.dumps(manifest))
    result = run_sweep(spec_path, out, resume=True, show_progress=False)
    assert (result.ran, result.skipped) == (1, 3)
    assert (out / "runs.csv").read_bytes() == (first.out / "runs.csv").read_bytes()
    assert json.loads((out / "sweep.json").read_text())["store_version"] == 2


def _spec_tasks(path: Path):
    from spiral.experiments.sweeps.spec import load_sweep

    spec = load_sweep(path)
    return spec, plan(spec)[1]
