#!/bin/sh
# Install the Debian packages the test suite drives for real (idempotent).
# - tigervnc-standalone-server: Xtigervnc, the VNC server behind the console tests.
# - systemd: systemd-analyze, which verifies the units in deploy/systemd/.
# - chromium, chromium-driver: the headless browser of the web console test (Selenium).
# - novnc: the pinned noVNC copy the web console page serves (/usr/share/novnc).
# - ganeti, socat, curl, openssl, iproute2: the real Ganeti lab of tests/ganeti_lab
#   (scripts/ganeti-lab.sh; docs/ganeti-lab.md).
# - wrk: the HTTP load generator of benchmarks/api.py.
# - haproxy: the load balancer of the multi-host deployment test (tests/multihost), which
#   also needs the ganeti lab's packages and PostgreSQL's and RabbitMQ's binaries.
# Runs apt-get only for what is missing; needs root (or sudo) the first time.
set -eu

missing=""
command -v Xtigervnc >/dev/null 2>&1 || missing="$missing tigervnc-standalone-server"
# vncpasswd writes the password file used by the "VNC auth to the destination" tests.
command -v tigervncpasswd >/dev/null 2>&1 || command -v vncpasswd >/dev/null 2>&1 \
    || missing="$missing tigervnc-tools"
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
[ -f /usr/share/novnc/core/rfb.js ] || missing="$missing novnc"
# The Ganeti lab (installed with --no-install-recommends: about 25 packages, no systemd).
command -v gnt-cluster >/dev/null 2>&1 || missing="$missing ganeti"
command -v socat >/dev/null 2>&1 || missing="$missing socat"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"

if [ -z "$missing" ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "install-test-deps: installing$missing" >&2
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
