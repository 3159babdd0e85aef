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
    locales                              # a German lc_messages target (test/t/191_*)
    prometheus-postgres-exporter         # the real exporter scrapes monitoring/ (test/t/300_*)
    sqlsmith                             # random queries for the raced tables' fuzzer (test/t/430_*)
    debhelper dpkg-dev postgresql-server-dev-all git  # the Debian package (test/package_test.sh)
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "multiquery: missing Debian packages: ${missing[*]}" >&2
        echo "multiquery: install them with: sudo apt-get install -y ${missing[*]}  (or run this command as root)" >&2
        exit 1
    fi
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A target running lc_messages=de_DE.UTF-8 (race failures are classified by
# SQLSTATE, never by message text): the servers need the locale generated,
# and their message catalogs where they look for them. postgresql-15 ships
# the German catalog in /usr/share/locale; a relocated installation (a copy
# of it under another prefix) looks under its own share/locale.
german_ready() {
    locale -a 2>/dev/null | grep -qix 'de_DE.utf-\?8'
}
if ! german_ready; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "multiquery: the de_DE.UTF-8 locale is missing: run this script as root" >&2
        exit 1
    fi
    echo "==> generating the de_DE.UTF-8 locale"
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null
fi
localedir=$("${PG_CONFIG:-pg_config}" --localedir 2>/dev/null || true)
if [ -n "$localedir" ] && [ ! -e "$localedir" ] && [ "$(id -u)" -eq 0 ] &&
    [ -e /usr/share/locale/de/LC_MESSAGES/postgres-15.mo ]; then
    echo "==> linking $localedir to the packaged message catalogs"
    ln -s /usr/share/locale "$localedir"
fi
