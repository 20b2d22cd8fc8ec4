#!/bin/sh
# Install the Debian packages the test suite drives for real (idempotent).
# - tigervnc-standalone-server: Xtigervnc, the VNC server behind the console tests.
# - wrk: the HTTP load generator of benchmarks/api.py.
# Runs apt-get only for what is missing; needs root (or sudo) the first time.
set -eu

missing=""
command -v Xtigervnc >/dev/null 2>&1 || missing="$missing tigervnc-standalone-server"
# vncpasswd writes the password file used by the "VNC auth to the destination" tests.
command -v tigervncpasswd >/dev/null 2>&1 || command -v vncpasswd >/dev/null 2>&1 \
    || missing="$missing tigervnc-tools"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"

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
