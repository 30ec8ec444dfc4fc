"""The dashboard in a real browser: choose a person, watch their story, one town per student.

Debian's chromium driven by playwright (``executable_path``, never ``playwright install``)
against the real ``spiral explore --port 0``. Every wait is for a specific element or text,
with generous timeouts: the machines these run on are loaded. The tests skip, with one line
saying why and how to enable them, where chromium, playwright or the page's offline assets are
missing (``.ci/browser-setup.sh`` provides them on Debian).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from dashboard_browser import (
    ROOT,
    choose_by_number,
    clickable_citizen,
    explore_server,
    launch,
    open_page,
    skip_reason,
    step,
)

REASON = skip_reason()
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(REASON is not None, reason=f"browser test skipped: {REASON}")]
SCREENSHOTS = Path(os.environ.get("SPIRAL_DASHBOARD_SCREENSHOTS",
                                  ROOT / "results" / "dashboard-screenshots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("explore") / "server.log"
    with explore_server(log=log) as (url, _process):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    with sync_playwright() as pw:
        chromium = launch(pw)
        try:
            yield chromium
        finally:
            chromium.close()


def _src(page, selector: str) -> str:
    return page.locator(selector).get_attribute("src")


def test_choose_a_citizen_by_click_and_by_number(server, browser):
    from playwright.sync_api import expect

    page = open_page(browser, server)
    summary = page.locator(".spiral-person-summary")
    expect(summary).to_contain_text("Citizen 0:")
    ego, pair = _src(page, "img.spiral-ego"), _src(page, "img.spiral-pair")

    target = clickable_citizen(page, exclude=[0])
    page.mouse.move(target["x"], target["y"])
    tooltip = page.locator(".spiral-tooltip")
    expect(tooltip).to_contain_text(f"Citizen {target['citizen']} · grade ")
    expect(tooltip).to_contain_text(" · score ")
    page.mouse.click(target["x"], target["y"])
    expect(summary).to_contain_text(f"Citizen {target['citizen']}:")
    expect(page.locator(".spiral-ego-caption")).to_contain_text(f"citizen {target['citizen']}'s")
    expect(page.locator(".spiral-label")).to_have_text(f"Citizen {target['citizen']}")
    expect(page.locator("img.spiral-ego")).not_to_have_attribute("src", ego)
    expect(page.locator("img.spiral-pair")).not_to_have_attribute("src", pair)

    other = 7 if target["citizen"] != 7 else 8
    ego, pair = _src(page, "img.spiral-ego"), _src(page, "img.spiral-pair")
    choose_by_number(page, other)
    expect(summary).to_contain_text(f"Citizen {other}:")
    expect(page.locator(f"circle.spiral-citizen[data-citizen='{other}']")).to_have_attribute(
        "r", "18")
    expect(page.locator("img.spiral-ego")).not_to_have_attribute("src", ego)
    expect(page.locator("img.spiral-pair")).not_to_have_attribute("src", pair)

    # blacklist them and step: their friends leave, the paired plot moves on
    page.get_by_role("button", name="Blacklist this citizen").click()
    expect(page.locator(".spiral-message")).to_contain_text(
        f"Citizen {other} goes on the blacklist in month 1")
    ego, pair = _src(page, "img.spiral-ego"), _src(page, "img.spiral-pair")
    step(page, 3)
    expect(summary).to_contain_text("on the blacklist since month 1")
    expect(summary).to_contain_text("With the penalty alone")
    expect(page.locator("img.spiral-ego")).not_to_have_attribute("src", ego)
    expect(page.locator("img.spiral-pair")).not_to_have_attribute("src", pair)
    page.get_by_role("button", name="Follow the newest listed").click()
    expect(page.locator(".spiral-message")).to_contain_text("most recently blacklisted")
    page.context.close()


def test_two_students_have_independent_towns_and_reload_starts_afresh(server, browser):
    from playwright.sync_api import expect

    first, second = open_page(browser, server), open_page(browser, server)
    first.get_by_role("button", name="Play", exact=True).click()
    expect(first.locator(".spiral-month")).to_have_text(re.compile(r"Month [2-9]"))
    first.get_by_role("button", name="Pause", exact=True).click()
    expect(first.get_by_role("button", name="Step", exact=True)).to_be_enabled()
    played = first.locator(".spiral-month").inner_text()
    expect(second.locator(".spiral-month")).to_have_text("Month 0")
    choose_by_number(second, 12)
    second.get_by_role("button", name="Blacklist this citizen").click()
    step(second, 1)
    expect(first.locator(".spiral-month")).to_have_text(played)
    expect(first.locator(".spiral-person-summary")).to_contain_text("Citizen 0:")
    expect(second.locator(".spiral-person-summary")).to_contain_text(
        "Citizen 12: grade")
    expect(second.locator(".spiral-person-summary")).to_contain_text("on the blacklist")
    # Reset: month 0 again, the page's listings gone
    second.get_by_role("button", name="Reset", exact=True).click()
    expect(second.locator(".spiral-month")).to_have_text("Month 0")
    expect(second.locator(".spiral-message")).to_contain_text("A new town (seed 42)")
    expect(second.locator(".spiral-person-summary")).to_contain_text("not on the blacklist")
    expect(first.locator(".spiral-month")).to_have_text(played)
    # a reload is a new session: a fresh town at month 0
    first.reload(wait_until="domcontentloaded")
    expect(first.locator(".spiral-month")).to_have_text("Month 0")
    for page in (first, second):
        page.context.close()


def test_switches_and_copy_as_code(server, browser):
    from playwright.sync_api import expect

    page = open_page(browser, server)
    choose_by_number(page, 3)
    page.get_by_role("button", name="Blacklist this citizen").click()
    step(page, 2)
    page.locator(".spiral-switch-F label").click()
    expect(page.locator(".spiral-message")).to_contain_text("Channel F off")
    expect(page.locator(".spiral-month")).to_have_text("Month 2")
    page.get_by_role("tab", name="Copy as code").click()
    python = page.locator(".spiral-code-python")
    expect(python).to_contain_text("ScriptedListing(citizen=3, tick=1)")
    expect(python).to_contain_text("'fear_strength': 0.0")
    expect(python).to_contain_text("model.run_for(2)")
    expect(page.locator(".spiral-code-command")).to_have_text(
        "spiral run my-town.toml --seed 42 --ticks 2 --variants spiral,penalty --replicates 1 "
        "--out results/my-town")
    expect(page.locator(".spiral-code-toml")).to_contain_text("[[listings]]")
    # an input waits for Reset, and says so
    page.get_by_role("tab", name="Inputs").click()
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("7")
    seed.press("Enter")
    expect(page.locator(".spiral-changed-note")).to_contain_text("1 input changed")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".spiral-message")).to_contain_text("A new town (seed 7)")
    expect(page.locator(".spiral-changed-note")).to_have_count(0)
    page.context.close()


def test_phone_width_is_usable(server, browser):
    from playwright.sync_api import expect

    page = open_page(browser, server, width=375, height=812, device_scale_factor=2,
                     is_mobile=True, has_touch=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 376, "sideways scrolling"
    expect(page.locator(".spiral-narrow-note")).to_be_visible()
    for name in ("Person", "Town", "Inputs", "Copy as code"):
        tab = page.get_by_role("tab", name=name)
        box = tab.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 376, f"tab {name} off screen"
    network = page.locator(".spiral-network svg")
    box = network.bounding_box()
    assert box and box["width"] <= 375
    choose_by_number(page, 5)
    expect(page.locator(".spiral-person-summary")).to_contain_text("Citizen 5:")
    step(page, 1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "dashboard-375px.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.context.close()
