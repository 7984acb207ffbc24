#!/usr/bin/env bash
# Chromium for the admin UI browser test (examples/gateway): installs Debian's chromium when
# /usr/bin/chromium is missing. playwright-core drives it; no browser is downloaded from
# anywhere else. Safe to run again.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
echo "chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
