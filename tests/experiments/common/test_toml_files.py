"""One TOML reader, one error format: missing file, non-UTF-8 bytes and syntax errors name the
file (and line), for scenario files and sweep files alike, and end the command with one line.
"""

from __future__ import annotations

import pytest
from spiral.experiments import cli
from spiral.experiments.common.tomlfile import key_location, read_toml
from spiral.experiments.runs.scenario import ScenarioError, load_scenario
from spiral.experiments.sweeps.spec import SweepError, load_sweep
from spiral.model.errors import InputError


def test_missing_file(tmp_path):
    path = tmp_path / "nothing.toml"
    with pytest.raises(InputError) as info:
        read_toml(path)
    assert str(info.value) == f"{path}: file not found"


def test_non_utf8_bytes_name_the_byte_and_offset(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(InputError) as info:
        read_toml(path)
    assert str(info.value) == (f"{path}: not UTF-8 text (byte 0xe9 at offset 11); save the "
                               "file as UTF-8")


def test_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n\n[params]\nfear_mean = = 0.5\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_toml(path)
    message = str(info.value)
    assert message.startswith(f"{path}:4: invalid TOML: ")
    assert "(at line" not in message and "\n" not in message


def test_error_at_the_end_of_the_file_still_has_a_line(tmp_path):
    path = tmp_path / "open.toml"
    path.write_text('name = "x"\nvalues = [1, 2\n', encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{path}:\d+: invalid TOML: "):
        read_toml(path)


def test_chosen_error_class_a_folder_and_a_byte_order_mark(tmp_path):
    with pytest.raises(SweepError, match="is a folder"):
        read_toml(tmp_path, error=SweepError)
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfname = 'x'\nseed = 3\n")
    data, text = read_toml(path)
    assert data == {"name": "x", "seed": 3} and text.startswith("name")
    assert key_location(path, text, "seed") == f"{path}:2"
    assert key_location(path, text, "missing") == str(path)


@pytest.mark.parametrize("loader, error", [(load_scenario, ScenarioError),
                                           (load_sweep, SweepError)])
def test_scenarios_and_sweeps_share_the_format(tmp_path, loader, error):
    path = tmp_path / "file.toml"
    path.write_bytes(b'name = "x"\ndescription = "\xff"\n')
    with pytest.raises(error, match=r"file.toml: not UTF-8 text \(byte 0xff at offset 26\)"):
        loader(path)
    path.write_text('name = "x"\nseed = = 1\n', encoding="utf-8")
    with pytest.raises(error, match=r"file.toml:2: invalid TOML: "):
        loader(path)
    with pytest.raises(error, match=r"nope.toml: file not found$"):
        loader(tmp_path / "nope.toml")


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_commands_end_with_one_line(tmp_path, capsys, command):
    path = tmp_path / "file.toml"
    path.write_bytes(b'name = "\xe9"\n')
    out = tmp_path / "out"
    assert cli.main([command, str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not UTF-8 text (byte 0xe9 at offset 8)" in err[0]
    assert not out.exists()
