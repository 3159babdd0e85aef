#!/usr/bin/env bash
# Installs the Debian 12 packages multiquery needs to build, test and demo,
# when any is missing. Needs root for that; otherwise says what to run.
set -euo pipefail

packages=(
    make g++ cmake libgtest-dev          # build and unit tests
    postgresql-15 postgresql-server-dev-15 libpq-dev
    libhiredis-dev redis-server          # the write queue
    libipc-run-perl                      # TAP tests (PostgreSQL::Test::Cluster)
    procps                               # ps and pgrep, to stop and freeze servers in tests
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "multiquery: missing Debian packages: ${missing[*]}" >&2
    echo "multiquery: install them with: sudo apt-get install -y ${missing[*]}  (or run this command as root)" >&2
    exit 1
fi
echo "==> installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
