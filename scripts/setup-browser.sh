#!/usr/bin/env bash
# Make sure a Chromium for the browser-view test is installed (Debian's package; Playwright
# cannot download its own browsers here). Used by `make test`.
#
# Uses $EDUSIM_CHROMIUM or /usr/bin/chromium when present; otherwise, as root on
# Debian/Ubuntu, installs the chromium package (and a CJK font so Chinese labels render).
set -euo pipefail

browser=${EDUSIM_CHROMIUM:-/usr/bin/chromium}
if [[ -x $browser ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "edusim: installing Chromium for the browser-view test (apt-get) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq chromium fonts-wqy-zenhei </dev/null >/dev/null
    if [[ -x /usr/bin/chromium ]]; then
        exit 0
    fi
fi
echo "edusim: the browser-view test needs Chromium, not found at $browser." >&2
echo "        Install it (Debian/Ubuntu: sudo apt-get install chromium) or point" >&2
echo "        EDUSIM_CHROMIUM=/path/to/chromium at one, then run the command again." >&2
exit 1
