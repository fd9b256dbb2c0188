#!/usr/bin/env bash
# Independent calendar parsers and a real subscribing client for tests/test_calendar.py and
# tests/test_feed_server.py: libical (GObject bindings), ical.js (Thunderbird's parser) and vdirsyncer.
# Idempotent: skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! /usr/bin/python3 -c 'import gi; gi.require_version("ICal", "3.0"); from gi.repository import ICal' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends gir1.2-ical-3.0 python3-gi
fi

# ical.js goes into tests/js/node_modules (gitignored), pinned by tests/js/package.json.
if [ ! -f tests/js/node_modules/ical.js/package.json ]; then
  npm install --prefix tests/js --no-audit --no-fund --silent
fi

# vdirsyncer in its own venv: its pinned dependencies must not clash with the project's.
if [ ! -x .venv-vdirsyncer/bin/vdirsyncer ]; then
  python3 -m venv .venv-vdirsyncer
  .venv-vdirsyncer/bin/pip install -q 'vdirsyncer==0.19.*'
fi
