#!/usr/bin/env sh
# Make sure the browser tests can run: Debian's chromium at /usr/bin/chromium and a font
# with Chinese glyphs (without one, the widget's screenshots show empty boxes). Never
# downloads Playwright's own browser builds.
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="chromium"
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  missing="$missing fonts-wqy-microhei"
fi
[ -n "$missing" ] || exit 0

# shellcheck disable=SC2086  # word splitting of the package list is intended
"$(dirname "$0")/apt_install.sh" "the browser tests (Chromium and a Chinese font)" $missing
[ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium still missing after apt" >&2; exit 1; }
