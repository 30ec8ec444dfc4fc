"""Open the browser dashboard, a Mesa SolaraViz app, on this computer (`spiral explore`).

Starts Solara's server on 127.0.0.1 with the page of :mod:`spiral.experiments.dashboard.app`:
sliders generated from the parameter table, the network coloured by grade with the listed
marked, live plots, a button to blacklist a citizen now, and a seed field.

It works without internet once Solara's browser assets are in its cache (``spiral explore
--fetch-assets`` once, or ``python -m spiral.experiments.dashboard.offline_assets``): the page loads
its scripts and styles from that cache instead of a public CDN.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

APP_MODULE = "spiral.experiments.dashboard.app"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("--port", type=int, default=8765,
                        help="port on 127.0.0.1 (default: 8765; 0 picks a free port)")
    parser.add_argument("--scenario", default=None,
                        help="bundled scenario (or .toml path) whose parameters the sliders "
                             "start from (default: zhima-spiral, with 200 citizens)")
    parser.add_argument("--fetch-assets", action="store_true",
                        help="first fill Solara's asset cache from the npm registry "
                             "(needs npm; once per installation)")
    parser.add_argument("--open", action="store_true", help="open a web browser on the page")


def server_command(port: int, *, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the dashboard on 127.0.0.1."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", "127.0.0.1",
            "--port", str(port), "--production", "--open" if open_browser else "--no-open"]


def server_environment(scenario: str | None = None) -> dict[str, str]:
    """Environment of the server: no telemetry, and the scenario the sliders start from."""
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    if scenario:
        env["SPIRAL_EXPLORE_SCENARIO"] = scenario
    return env


def main(args) -> int:
    """Run the dashboard's server until interrupted."""
    from spiral.experiments.dashboard import offline_assets
    from spiral.model.errors import InputError

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port = {args.port} is not valid: expected 0 to 65535")
    if args.scenario:
        from spiral.experiments.runs.scenario import load_scenario

        load_scenario(args.scenario)  # fail here, with the file and line, not in the server
    folder = offline_assets.cache_dir()
    if args.fetch_assets:
        try:
            offline_assets.fill_cache(folder)
        except offline_assets.AssetError as exc:
            raise InputError(f"--fetch-assets: {exc}") from None
    else:
        gaps = offline_assets.missing(offline_assets.required_assets(), folder)
        if gaps:
            print(f"spiral explore: {len(gaps)} browser asset packages are not cached in "
                  f"{folder}; without internet the page stays blank. Run 'spiral explore "
                  "--fetch-assets' once to fetch them from the npm registry.", file=sys.stderr)
    print(f"spiral explore: serving on http://127.0.0.1:{args.port} (Ctrl-C to stop)",
          file=sys.stderr)
    process = subprocess.Popen(server_command(args.port, open_browser=args.open),
                               env=server_environment(args.scenario))
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
        raise
