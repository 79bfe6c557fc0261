#!/usr/bin/env sh
# Make sure the public-edge tests can run nginx (tests/security/test_nginx_edge.py): Debian's
# nginx package at /usr/sbin/nginx. The tests run their own nginx on free loopback ports;
# apt_install.sh never starts the system-wide service.
set -eu

[ -x /usr/sbin/nginx ] && exit 0
"$(dirname "$0")/apt_install.sh" "the public-edge tests (docs/deployment.md)" nginx-light
[ -x /usr/sbin/nginx ] || { echo "error: /usr/sbin/nginx still missing after apt" >&2; exit 1; }
