#!/usr/bin/env sh
# Make sure the browser tests can run: Debian's chromium at /usr/bin/chromium and a font
# with Chinese glyphs (without one, the widget's screenshots show empty boxes).
# Installs through apt on Debian/Ubuntu; elsewhere explains what to install. Never downloads
# Playwright's own browser builds.
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="chromium"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  missing="$missing fonts-wqy-microhei"
fi
[ -n "$missing" ] || exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ ! -r /etc/debian_version ]; then
  cat >&2 <<MSG
error: the browser tests need Chromium at /usr/bin/chromium and a Chinese font.
Missing: $missing
This is not a Debian-based system, so nothing was installed automatically. Install your
distribution's Chromium so that /usr/bin/chromium exists (a symlink is fine) and a CJK font
(e.g. Noto Sans CJK or WenQuanYi Micro Hei), then run make test again.
MSG
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "error: installing$missing needs root; run: apt-get install -y$missing" >&2
    exit 1
  fi
fi
echo "Installing$missing for the browser tests (apt)..."
$sudo apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
[ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium still missing after apt" >&2; exit 1; }
