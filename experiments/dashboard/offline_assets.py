"""Solara's browser assets without internet: fill its CDN cache from the npm registry.

Solara's pages load their JavaScript, CSS and fonts through the server's CDN proxy
(``/_solara/cdn/<package>@<version>/<file>``), which serves files from a cache folder and
fetches missing ones from a public CDN. Where that CDN is unreachable, the page stays blank.
This module fills the cache folder ahead of time with ``npm pack`` (the npm registry is
reachable where the CDN is not), at exactly the versions the installed solara names in its own
templates and widgets, so the dashboard then runs offline.

The cache folder is ``SOLARA_ASSETS_PROXY_CACHE_DIR`` if set, else solara's default
(``<venv>/share/solara/cdn``). Layout: one folder per package version, holding the package's
files as published (``@widgetti/solara-vuetify-app@10.1.1/dist/main8.css``, ...).

Usage::

    python -m spiral.experiments.dashboard.offline_assets            # fill the cache (idempotent)
    python -m spiral.experiments.dashboard.offline_assets --check    # exit 1 if something is missing
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The npm packages the dashboard's pages load from the CDN (README, "Dashboard").
PACKAGES = ("@widgetti/solara-vuetify-app", "@widgetti/solara-vuetify3-app",
            "@widgetti/vue-grid-layout", "requirejs", "font-awesome")
# Files of the installed solara that name those packages with a pinned version.
SOLARA_FILES = ("server/templates/solara.html.j2", "widgets/vue/gridlayout.vue",
                "widgets/vue/gridlayout_v3.vue", "server/settings.py")
MARKER = "package.json"  # present in every npm package: marks a complete cache entry
# Files the CDN derives on the fly (jsDelivr minifies on request) that npm packages lack:
# (package, requested file) -> file of the package served in its place.
DERIVED = {("requirejs", "require.min.js"): "require.js"}


class AssetError(RuntimeError):
    """The asset cache cannot be filled (npm missing, registry unreachable, unknown version)."""


@dataclass(frozen=True)
class Asset:
    """One npm package at one version, as solara's pages request it."""

    name: str
    version: str

    @property
    def spec(self) -> str:
        """``name@version`` as npm and the CDN spell it."""
        return f"{self.name}@{self.version}"

    def folder(self, cache_dir: Path) -> Path:
        """The package's folder inside the cache."""
        return cache_dir / self.spec


def solara_root() -> Path:
    """Folder of the installed ``solara`` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        raise AssetError("solara is not installed; install the project with mesa[rec]")
    return Path(next(iter(spec.submodule_search_locations)))


def required_assets(root: Path | None = None) -> list[Asset]:
    """The package versions the installed solara loads, read from its own source files.

    Raises:
        AssetError: A package of :data:`PACKAGES` is named nowhere (solara changed its layout).
    """
    root = root or solara_root()
    text = "\n".join((root / rel).read_text(encoding="utf-8") for rel in SOLARA_FILES
                     if (root / rel).is_file())
    found: list[Asset] = []
    for name in PACKAGES:
        pattern = re.compile(rf"(?<![\w-]){re.escape(name)}@(\d+\.\d+\.\d+(?:-[\w.]+)?)/")
        versions = sorted(set(pattern.findall(text)))
        if not versions:
            raise AssetError(f"no pinned version of {name} found in {root} "
                             f"({', '.join(SOLARA_FILES)}); solara's asset layout changed")
        found.extend(Asset(name, v) for v in versions)
    return found


def cache_dir() -> Path:
    """The cache folder solara's server will read: ``SOLARA_ASSETS_PROXY_CACHE_DIR`` or default."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    if (Path(sys.prefix) / "pyvenv.cfg").exists() or sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "share" / "solara" / "cdn"
    import site

    return Path(site.getuserbase()) / "share" / "solara" / "cdn"


def missing(assets: list[Asset], folder: Path) -> list[Asset]:
    """The assets not (completely) in the cache folder."""
    return [a for a in assets if not (a.folder(folder) / MARKER).is_file()]


def _npm_pack(asset: Asset, into: Path, npm: str) -> Path:
    try:
        out = subprocess.run([npm, "pack", asset.spec, "--silent", "--pack-destination",
                              str(into)], capture_output=True, text=True, timeout=300,
                             check=False)
    except FileNotFoundError:
        raise AssetError(f"{npm!r} not found: install Node.js/npm (Debian: apt-get install "
                         "npm) to fetch the dashboard's browser assets") from None
    except subprocess.TimeoutExpired:
        raise AssetError(f"npm pack {asset.spec} timed out (is the npm registry "
                         "reachable?)") from None
    if out.returncode != 0:
        raise AssetError(f"npm pack {asset.spec} failed: {out.stderr.strip()[-500:]}")
    tarballs = sorted(into.glob("*.tgz"))
    if len(tarballs) != 1:
        raise AssetError(f"npm pack {asset.spec} produced {len(tarballs)} tarballs in {into}")
    return tarballs[0]


def _unpack(tarball: Path, target: Path) -> None:
    """Extract an npm tarball (files under ``package/``) into ``target`` atomically."""
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            tar.extractall(staging, filter="data")
        roots = [p for p in staging.iterdir() if p.is_dir()]
        if len(roots) != 1:
            raise AssetError(f"{tarball.name}: expected one top folder, found "
                             f"{[p.name for p in roots]}")
        if target.exists():
            shutil.rmtree(target)
        roots[0].rename(target)
        _add_derived(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _add_derived(target: Path) -> None:
    name = target.name.rsplit("@", 1)[0]
    if target.parent.name.startswith("@"):
        name = f"{target.parent.name}/{name}"
    for (package, wanted), source in DERIVED.items():
        if package == name and not (target / wanted).exists() and (target / source).exists():
            shutil.copyfile(target / source, target / wanted)


def fill_cache(folder: Path | None = None, *, npm: str = "npm", assets: list[Asset] | None = None,
               log=print) -> list[Asset]:
    """Download the missing assets with ``npm pack`` and unpack them into the cache.

    Idempotent: complete packages are left alone.

    Args:
        folder: Cache folder (default: :func:`cache_dir`).
        npm: The npm executable.
        assets: What to fetch (default: :func:`required_assets`).
        log: Called with one line per package fetched.

    Returns:
        The assets that were fetched now.
    """
    folder = folder or cache_dir()
    wanted = assets if assets is not None else required_assets()
    for asset in wanted:
        if asset.folder(folder).is_dir():
            _add_derived(asset.folder(folder))
    todo = missing(wanted, folder)
    for asset in todo:
        target = asset.folder(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="spiral-npm-") as tmp:
            tarball = _npm_pack(asset, Path(tmp), npm)
            _unpack(tarball, target)
        log(f"cached {asset.spec} in {target}")
    return todo


def main(argv: list[str] | None = None) -> int:
    """Command line: fill (or ``--check``) the asset cache."""
    parser = argparse.ArgumentParser(prog="python -m spiral.experiments.dashboard.offline_assets",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: "
                        "SOLARA_ASSETS_PROXY_CACHE_DIR or solara's default)")
    parser.add_argument("--check", action="store_true",
                        help="only report what is missing; exit status 1 if anything is")
    parser.add_argument("--npm", default="npm", help="npm executable (default: npm)")
    args = parser.parse_args(argv)
    folder = args.cache_dir or cache_dir()
    try:
        assets = required_assets()
        if args.check:
            gaps = missing(assets, folder)
            for asset in gaps:
                print(f"missing: {asset.spec}", file=sys.stderr)
            print(f"{len(assets) - len(gaps)} of {len(assets)} asset packages cached in {folder}")
            return 1 if gaps else 0
        fetched = fill_cache(folder, npm=args.npm, assets=assets)
    except AssetError as exc:
        print(f"offline assets: error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(assets)} asset packages ready in {folder} ({len(fetched)} fetched now)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
