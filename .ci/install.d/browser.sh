#!/usr/bin/env bash
# A real browser for tests/test_web_browser.py: Debian's headless-capable Chromium and its WebDriver,
# driven by Selenium (from the test extra). Idempotent: skips what is already installed.
set -euo pipefail

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi
