"""The data files of fixed-seed runs match the checksums recorded in tests/data/checksums.json.

The record was made before the layout change of issue 9 and proves that moving code did not
change results. When a change alters results on purpose, regenerate it with
``python -m spiral.experiments.tools.checksums --write`` (never by hand) and say so in
CHANGELOG.md.
"""

import json
from pathlib import Path

from spiral.experiments.tools import checksums

RECORD = Path(__file__).resolve().parent / "data" / "checksums.json"


def test_fixed_seed_runs_match_the_recorded_checksums():
    problems = checksums.check(RECORD)
    assert not problems, ("results changed:\n" + "\n".join(problems)
                          + f"\nif on purpose, run: {checksums.REGENERATE}")


def test_the_record_is_the_tool_output_for_the_current_cases():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert record["regenerate"] == checksums.REGENERATE
    assert {name: case["command"] for name, case in record["cases"].items()} == {
        case.name: case.command() for case in checksums.CASES}
    assert checksums.RECORD_PATH == RECORD


def test_compare_names_changed_missing_and_new_files():
    recorded = {"cases": {"run": {"command": ["spiral"], "files": {"a.csv": "1", "b.csv": "2"}},
                          "old": {"command": [], "files": {}}}}
    now = {"cases": {"run": {"command": ["spiral"], "files": {"a.csv": "1", "b.csv": "3",
                                                               "c.csv": "4"}}}}
    problems = checksums.compare(recorded, now)
    assert len(problems) == 3
    assert any(p.startswith("run/b.csv: checksum") for p in problems)
    assert "run/c.csv: written but not recorded" in problems
    assert "old: recorded case no longer run" in problems
    assert checksums.compare(recorded, recorded) == []


def test_case_files_hash_only_the_compared_files(tmp_path):
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / "episodes.csv").write_text("x\n1\n")
    (tmp_path / "manifest.json").write_text('{"created_utc": "now"}')
    files = checksums.CASES[0].files(tmp_path)
    assert sorted(files) == ["episodes.csv", "summary.json"]
    assert files["summary.json"] == checksums.sha256(tmp_path / "summary.json")
