#!/usr/bin/env sh
# Make sure the e-mail channel tests can run: Dovecot's IMAP and LMTP servers from Debian's
# packages. The tests start their own unprivileged instance on free loopback ports with a
# generated configuration (tests/support/mail.py); the system-wide service is never used.
set -eu

missing=""
[ -x /usr/sbin/dovecot ] || missing="dovecot-core"
[ -x /usr/lib/dovecot/imap ] || missing="$missing dovecot-imapd"
[ -x /usr/lib/dovecot/lmtp ] || missing="$missing dovecot-lmtpd"
[ -n "$missing" ] || exit 0

# shellcheck disable=SC2086  # word splitting of the package list is intended
"$(dirname "$0")/apt_install.sh" "the e-mail channel tests (Dovecot IMAP and LMTP)" $missing
[ -x /usr/sbin/dovecot ] || { echo "error: /usr/sbin/dovecot still missing after apt" >&2; exit 1; }
