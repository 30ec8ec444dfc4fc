"""docs/ODD.md is up to date with the parameter table and documents every parameter."""

from spiral.experiments.tools import odd
from spiral.model.params import PARAMS


def test_odd_is_up_to_date_with_the_generator():
    text = odd.ODD_PATH.read_text(encoding="utf-8")
    assert odd.render(text) == text, "run: python -m spiral.experiments.tools.odd"


def test_odd_covers_every_parameter():
    text = odd.ODD_PATH.read_text(encoding="utf-8")
    missing = [name for name in PARAMS if f"| `{name}` |" not in text]
    assert not missing


def test_render_replaces_stale_generated_text():
    stale = ("x\n<!-- BEGIN GENERATED: parameter-count -->\nstale\n"
             "<!-- END GENERATED: parameter-count -->\n")
    out = odd.render(stale)
    assert "stale" not in out and f"{len(PARAMS)} parameters" in out


def test_check_mode_reports_drift(tmp_path):
    path = tmp_path / "ODD.md"
    path.write_text("<!-- BEGIN GENERATED: parameter-tables -->\nold\n"
                    "<!-- END GENERATED: parameter-tables -->\n")
    assert odd.main(["--check", "--path", str(path)]) == 1
    assert odd.main(["--path", str(path)]) == 0
    assert odd.main(["--check", "--path", str(path)]) == 0
