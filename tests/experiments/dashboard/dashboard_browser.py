"""Helpers for the dashboard's browser tests and screenshots (not a test module).

The browser is Debian's chromium driven by playwright, launched with ``executable_path``
(never ``playwright install``: it downloads a browser). The server is the real command,
``spiral explore --port 0``, whose printed address the tests read.

Run as a script to take the screenshots of docs/dashboard.md::

    python tests/experiments/dashboard/dashboard_browser.py docs/images
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("SPIRAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ENABLE = ("to enable: bash .ci/browser-setup.sh .venv/bin/python (Debian/Ubuntu: chromium and "
          "the page's offline assets), or set SPIRAL_CHROMIUM=/path/to/chromium and run "
          "'spiral explore --fetch-assets'")
START_TIMEOUT_S = 300.0  # a loaded two-core machine can take minutes to import everything
PAGE_TIMEOUT_MS = 120_000
ADDRESS = re.compile(r"serving on (http://127\.0\.0\.1:\d+/)")


def skip_reason() -> str | None:
    """Why the browser tests cannot run here (one line, with how to enable them), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed (pip install -e '.[test]'); {ENABLE}"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM}; {ENABLE}"
    from spiral.experiments.dashboard import offline_assets

    folder = offline_assets.cache_dir()
    try:
        gaps = offline_assets.missing(offline_assets.required_assets(), folder)
    except offline_assets.AssetError as exc:
        return f"{exc}; {ENABLE}"
    if gaps:
        return f"Solara's browser assets are not cached in {folder}; {ENABLE}"
    return None


def explore_command(*extra: str) -> list[str]:
    """``spiral explore`` with this interpreter."""
    return [sys.executable, "-m", "spiral.experiments.cli", "explore", *extra]


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line)
    into.put(None)


@contextmanager
def explore_server(*extra: str, log: Path | None = None):
    """Start ``spiral explore --port 0``; yield (url, process); stop it with SIGTERM."""
    err = log.open("w") if log else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(explore_command("--port", "0", *extra), stdout=subprocess.PIPE,
                               stderr=err, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        deadline, url = time.monotonic() + START_TIMEOUT_S, None
        while url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"spiral explore printed no address in "
                                     f"{START_TIMEOUT_S:.0f} s") from None
            if line is None:
                raise AssertionError(f"spiral explore exited with {process.wait()} before "
                                     "serving")
            match = ADDRESS.search(line)
            url = match.group(1) if match else None
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log:
            err.close()


def launch(pw):
    """Debian's chromium, headless, with the flags this machine needs."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_page(browser, url: str, *, width: int = 1280, height: int = 900, **context):
    """A new browser context (a new student) on the page, once its town is drawn."""
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": width, "height": height}, **context)
    page = ctx.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    expect(page.locator(".spiral-month")).to_have_text("Month 0", timeout=PAGE_TIMEOUT_MS)
    page.locator("circle.spiral-citizen").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    return page


FIND_CLICKABLE = """
(exclude) => {
  for (const c of document.querySelectorAll('circle.spiral-citizen')) {
    const i = Number(c.dataset.citizen);
    if (exclude.includes(i)) continue;
    const r = c.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) continue;
    if (document.elementFromPoint(x, y) === c) return {citizen: i, x: x, y: y};
  }
  return null;
}
"""


def clickable_citizen(page, exclude=()) -> dict:
    """A citizen whose circle is on screen and on top at its centre: {citizen, x, y}."""
    page.locator("circle.spiral-citizen").first.scroll_into_view_if_needed()
    found = page.evaluate(FIND_CLICKABLE, list(exclude))
    assert found, "no citizen's circle can be clicked on screen"
    return found


def step(page, months: int = 1) -> None:
    """Press Step ``months`` times, waiting for each month to show."""
    from playwright.sync_api import expect

    month = int(page.locator(".spiral-month").inner_text().split()[-1])
    for k in range(1, months + 1):
        page.get_by_role("button", name="Step", exact=True).click()
        expect(page.locator(".spiral-month")).to_have_text(f"Month {month + k}")


def choose_by_number(page, citizen: int) -> None:
    """Type a citizen's number and press Enter."""
    field = page.get_by_label("Citizen number")
    field.fill(str(citizen))
    field.press("Enter")


def take_screenshots(folder: Path) -> list[Path]:
    """The screenshots of docs/dashboard.md: a listed citizen's story, wide and at 375 px."""
    from playwright.sync_api import expect, sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    with explore_server() as (url, _), sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = open_page(browser, url, width=1400, height=1050)
            choose_by_number(page, 11)
            expect(page.locator(".spiral-person-summary")).to_contain_text("Citizen 11:")
            page.get_by_role("button", name="Blacklist this citizen").click()
            step(page, 10)
            target = clickable_citizen(page, exclude=[11])
            page.mouse.move(target["x"], target["y"])
            expect(page.locator(".spiral-tooltip")).to_be_visible()
            shots = {"person": None, "town": "Town", "code": "Copy as code", "inputs": "Inputs"}
            for name, tab in shots.items():
                if tab:
                    page.mouse.move(5, 5)
                    page.get_by_role("tab", name=tab).click()
                    page.locator({"Town": "img.spiral-town", "Copy as code": ".spiral-code-python",
                                  "Inputs": ".spiral-input"}[tab]).first.wait_for()
                    page.wait_for_timeout(1500)  # the tab's slide-in animation
                page.screenshot(path=str(folder / f"dashboard-{name}.png"))
                made.append(folder / f"dashboard-{name}.png")
            phone = open_page(browser, url, width=375, height=812, device_scale_factor=2,
                              is_mobile=True, has_touch=True)
            phone.screenshot(path=str(folder / "dashboard-phone.png"))
            choose_by_number(phone, 11)
            phone.get_by_role("button", name="Blacklist this citizen").click()
            step(phone, 6)
            phone.locator(".spiral-person-summary").scroll_into_view_if_needed()
            phone.screenshot(path=str(folder / "dashboard-phone-person.png"))
            made += [folder / "dashboard-phone.png", folder / "dashboard-phone-person.png"]
        finally:
            browser.close()
    return made


if __name__ == "__main__":  # pragma: no cover - a tool for the docs
    for path in take_screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(path)
