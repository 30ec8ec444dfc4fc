"""Open the browser dashboard on this computer (`spiral explore`).

Starts Solara's server on 127.0.0.1 with the page of :mod:`spiral.experiments.dashboard.app`
(one person's story in a town: choose a citizen, blacklist them, step month by month, switch
the channels of the loop off and on, copy the screen as code), prints its address once it
answers, and stops it on Ctrl-C (SIGINT) or SIGTERM.

* ``--port 0`` picks a free port and prints the real address;
* a port already in use is reported in one line, with exit status 2;
* ``--fetch-assets`` only fills Solara's browser-asset cache from the npm registry (needs npm,
  once per installation; see :mod:`spiral.experiments.dashboard.offline_assets`), then
  exits: the page then works without internet.

Exit status: 0 when the server ends by itself with 0, 130 after Ctrl-C, 143 after SIGTERM, 2
for bad input (a bad or busy port, an unknown scenario), the server's own status otherwise.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from spiral.model.errors import InputError

APP_MODULE = "spiral.experiments.dashboard.app"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
READY_TIMEOUT_S = 300.0  # a loaded machine can take a while to import Solara and Mesa
STOP_TIMEOUT_S = 10.0
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class PortBusyError(InputError):
    """The port is in use: one line, exit status 2."""


class _StopSignalError(Exception):
    """A signal asked the command to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's options."""
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on {HOST} (default: {DEFAULT_PORT}; 0 picks a free port "
                             "and prints it)")
    parser.add_argument("--scenario", default=None,
                        help="bundled scenario (or .toml path) whose parameters the inputs "
                             "start from (default: zhima-spiral, with 200 citizens)")
    parser.add_argument("--fetch-assets", action="store_true",
                        help="only fill Solara's browser-asset cache from the npm registry "
                             "(needs npm; once per installation), then exit")
    parser.add_argument("--open", action="store_true", help="open a web browser on the page")


def server_command(port: int, *, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the dashboard on 127.0.0.1."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", HOST,
            "--port", str(port), "--production", "--open" if open_browser else "--no-open"]


def server_environment(scenario: str | None = None) -> dict[str, str]:
    """Environment of the server: no telemetry, and the scenario the inputs start from."""
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    # Solara warns on every page that plain-http cookies fall back to samesite=lax: expected
    # on 127.0.0.1, and noise for a student
    env.setdefault("PYTHONWARNINGS", "ignore:Cookies with samesite=none:UserWarning")
    if scenario:
        env["SPIRAL_EXPLORE_SCENARIO"] = scenario
    return env


def free_port() -> int:
    """A port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def check_port(port: int) -> None:
    """Refuse a port that is taken (or not ours to use) on 127.0.0.1.

    Raises:
        PortBusyError: The port is in use or cannot be bound.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            why = "is already in use" if exc.errno == errno.EADDRINUSE else \
                f"cannot be used ({os.strerror(exc.errno or 0) or exc})"
            raise PortBusyError(f"--port {port}: port {port} on {HOST} {why} (another spiral "
                           "explore?); choose another with --port N, or --port 0 for any "
                           "free port") from None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if this command dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = READY_TIMEOUT_S
                     ) -> bool:
    """Wait until the server answers at ``url``; False if it exited first or timed out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> int:
    """Stop the server (SIGTERM, then SIGKILL after ``timeout``); its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _fetch_assets() -> int:
    from spiral.experiments.dashboard import offline_assets

    folder = offline_assets.cache_dir()
    try:
        fetched = offline_assets.fill_cache(folder, log=lambda line: print(line, flush=True))
    except offline_assets.AssetError as exc:
        raise InputError(f"--fetch-assets: {exc}") from None
    print(f"spiral explore: browser assets ready in {folder} ({len(fetched)} fetched now); "
          "start the dashboard with 'spiral explore'")
    return 0


def main(args) -> int:
    """Serve the dashboard until Ctrl-C or SIGTERM (or only fetch the assets)."""
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port = {args.port} is not valid: expected 0 to 65535")
    if args.fetch_assets:
        return _fetch_assets()
    from spiral.experiments.dashboard import offline_assets

    if args.scenario:
        from spiral.experiments.runs.scenario import load_scenario

        load_scenario(args.scenario)  # fail here, with the file and line, not in the server
    port = free_port() if args.port == 0 else args.port
    check_port(port)
    folder = offline_assets.cache_dir()
    gaps = offline_assets.missing(offline_assets.required_assets(), folder)
    if gaps:
        print(f"spiral explore: {len(gaps)} browser asset packages are not cached in {folder}; "
              "without internet the page stays blank. Run 'spiral explore --fetch-assets' once "
              "to fetch them from the npm registry.", file=sys.stderr)
    url = f"http://{HOST}:{port}/"
    print(f"spiral explore: starting the server on {url} ...", file=sys.stderr, flush=True)

    def on_signal(signum, _frame):
        raise _StopSignalError(signum)

    previous = signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C stops the server even if this process was started with SIGINT ignored (as a
    # parent that ignores it, e.g. a job runner, passes on)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    process = None
    try:
        process = subprocess.Popen(
            server_command(port, open_browser=args.open), env=server_environment(args.scenario),
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        if wait_until_ready(url, process):
            print(f"spiral explore: serving on {url} (Ctrl-C to stop)", flush=True)
        status = process.wait()
        if status:
            print(f"spiral explore: the server stopped with status {status}", file=sys.stderr)
        return status
    except KeyboardInterrupt:
        if process is not None:
            stop(process)
        print("spiral explore: stopped (Ctrl-C)", file=sys.stderr)
        return EXIT_SIGINT
    except _StopSignalError:
        if process is not None:
            stop(process)
        print("spiral explore: stopped (SIGTERM)", file=sys.stderr)
        return EXIT_SIGTERM
    finally:
        if process is not None and process.poll() is None:
            stop(process)
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
