"""Sweeps batch replicates of a design point into one engine: results never depend on it.

Batch sizes 1, 7 and the automatic size, one worker and two, all give byte-identical
``runs.csv``; a batch that raises falls back to its runs one by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spiral.experiments.sweeps import tasks as task_module
from spiral.experiments.sweeps.executors import RunBatch, RunTask, batches
from spiral.experiments.sweeps.spec import SweepError, load_sweep
from spiral.experiments.sweeps.sweep import batch_size, plan, run_sweep

NINE = """
name = "nine"
scenario = "zhima-spiral"
design = "grid"
replicates = 9
seed = 3

[fixed]
n_citizens = 120
ticks = 14
cohort_share = 0.05

[parameters]
fear_mean = { values = [0.4, 0.8] }
"""


@pytest.fixture(scope="module")
def unbatched(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unbatched")
    (folder / "s.toml").write_text(NINE, encoding="utf-8")
    return run_sweep(folder / "s.toml", folder / "out", batch=1, show_progress=False)


@pytest.mark.parametrize(("batch", "workers"), [(7, 1), (None, 2)])
def test_runs_are_identical_for_any_batch_size_and_worker_count(unbatched, tmp_path, batch,
                                                                 workers):
    (tmp_path / "s.toml").write_text(NINE, encoding="utf-8")
    result = run_sweep(tmp_path / "s.toml", tmp_path / "out", batch=batch, workers=workers,
                       show_progress=False)
    assert (result.out / "runs.csv").read_bytes() == \
        (unbatched.out / "runs.csv").read_bytes()
    assert len(result.runs) == 18


def test_batches_group_replicates_of_one_point_only(tmp_path):
    (tmp_path / "s.toml").write_text(NINE, encoding="utf-8")
    spec = load_sweep(tmp_path / "s.toml")
    _, tasks = plan(spec)
    items = batches(tasks, lambda task: 4)
    assert [len(i.tasks) if isinstance(i, RunBatch) else 1 for i in items] == [4, 4, 1, 4, 4, 1]
    assert all(isinstance(i, RunTask) or len({t.point for t in i.tasks}) == 1 for i in items)
    assert items[0].key == "p000000-r0000..p000000-r0003"
    # automatic: about 2**17 citizens a batch, but no worker left idle
    assert batch_size(spec, tasks, parallel=1)(tasks[0]) == 18
    assert batch_size(spec, tasks, parallel=2)(tasks[0]) == 9
    assert batch_size(spec, tasks, parallel=1, batch=5)(tasks[0]) == 5


def test_a_failing_batch_runs_its_runs_one_by_one(unbatched, tmp_path, monkeypatch):
    from spiral.experiments.runs import runner

    def broken(*args, **kwargs):
        raise RuntimeError("batched engine broke")

    monkeypatch.setattr(runner, "_run_batch", broken)
    (tmp_path / "s.toml").write_text(NINE, encoding="utf-8")
    result = run_sweep(tmp_path / "s.toml", tmp_path / "out", batch=7, show_progress=False)
    assert result.failed == 0
    assert (result.out / "runs.csv").read_bytes() == \
        (unbatched.out / "runs.csv").read_bytes()
    assert task_module.execute_batch  # the fallback lives there


def test_a_bad_batch_size_is_refused(tmp_path):
    (tmp_path / "s.toml").write_text(NINE, encoding="utf-8")
    for bad in (0, 65, 2.5, True):
        with pytest.raises(SweepError, match="--batch"):
            run_sweep(tmp_path / "s.toml", tmp_path / f"out{bad}", batch=bad,
                      show_progress=False)
    assert not any(Path(tmp_path).glob("out*/records"))


def test_the_docs_state_the_batch_defaults_the_code_uses():
    from spiral.experiments.sweeps.sweep import BATCH_CITIZENS, MAX_BATCH

    text = (Path(__file__).resolve().parents[3] / "docs" / "sweeps.md").read_text()
    assert f"about {BATCH_CITIZENS:,} citizens (at most\n{MAX_BATCH} runs)" in text
