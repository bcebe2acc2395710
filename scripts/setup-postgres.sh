#!/usr/bin/env bash
# Make sure PostgreSQL's server programs (initdb, postgres) are installed for the test of a
# design search shared through a PostgreSQL database (tests/postgres_server.py starts a
# server of its own on 127.0.0.1 and stops it). Used by `make test`.
#
# Uses Debian's /usr/lib/postgresql/*/bin or an initdb on the PATH when present; otherwise,
# as root on Debian/Ubuntu, installs the postgresql package (its own cluster is not used).
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "edusim: installing PostgreSQL for the shared design-search test (apt-get) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq postgresql </dev/null >/dev/null
    if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
        exit 0
    fi
fi
echo "edusim: the shared design-search test needs PostgreSQL's server programs (initdb)," >&2
echo "        not found. Install them (Debian/Ubuntu: sudo apt-get install postgresql)," >&2
echo "        then run the command again." >&2
exit 1
