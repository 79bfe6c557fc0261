#!/usr/bin/env sh
# Make sure the public-edge tests can run nginx (tests/security/test_nginx_edge.py): Debian's
# nginx package at /usr/sbin/nginx. Idempotent; installs through apt on Debian/Ubuntu and
# never starts the system service (the tests run their own nginx on free loopback ports).
set -eu

[ -x /usr/sbin/nginx ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ ! -r /etc/debian_version ]; then
  cat >&2 <<MSG
error: the public-edge tests need nginx at /usr/sbin/nginx (docs/deployment.md).
This is not a Debian-based system, so nothing was installed automatically. Install your
distribution's nginx package, then run make test again.
MSG
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "error: installing nginx needs root; run: apt-get install -y nginx" >&2
    exit 1
  fi
fi
echo "Installing nginx for the public-edge tests (apt)..."
$sudo apt-get update -qq
# policy-rc.d: the package must not start (or fail to start) the system-wide service.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy="yes"
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light 2>/dev/null \
  || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx
[ -n "$created_policy" ] && $sudo rm -f "$policy"
[ -x /usr/sbin/nginx ] || { echo "error: /usr/sbin/nginx still missing after apt" >&2; exit 1; }
