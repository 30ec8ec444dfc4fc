"""`spiral explore` starts and stops cleanly: the real address, signals, a busy port, assets.

The signal tests start the real server (``--port 0``), read the address it prints, check the
page answers there, send SIGINT or SIGTERM to the command and check that its server child is
gone and the exit status is 130 or 143. They need no browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request

import psutil
import pytest
from dashboard_browser import explore_command, explore_server
from spiral.experiments.cli import main
from spiral.experiments.dashboard import command, offline_assets


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spiral explore: error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_busy_port_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(explore_command("--port", str(port)), capture_output=True,
                              text=True, timeout=300, check=False)
    _one_line_error(proc, f"port {port}", "already in use", "--port 0")
    assert proc.stdout == ""


def test_a_port_out_of_range_is_one_line_and_status_2():
    proc = subprocess.run(explore_command("--port", "70000"), capture_output=True, text=True,
                          timeout=300, check=False)
    _one_line_error(proc, "--port = 70000", "0 to 65535")


def test_fetch_assets_only_fetches(monkeypatch, capsys, tmp_path):
    fetched = []
    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(offline_assets, "fill_cache",
                        lambda folder, log=print: fetched.append(folder) or [])

    def no_server(*args, **kwargs):
        raise AssertionError("--fetch-assets started the server")

    monkeypatch.setattr(subprocess, "Popen", no_server)
    assert main(["explore", "--fetch-assets"]) == 0
    assert fetched == [tmp_path]
    assert "browser assets ready in" in capsys.readouterr().out


def test_fetch_assets_without_npm_is_one_line(tmp_path):
    env = {**os.environ, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": str(tmp_path)}  # no npm on this PATH
    proc = subprocess.run(explore_command("--fetch-assets"), capture_output=True, text=True,
                          timeout=300, check=False, env=env)
    _one_line_error(proc, "--fetch-assets", "npm")


def test_busy_port_check_and_free_port():
    port = command.free_port()
    command.check_port(port)  # free: no error
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(command.PortBusyError, match="already in use"):
            command.check_port(port)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status", "said"), [
    (signal.SIGINT, 130, "stopped (Ctrl-C)"), (signal.SIGTERM, 143, "stopped (SIGTERM)")])
def test_the_server_stops_with_the_command(tmp_path, signum, status, said):
    log = tmp_path / "explore.log"
    with explore_server(log=log) as (url, process):
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/")
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200
        children = psutil.Process(process.pid).children(recursive=True)
        assert any("solara" in " ".join(c.cmdline()) for c in children)
        process.send_signal(signum)
        assert process.wait(timeout=60) == status
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"server processes left running: {alive}"
    assert said in log.read_text()
