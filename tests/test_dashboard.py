"""The dashboard: the model it builds, its inputs from the parameter table, and a browser test.

The browser test starts ``spiral explore``'s server on a free loopback port, drives Debian's
chromium with playwright (never ``playwright install``), presses Step, checks the month and
the plots change, moves a slider, presses Reset and saves a screenshot. It skips only when
chromium is absent (``.ci/browser-setup.sh`` installs it and the offline browser assets).
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from spiral.model.params import PARAMS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = Path(os.environ.get("SPIRAL_DASHBOARD_SCREENSHOT",
                                 Path(__file__).resolve().parents[1] / "results"
                                 / "dashboard-screenshot.png"))


@pytest.fixture(scope="module")
def app():
    pytest.importorskip("solara")
    from spiral.experiments.dashboard import app as dashboard_app

    return dashboard_app


def test_inputs_come_from_the_parameter_table(app):
    params = app.model_params(app.base_params())
    numeric = [n for n, p in PARAMS.items() if p.kind in ("int", "float")
               and n not in app.HIDDEN_PARAMS]
    for name in numeric:
        spec = params[name]
        p = PARAMS[name]
        assert spec["type"] == ("SliderInt" if p.kind == "int" else "SliderFloat")
        assert p.low <= spec["min"] <= spec["value"] <= spec["max"] <= p.high
        assert name in spec["label"]
    assert params["unfriend_rule"]["values"] == list(PARAMS["unfriend_rule"].choices)
    assert "file" not in params["network"]["values"]
    assert "ticks" not in params and "seed" in params
    # a tiny rate gets a slider fine enough to set it
    rate = params["listing_rate"]
    assert rate["step"] <= PARAMS["listing_rate"].default / 5 and rate["max"] < 1


def test_dashboard_model_blacklists_and_cuts(app):
    model = app.DashboardModel(seed="7", n_citizens=120, hearing_prob=1.0, fear_mean=0.9)
    assert len(model.citizens) == 120 and model.positions.shape == (120, 2)
    ties_before = len(model.current_pairs())
    chosen = model.blacklist(3)
    random_pick = model.blacklist(None, wrongful=True)
    assert chosen == 3 and model.citizens[3].listed
    assert random_pick != 3 and model.citizens[random_pick].wrongful
    with pytest.raises(app.ParameterError, match="already listed"):
        model.blacklist(3)
    with pytest.raises(app.ParameterError, match="0 to 119"):
        model.blacklist(500)
    model.run_for(4)
    assert len(model.current_pairs()) < ties_before
    assert len(model.recent_cuts()) > 0
    assert model.datacollector.get_model_vars_dataframe()["listed"].iloc[-1] >= 1


def test_bad_input_falls_back_with_a_message(app):
    model = app.DashboardModel(seed="minus one", grade_b=900.0)
    assert "seed" in model.input_error
    assert model.seed == app.DEFAULT_SEED and model.params.grade_b == PARAMS["grade_b"].default


def test_same_seed_same_dashboard_run(app):
    a, b = (app.DashboardModel(seed=11, n_citizens=80) for _ in range(2))
    a.run_for(6)
    b.run_for(6)
    assert [c.score for c in a.citizens] == [c.score for c in b.citizens]
    assert (a.positions == b.positions).all()


# --- the browser test -------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, process, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the dashboard server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the dashboard server did not answer at {url} in {timeout:.0f} s")


@pytest.fixture
def server(tmp_path):
    from spiral.experiments.dashboard import command as dashboard, offline_assets

    if offline_assets.missing(offline_assets.required_assets(), offline_assets.cache_dir()):
        pytest.fail("Solara's browser assets are not cached; run .ci/browser-setup.sh")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(dashboard.server_command(port), env=dashboard.server_environment(),
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _image_digest(locator) -> str:
    return hashlib.sha256(locator.screenshot()).hexdigest()


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason=f"Debian chromium not installed at {CHROMIUM} "
                           "(run .ci/browser-setup.sh)")
def test_browser_step_slider_reset(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(server, wait_until="domcontentloaded")
            step = page.get_by_role("button", name="Step")
            expect(step).to_be_visible()
            network = page.locator("img").nth(0)
            plots = page.locator("img").nth(1)
            expect(plots).to_be_visible()
            expect(page.get_by_text("Time: 0")).to_be_visible()
            plots_before = _image_digest(plots)

            for _ in range(3):
                step.click()
            expect(page.get_by_text("Time: 3")).to_be_visible()
            deadline = time.monotonic() + 30
            while _image_digest(plots) == plots_before and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _image_digest(plots) != plots_before, "the plots did not change after Step"

            page.get_by_role("button", name="Blacklist a random citizen").click()
            expect(page.get_by_text("blacklisted rightfully in month 3")).to_be_visible()

            fear = page.locator(".v-input", has_text="fear_mean (0-1)").first
            fear_value = fear.locator("input").first
            before = fear_value.input_value()
            box = fear.locator(".v-slider").bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
            expect(fear_value).not_to_have_value(before)
            assert float(fear_value.input_value()) > float(before)

            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("Time: 0")).to_be_visible()
            expect(page.get_by_text("blacklisted rightfully")).to_have_count(0)
            expect(page.get_by_text("using the starting values")).to_have_count(0)
            page.get_by_role("button", name="Blacklist a random citizen").click()
            for _ in range(4):
                step.click()
            expect(page.get_by_text("Time: 4")).to_be_visible()
            assert network.is_visible()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 20_000
