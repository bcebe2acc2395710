#!/usr/bin/env bash
# Print the path of a working Python >= 3.12 interpreter (edusim needs it: Mesa 3.5 does).
#
#   scripts/find-python.sh            -> prints e.g. /root/.pyenv/versions/3.12.1/bin/python3
#
# Candidates, in this order (the first one that actually runs and reports >= 3.12 wins):
#   1. $EDUSIM_PYTHON, if set (a path or a command name). If it is set but unusable, stop
#      with an error instead of silently picking something else.
#   2. python3.13, python3.12, python3 on the PATH. Each is executed: a pyenv shim that
#      fails (pyenv's `python3.12` does unless PYENV_VERSION is set) is skipped.
#   3. pyenv's installed versions: $PYENV_ROOT/versions (or `pyenv root`), then
#      $HOME/.pyenv/versions. Only plain CPython releases (3.12.4, 3.13.0, ...; no "t"
#      free-threaded or -dev builds). 3.12 is preferred over 3.13 and later because it has
#      the widest wheel availability for the pinned stack; within a minor version the newest
#      patch release wins.
#   4. /usr/local/bin/python3.1[2-9] and /usr/bin/python3.1[2-9] (3.12 first).
#      EDUSIM_SYSTEM_BIN_DIRS (default "/usr/local/bin /usr/bin") replaces that list; the
#      tests use it to stay independent of the machine.
#
# The version query is exactly:   "$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
# (tests fake interpreters with small shell scripts that print "3.11" or "3.12").
#
# Exit status: 0 with the path on stdout, or 1 with an explanation on stderr.
# Uses only bash builtins, so it works with a minimal PATH.

set -uo pipefail

MIN_MAJOR=3
MIN_MINOR=12

tried=()
found_version=""
last_reason=""

# py_version PATH -> sets found_version to "X.Y" and returns 0 if the interpreter runs and
# prints a version; returns 1 (with found_version describing the failure) otherwise.
py_version() {
    local py=$1 out rc
    out=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null </dev/null)
    rc=$?
    if [[ $rc -ne 0 ]]; then
        found_version="does not run (exit $rc)"
        return 1
    fi
    out=${out//$'\r'/}
    if [[ ! $out =~ ^([0-9]+)\.([0-9]+)$ ]]; then
        found_version="unexpected version output '${out:0:40}'"
        return 1
    fi
    found_version=$out
    return 0
}

# new_enough "X.Y"
new_enough() {
    local major=${1%%.*} minor=${1#*.}
    (( major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR) ))
}

# try LABEL PATH -> prints PATH and exits 0 if it is usable; records why not otherwise.
try() {
    local label=$1 py=$2
    if [[ ! -x $py || -d $py ]]; then
        last_reason="not an executable file"
    elif ! py_version "$py"; then
        last_reason=$found_version
    elif ! new_enough "$found_version"; then
        last_reason="Python $found_version, too old"
    else
        printf '%s\n' "$py"
        exit 0
    fi
    tried+=("$label ($py): $last_reason")
    return 1
}

# 1. explicit choice
if [[ -n ${EDUSIM_PYTHON:-} ]]; then
    py=$EDUSIM_PYTHON
    if [[ $py != */* ]]; then
        py=$(type -P -- "$py") || py=""
    fi
    if [[ -z $py ]]; then
        echo "edusim: EDUSIM_PYTHON=$EDUSIM_PYTHON: no such command on the PATH." >&2
        echo "Set EDUSIM_PYTHON to the path of a Python >= 3.12, or unset it to search automatically." >&2
        exit 1
    fi
    try "EDUSIM_PYTHON" "$py"
    echo "edusim needs Python >= 3.12, but EDUSIM_PYTHON=$EDUSIM_PYTHON ($py) is not usable: $last_reason." >&2
    echo "Set EDUSIM_PYTHON to the path of a Python >= 3.12, or unset it to search automatically." >&2
    exit 1
fi

# 2. the PATH
for name in python3.13 python3.12 python3; do
    if py=$(type -P -- "$name"); then
        try "$name on PATH" "$py"
    else
        tried+=("$name: not on PATH")
    fi
done

# 3. pyenv installations
# sorted_pyenv_pythons DIR -> prints DIR/X.Y.Z/bin/python3 for X.Y >= 3.12, 3.12 first
# (ascending minor), newest patch first within a minor version. Pure bash.
sorted_pyenv_pythons() {
    local dir=$1 d v keys=() key
    [[ -d $dir ]] || return 0
    for d in "$dir"/3.1[2-9].* "$dir"/3.[2-9][0-9].*; do
        [[ -d $d ]] || continue
        v=${d##*/}
        [[ $v =~ ^3\.([0-9]+)\.([0-9]+)$ ]] || continue
        # sortable key: minor ascending, patch descending
        key=$(printf '%03d%03d' "${BASH_REMATCH[1]}" $((999 - BASH_REMATCH[2])))
        keys+=("$key $d/bin/python3")
    done
    ((${#keys[@]})) || return 0
    # insertion sort (lists are tiny; avoids needing `sort` on the PATH)
    local i j tmp n=${#keys[@]}
    for ((i = 1; i < n; i++)); do
        tmp=${keys[i]}
        for ((j = i - 1; j >= 0; j--)); do
            [[ ${keys[j]%% *} > ${tmp%% *} ]] || break
            keys[j + 1]=${keys[j]}
        done
        keys[j + 1]=$tmp
    done
    for key in "${keys[@]}"; do
        printf '%s\n' "${key#* }"
    done
}

pyenv_roots=()
if [[ -n ${PYENV_ROOT:-} ]]; then
    pyenv_roots+=("$PYENV_ROOT")
elif pyenv_bin=$(type -P pyenv); then
    if r=$("$pyenv_bin" root 2>/dev/null </dev/null) && [[ -n $r ]]; then
        pyenv_roots+=("$r")
    fi
fi
if [[ -n ${HOME:-} ]]; then
    pyenv_roots+=("$HOME/.pyenv")
fi

seen=" "
for root in "${pyenv_roots[@]}"; do
    [[ $seen == *" $root "* ]] && continue
    seen+="$root "
    n_before=${#tried[@]}
    while IFS= read -r py; do
        v=${py%/bin/python3}; try "pyenv ${v##*/}" "$py"
    done < <(sorted_pyenv_pythons "$root/versions")
    if [[ ${#tried[@]} -eq $n_before ]]; then
        tried+=("pyenv: no 3.12+ under $root/versions")
    fi
done

# 4. system locations
read -r -a sys_dirs <<< "${EDUSIM_SYSTEM_BIN_DIRS-/usr/local/bin /usr/bin}"
for dir in "${sys_dirs[@]}"; do
    n_before=${#tried[@]}
    for minor in 12 13 14 15 16 17 18 19; do
        py=$dir/python3.$minor
        [[ -e $py ]] && try "python3.$minor in $dir" "$py"
    done
    if [[ ${#tried[@]} -eq $n_before ]]; then
        tried+=("no python3.1[2-9] in $dir")
    fi
done

{
    echo "edusim needs Python >= 3.12; none found. Tried:"
    for t in "${tried[@]}"; do
        echo "  - $t"
    done
    echo 'Install one (e.g. `pyenv install 3.12`) or set EDUSIM_PYTHON=/path/to/python3.12'
} >&2
exit 1
