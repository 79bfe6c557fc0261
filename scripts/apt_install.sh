#!/usr/bin/env sh
# Install Debian packages for the tests, once: `scripts/apt_install.sh "what for" pkg...`.
# Used by the ensure_*.sh scripts, which decide what is missing. Explains what to install on a
# system without apt, uses sudo when not root, and waits for another apt run to finish.
# Never starts a system-wide service (nginx, dovecot): the tests run their own on free
# loopback ports, so a policy-rc.d refuses service starts while the packages install.
set -eu

purpose="$1"
shift
[ "$#" -gt 0 ] || exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ ! -r /etc/debian_version ]; then
  echo "error: $purpose needs: $*" >&2
  echo "This is not a Debian-based system, so nothing was installed automatically." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "error: installing $* needs root; run: apt-get install -y $*" >&2
    exit 1
  fi
fi
echo "Installing $* for $purpose (apt)..."
# Several test targets may install at once: wait for the package lock instead of failing.
$sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy="yes"
fi
status=0
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" \
  || status=$?
[ -z "$created_policy" ] || $sudo rm -f "$policy"
exit "$status"
