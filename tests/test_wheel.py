"""The built wheel holds every module and data file and runs from a fresh virtual environment.

The wheel is built from a copy of the source tree (so the build leaves nothing in the
repository), installed without its dependencies into a new virtual environment, not editable.
The dependencies come from this test's environment through a ``.pth`` file naming its
site-packages: ``.pth`` files inside a folder added that way are not processed, so the
editable install of the working tree stays invisible and the commands run the wheel's code.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# data files shipped with the code: bundled scenarios and example sweep files
DATA_GLOBS = ("experiments/scenarios/*.toml", "experiments/sweeps/*.toml")

pytestmark = pytest.mark.slow


def _run(args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env,
                          timeout=600, check=False, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _expected_members() -> dict[str, str]:
    """Wheel member name -> source path, for every module and data file of the source tree."""
    package_dir = PYPROJECT["tool"]["setuptools"]["package-dir"]
    expected = {}
    for package, folder in package_dir.items():
        prefix = package.replace(".", "/")
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(ROOT / folder).as_posix()
            expected[f"{prefix}/{rel}"] = path.relative_to(ROOT).as_posix()
    for pattern in DATA_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            folder, _, rest = path.relative_to(ROOT).as_posix().partition("/")
            package = next(p for p, f in package_dir.items() if f == folder)
            expected[f"{package.replace('.', '/')}/{rest}"] = path.relative_to(ROOT).as_posix()
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the source tree."""
    import importlib.util

    assert importlib.util.find_spec("setuptools"), "setuptools missing: pip install -e '.[test]'"
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for folder in PYPROJECT["tool"]["setuptools"]["package-dir"].values():
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--quiet", "-w", base / "dist", src])
    (built,) = (base / "dist").glob("blacklist_spiral-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (not editable)."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir])
    python = env_dir / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib.stdout.strip()) / "_outer_dependencies.pth").write_text(
        "\n".join(sorted(outer)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
          "--no-index", wheel])
    return env_dir


def test_wheel_holds_every_module_and_data_file(wheel):
    members = set(zipfile.ZipFile(wheel).namelist())
    missing = {member: source for member, source in _expected_members().items()
               if member not in members}
    assert not missing, ("not in the wheel (is the package in pyproject's packages, the data "
                         f"in package-data?): {sorted(missing.values())}")
    assert any(m.endswith(".dist-info/licenses/LICENSE") for m in members)


def test_installed_wheel_is_used_not_the_working_tree(venv):
    proc = _run([venv / "bin" / "python", "-c",
                 "import spiral.experiments, spiral.model, spiral.agents\n"
                 "for m in (spiral.experiments, spiral.model, spiral.agents): print(m.__file__)"])
    for line in proc.stdout.split():
        assert Path(line).resolve().is_relative_to(venv.resolve()), line


def test_installed_commands_run(venv, tmp_path):
    spiral = venv / "bin" / "spiral"
    version = _run([spiral, "--version"], cwd=tmp_path).stdout.strip()
    assert version == PYPROJECT["project"]["version"]
    listing = _run([spiral, "scenarios"], cwd=tmp_path).stdout
    assert "zhima-spiral" in listing and "suining-scale" in listing
    out = tmp_path / "three-months"
    _run([spiral, "run", "--ticks", "3", "--no-figures", "--out", out], cwd=tmp_path)
    assert (out / "summary.json").is_file() and (out / "timeseries.csv").is_file()
