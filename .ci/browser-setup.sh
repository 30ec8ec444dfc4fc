#!/usr/bin/env bash
# Set up what the dashboard's browser tests need, idempotently, saying what it does:
#   1. a Chromium: Debian's chromium from apt-get (never `playwright install`: it downloads a
#      browser and fails here), or the one SPIRAL_CHROMIUM names;
#   2. playwright in the project's environment (the test extra installs it);
#   3. Solara's browser assets, fetched with npm from the npm registry into Solara's CDN cache,
#      so the dashboard works without the (unreachable) CDN.
# Where a step cannot be done (no apt-get, as on macOS or other Linux distributions; not root
# and no password-less sudo; no network), it says so and how to enable the browser tests, and
# exits 0: the browser tests then skip with a one-line reason, and the README's test command
# goes on to run the tests.
# Usage: bash .ci/browser-setup.sh [PYTHON]   (default: $PYTHON, else python3)
set -uo pipefail

PYTHON="${1:-${PYTHON:-python3}}"
CHROMIUM="${SPIRAL_CHROMIUM:-/usr/bin/chromium}"
START=$(date +%s)

say() { echo "browser-setup: $*" >&2; }
elapsed() { echo "$(( $(date +%s) - START )) s"; }
give_up() {
    say "$1"
    say "not set up (after $(elapsed)); the browser tests will be skipped. To run them: $2"
    exit 0
}

# apt-get as root, or through password-less sudo; nothing that could wait for a password
SUDO=""
can_apt() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; return 0; fi
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; return 0; fi
    return 1
}
apt_install() {
    say "installing $1 with apt-get (a few minutes the first time; output in $2)..."
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1"; } \
        >"$2" 2>&1
}
LOG="${TMPDIR:-/tmp}/spiral-browser-setup.log"

say "setting up the dashboard's browser tests (python: $PYTHON)"

# 1. Chromium
if [ -x "$CHROMIUM" ]; then
    say "1/3 chromium found: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
elif [ -n "${SPIRAL_CHROMIUM:-}" ]; then
    give_up "1/3 SPIRAL_CHROMIUM=$SPIRAL_CHROMIUM is not an executable" \
        "point SPIRAL_CHROMIUM at a Chromium or Chrome binary"
elif can_apt; then
    apt_install chromium "$LOG" || give_up "1/3 apt-get could not install chromium (see $LOG)" \
        "install Debian's chromium (apt-get install chromium), then rerun this script"
    say "1/3 chromium installed: $("$CHROMIUM" --version 2>/dev/null) ($(elapsed))"
else
    give_up "1/3 no chromium at $CHROMIUM and no apt-get to install it (as root or with sudo -n)" \
        "install a Chromium or Chrome and set SPIRAL_CHROMIUM=/path/to/it, then rerun this script"
fi

# 2. playwright (installed by pip install -e ".[test]"; its own browsers are never downloaded)
if "$PYTHON" -c "import playwright.sync_api" >/dev/null 2>&1; then
    say "2/3 playwright found in $("$PYTHON" -c 'import sys; print(sys.prefix)')"
else
    give_up "2/3 playwright is not installed for $PYTHON" \
        "pip install -e '.[test]' into that environment, then rerun this script"
fi

# 3. Solara's browser assets (npm pack, at the versions the installed solara names)
if "$PYTHON" -m spiral.experiments.dashboard.offline_assets --check >/dev/null 2>&1; then
    say "3/3 Solara's browser assets already cached"
else
    if ! command -v npm >/dev/null 2>&1; then
        if can_apt; then
            apt_install npm "$LOG" || give_up "3/3 apt-get could not install npm (see $LOG)" \
                "install Node.js/npm, then run 'spiral explore --fetch-assets'"
        else
            give_up "3/3 npm is needed to fetch Solara's browser assets, and there is no apt-get" \
                "install Node.js/npm, then run 'spiral explore --fetch-assets'"
        fi
    fi
    say "3/3 fetching Solara's browser assets from the npm registry (about a minute)..."
    "$PYTHON" -m spiral.experiments.dashboard.offline_assets 2>&1 | sed 's/^/browser-setup:   /' >&2
    if ! "$PYTHON" -m spiral.experiments.dashboard.offline_assets --check >/dev/null 2>&1; then
        give_up "3/3 the assets could not be fetched (is the npm registry reachable?)" \
            "run 'spiral explore --fetch-assets' where the npm registry is reachable"
    fi
fi
say "ready in $(elapsed): the browser tests will run"
exit 0
