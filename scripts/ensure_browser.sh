#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver are installed for the browser tests.
# Debian's packages (`chromium`, `chromium-driver`) only: nothing is downloaded at test
# time, and the browser version always matches its driver. A no-op when both are present.
set -euo pipefail

CHROMIUM="${CHROMIUM_BINARY:-/usr/bin/chromium}"
CHROMEDRIVER="${CHROMEDRIVER_BINARY:-/usr/bin/chromedriver}"

if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  echo "Chromium and chromedriver are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium and chromium-driver for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
fi

if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  echo "Chromium and chromedriver are installed"
  exit 0
fi
echo "Chromium ($CHROMIUM) or chromedriver ($CHROMEDRIVER) is missing." >&2
echo "Install Debian's chromium and chromium-driver (as root: apt-get install chromium" >&2
echo "chromium-driver), or set CHROMIUM_BINARY and CHROMEDRIVER_BINARY to their paths." >&2
exit 1
