# Shared by the test, unit and demo scripts: where things are, who runs the
# servers, and how to say what went wrong. Source it; it defines, never runs.

MQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debian's /usr/bin/pg_config follows the newest installed server; the
# extension targets 15, so prefer 15's own unless the caller chose.
if [ -z "${PG_CONFIG:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi
export PG_CONFIG
# initdb and postgres refuse root, so as root the servers run as this user.
MQ_RUN_USER=${MQ_RUN_USER:-postgres}
export MQ_RUN_USER

# The servers' superuser: initdb names it after the user that ran it.
mq_server_user() {
    if mq_is_root; then echo "$MQ_RUN_USER"; else id -un; fi
}

mq_step() { printf '\n==> %s\n' "$*"; }
mq_die() { printf 'multiquery: %s\n' "$*" >&2; exit 1; }
mq_is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the user the servers run as.
mq_as_run_user() {
    if mq_is_root; then
        runuser -u "$MQ_RUN_USER" -- env PATH="$PATH" PG_CONFIG="$PG_CONFIG" "$@"
    else
        "$@"
    fi
}

# Builds and installs the tests' own extension (test/extension/: hooks into
# the library that the shipped extension does not have, in a library of
# their own) next to the real one, which mq_build_and_install built first.
mq_install_test_extension() {
    make -C "$MQ_ROOT/test/extension" -s PG_CONFIG="$PG_CONFIG"
    local pkglibdir
    pkglibdir=$("$PG_CONFIG" --pkglibdir)
    if [ -w "$pkglibdir" ]; then
        make -C "$MQ_ROOT/test/extension" -s install PG_CONFIG="$PG_CONFIG"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo make -C "$MQ_ROOT/test/extension" -s install PG_CONFIG="$PG_CONFIG"
    else
        mq_die "cannot write $pkglibdir to install the test extension; run this as root"
    fi
}

# Builds the extension and installs it into the server PG_CONFIG names.
mq_build_and_install() {
    make -C "$MQ_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG"
    local pkglibdir
    pkglibdir=$("$PG_CONFIG" --pkglibdir)
    if [ -w "$pkglibdir" ]; then
        make -C "$MQ_ROOT" -s install PG_CONFIG="$PG_CONFIG"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo make -C "$MQ_ROOT" -s install PG_CONFIG="$PG_CONFIG"
    else
        mq_die "cannot write $pkglibdir to install the extension; run this as root (sudo make ...), or run 'sudo make install' first"
    fi
}
