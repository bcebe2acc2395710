#!/usr/bin/env bash
# Create .venv in the repository root and install edusim into it (editable) with the given
# extras, in ONE pip command so that all pins resolve together.
#
#   scripts/setup-venv.sh            # base install (what `make run` needs)
#   scripts/setup-venv.sh test       # + test extras (what `make test` needs)
#   scripts/setup-venv.sh dev        # + dev extras (ruff; includes test)
#
# .venv is (re)created with the interpreter from scripts/find-python.sh when it is missing,
# broken (e.g. its base Python was uninstalled), older than 3.12 or without pip.
# Idempotent and quick: after a successful install a stamp .venv/.edusim-stamp-<extras>
# records the hash of pyproject.toml + extras; pip is skipped while it matches. pip never
# uninstalls, so a stamp stays valid when another extras set is installed later.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

extras=${1:-}
if [[ ! $extras =~ ^[A-Za-z0-9_,-]*$ ]]; then
    echo "edusim: setup-venv.sh: bad extras '$extras' (expected e.g. 'test' or 'test,dev')" >&2
    exit 2
fi
venv=.venv
vpy=$venv/bin/python

venv_ok() {
    [[ -x $vpy ]] || return 1
    "$vpy" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1 </dev/null
}

if ! venv_ok; then
    py=$(bash scripts/find-python.sh) || exit 1
    if [[ -e $venv ]]; then
        echo "edusim: $venv is broken or older than Python 3.12; recreating it" >&2
        rm -rf "$venv"
    fi
    echo "edusim: creating $venv with $py ($("$py" --version 2>&1 </dev/null))" >&2
    if ! "$py" -m venv "$venv" </dev/null; then
        rm -rf "$venv"
        echo "edusim: '$py -m venv' failed. On Debian/Ubuntu install the venv module" \
             "(e.g. apt-get install python3.12-venv) or use another interpreter via" \
             "EDUSIM_PYTHON=/path/to/python3.12" >&2
        exit 1
    fi
fi

# edusim's own modules as bytecode, as a regular (non-editable) install has them. Python writes
# it at a module's first import anyway, unless PYTHONDONTWRITEBYTECODE is set (as it often is in
# containers): then every command would compile them again, about 0.2 s of each start. Only
# files changed since the last compile are compiled (0.05 s when none has).
"$vpy" -m compileall -q sim experiments hydra_plugins benchmarks >/dev/null </dev/null || true

spec=.
[[ -n $extras ]] && spec=".[$extras]"
stamp=$venv/.edusim-stamp-${extras:-base}
want=$({ cat pyproject.toml; printf '\nextras=%s\n' "$extras"; } | sha256sum)
want=${want%% *}
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    exit 0
fi

if ! "$vpy" -m pip --version >/dev/null 2>&1 </dev/null; then
    if [[ -n ${_EDUSIM_RECREATED:-} ]]; then
        echo "edusim: a freshly created $venv has no pip; check the interpreter's venv/ensurepip." >&2
        exit 1
    fi
    echo "edusim: $venv has no pip; recreating it" >&2
    rm -rf "$venv"
    _EDUSIM_RECREATED=1 exec bash scripts/setup-venv.sh "$extras"
fi

echo "edusim: installing edusim ($spec) into $venv ..." >&2
start=$SECONDS
pip_opts=(--disable-pip-version-check --no-input)
[[ -n ${CI:-} ]] && pip_opts+=(--progress-bar off)
if ! "$vpy" -m pip install "${pip_opts[@]}" -e "$spec" </dev/null; then
    echo "edusim: pip failed to install $spec into $venv (see pip's messages above)." >&2
    echo "        Fix the cause and run the command again; $venv is kept and reused." >&2
    exit 1
fi
echo "$want" >"$stamp"
echo "edusim: installed $spec in $((SECONDS - start)) s" >&2
