#!/usr/bin/env sh
# Make sure the e-mail channel tests can run: Dovecot's IMAP and LMTP servers from Debian's
# packages. The tests start their own unprivileged instance on free loopback ports with a
# generated configuration (tests/support/mail.py); the system-wide service is never used.
# Installs through apt on Debian/Ubuntu; elsewhere explains what to install. Quiet when
# everything is already there.
set -eu

missing=""
[ -x /usr/sbin/dovecot ] || missing="dovecot-core"
[ -x /usr/lib/dovecot/imap ] || missing="$missing dovecot-imapd"
[ -x /usr/lib/dovecot/lmtp ] || missing="$missing dovecot-lmtpd"
[ -n "$missing" ] || exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ ! -r /etc/debian_version ]; then
  cat >&2 <<MSG
error: the e-mail channel tests need Dovecot (IMAP and LMTP) at /usr/sbin/dovecot.
Missing: $missing
This is not a Debian-based system, so nothing was installed automatically. Install your
distribution's Dovecot with its IMAP and LMTP servers, then run make test again.
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
echo "Installing$missing for the e-mail channel tests (apt)..."
$sudo apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
[ -x /usr/sbin/dovecot ] || { echo "error: /usr/sbin/dovecot still missing after apt" >&2; exit 1; }
