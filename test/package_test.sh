#!/usr/bin/env bash
# The Debian package: builds postgresql-15-multiquery with dpkg-buildpackage
# from a clean copy of the committed tree (PostgreSQL's pg_buildext
# conventions, debian/), installs it with apt, and creates the extension in
# a throwaway server started from the installed files. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

passed=0
check() { echo "ok - $*"; passed=$((passed + 1)); }

mq_is_root || { echo "package checks: 0 passed, 0 failed (skipped: not root)"; exit 0; }
work=$(mktemp -d /tmp/multiquery-package.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && mq_as_run_user "$(/usr/lib/postgresql/15/bin/pg_config --bindir)/pg_ctl" \
        -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# What is committed, as a source package would hold it (no build products).
git -C "$MQ_ROOT" archive --format=tar --prefix=multiquery/ HEAD | tar -C "$work" -xf -
(cd "$work/multiquery" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log"; mq_die "dpkg-buildpackage failed"; }
deb=$(ls "$work"/postgresql-15-multiquery_*.deb)
check "dpkg-buildpackage built $(basename "$deb")"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 ||
    { tail -n 20 "$work/install.log"; mq_die "the package did not install"; }
dpkg-query -W -f='${Status}' postgresql-15-multiquery | grep -q "install ok installed" ||
    mq_die "postgresql-15-multiquery is not installed"
check "apt installed it"
for file in /usr/lib/postgresql/15/lib/multiquery.so /usr/share/postgresql/15/extension/multiquery.control \
    /usr/share/doc/postgresql-15-multiquery/examples/postgres_exporter.yml; do
    dpkg -S "$file" >/dev/null 2>&1 || mq_die "the package does not own $file"
done
check "it owns the library, the control file and the monitoring examples"
# The tests' own extension and its library (test/extension/) stay out.
! dpkg -L postgresql-15-multiquery | grep -q multiquery_test ||
    mq_die "the package ships the test extension: $(dpkg -L postgresql-15-multiquery | grep multiquery_test | tr '\n' ' ')"
! nm -D --defined-only /usr/lib/postgresql/15/lib/multiquery.so | grep -q 'multiquery_test' ||
    mq_die "the packaged library exports test functions"
check "it ships no test extension and its library no test functions"

# A throwaway server with the packaged files: the extension installs and
# agrees with the library on the version.
bindir=/usr/lib/postgresql/15/bin
chown "$MQ_RUN_USER" "$work"
port=${MQ_PACKAGE_PORT:-55462}
mq_as_run_user "$bindir/initdb" -D "$work/data" -A trust >/dev/null
server=started
mq_as_run_user "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work" start >/dev/null
version=$(mq_as_run_user "$bindir/psql" -X -At -h 127.0.0.1 -p "$port" -d postgres \
    -c "CREATE EXTENSION multiquery" -c "SELECT multiquery.version() = extversion FROM pg_extension WHERE extname = 'multiquery'")
[ "$version" = "$(printf 'CREATE EXTENSION\nt')" ] || mq_die "CREATE EXTENSION from the package gave: $version"
check "CREATE EXTENSION multiquery works from the packaged files, library and SQL agreeing"
echo "package checks: $passed passed, 0 failed"
