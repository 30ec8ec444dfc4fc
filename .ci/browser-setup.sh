#!/usr/bin/env bash
# Set up what the dashboard's browser test needs, idempotently:
#   1. Debian's chromium (never `playwright install`: it downloads a browser and fails here);
#   2. Solara's browser assets, fetched from the npm registry into Solara's CDN cache, so the
#      dashboard works without the (unreachable) CDN.
# Usage: .ci/browser-setup.sh [PYTHON]   (default: $PYTHON or python3 of the active venv)
set -euo pipefail

PYTHON="${1:-${PYTHON:-python3}}"

if [ ! -x /usr/bin/chromium ]; then
    echo "browser-setup: installing Debian chromium" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "browser-setup: $(/usr/bin/chromium --version 2>/dev/null)" >&2

if ! command -v npm >/dev/null 2>&1; then
    echo "browser-setup: installing npm (to fetch Solara's browser assets)" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

"$PYTHON" -m spiral.experiments.dashboard.offline_assets
