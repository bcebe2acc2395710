#!/usr/bin/env bash
# Check the version bounds in pyproject.toml: install edusim (editable, with the extras in
# EXTRAS: default cluster, EXTRAS= for the base install alone) into a clean venv with the
# LOWEST allowed versions of its direct dependencies (uv's --resolution lowest-direct) and
# into another with the NEWEST (--resolution highest), and run a smoke set in each: a tiny
# run and a few fast tests (SMOKE_TESTS). A lower bound that is too low fails the first, a
# release that breaks edusim fails the second, and `uv pip check` must be clean in both.
# A third mode, wheel, installs edusim as `pip install .` does (not editable, no extras,
# newest versions) and runs the commands from a folder outside the clone: the installed
# package must carry everything it needs (its configuration included).
#
#   scripts/check-dependency-bounds.sh                 # lowest and highest
#   scripts/check-dependency-bounds.sh lowest wheel    # any of lowest, highest, wheel
#
# Needs uv: $UV, else the uv next to .venv's Python (the test extra brings it), else uv on
# the PATH. The venvs are made with the interpreter from scripts/find-python.sh (uv never
# downloads one) in a temporary folder that is removed at the end (KEEP=1 keeps it).
# uv's cache is its usual one (UV_CACHE_DIR to choose; an empty one costs the downloads).
# tests/test_dependency_bounds.py runs this in CI.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

modes=("$@")
((${#modes[@]})) || modes=(lowest highest)
for m in "${modes[@]}"; do
    if [[ $m != lowest && $m != highest && $m != wheel ]]; then
        echo "check-dependency-bounds: unknown mode '$m' (expected lowest, highest or wheel)" >&2
        exit 2
    fi
done
extras=${EXTRAS-cluster}
# the launchers (joblib, Ray: skipped without the cluster extra), the entry point, SALib
default_smoke="tests/test_launcher.py tests/test_entry.py
 tests/test_sweeps.py::test_joblib_and_basic_launchers_give_the_same_numbers
 tests/test_sweeps.py::test_workstation_launcher_workers_keep_their_compositions_and_state_across_jobs
 tests/test_sweeps.py::test_ray_launcher_against_a_local_head
 tests/test_sensitivity.py::test_morris_wrapper_on_a_linear_function_with_a_dead_parameter
 tests/test_sensitivity.py::test_sobol_wrapper_on_ishigami"
smoke=${SMOKE_TESTS:-$default_smoke}
read -r -d "" -a smoke <<< "$smoke" || true

uv=${UV:-}
if [[ -z $uv && -x .venv/bin/uv ]]; then
    uv=.venv/bin/uv
fi
if [[ -z $uv ]]; then
    uv=$(type -P uv) || {
        echo "check-dependency-bounds: no uv (pip install uv, or set UV=/path/to/uv)" >&2
        exit 1
    }
fi
py=$(bash scripts/find-python.sh)
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
# uv reads neither pip's configuration nor, by default, the system's trust store: on a
# network whose proxy has its own certificate authority it then cannot reach the index.
# Trust the system's store (UV_SYSTEM_CERTS; UV_NATIVE_TLS in uv < 0.9) and the certificate
# bundle pip is configured with, as pip does.
export UV_SYSTEM_CERTS=1 UV_NATIVE_TLS=1
if [[ -z ${SSL_CERT_FILE:-} ]]; then
    cert=$("$py" -m pip config get global.cert 2>/dev/null </dev/null || true)
    if [[ -n $cert && -f $cert ]]; then
        export SSL_CERT_FILE=$cert
    fi
fi
# the Ray test's head sends no usage statistics
export RAY_USAGE_STATS_ENABLED=0

work=$(mktemp -d "${TMPDIR:-/tmp}/edusim-bounds.XXXXXX")
if [[ -z ${KEEP:-} ]]; then
    trap 'rm -rf "$work"' EXIT
fi

spec=.
[[ -n $extras ]] && spec=".[$extras]"
failed=()
for mode in "${modes[@]}"; do
    venv=$work/$mode
    resolution=$mode
    [[ $mode == lowest ]] && resolution=lowest-direct
    install=(-e "$spec" "pytest>=8")
    if [[ $mode == wheel ]]; then
        resolution=highest
        install=(.)
    fi
    echo "== $mode: ${install[*]} with --resolution $resolution into $venv" >&2
    start=$SECONDS
    "$uv" venv --quiet --python "$py" "$venv"
    # pytest with the test extra's lower bound (the same in both: the tests run with it)
    if ! "$uv" pip install --quiet --python "$venv/bin/python" --resolution "$resolution" \
            "${install[@]}" </dev/null; then
        echo "== $mode: the install failed (a bound in pyproject.toml is wrong?)" >&2
        failed+=("$mode: install")
        continue
    fi
    "$uv" pip freeze --python "$venv/bin/python" >"$work/$mode-versions.txt"
    echo "== $mode: installed in $((SECONDS - start)) s; direct dependencies:" >&2
    names=$(EXTRAS=$extras "$venv/bin/python" - <<'EOF'
import os
import re
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = list(project["dependencies"]) + ["pytest"]
for extra in filter(None, os.environ["EXTRAS"].split(",")):
    reqs += project["optional-dependencies"][extra]
for r in reqs:
    name = re.match(r"[A-Za-z0-9_.-]+", r).group(0)
    if name != "edusim":
        print(re.sub(r"[-_.]+", "-", name).lower())
EOF
)
    while IFS= read -r line; do
        n=${line%%==*}
        n=$(tr 'A-Z_.' 'a-z--' <<<"$n")
        grep -qxF "$n" <<<"$names" && echo "   $line" >&2
    done <"$work/$mode-versions.txt"
    if ! "$uv" pip check --python "$venv/bin/python" >&2; then
        failed+=("$mode: pip check")
    fi
    if [[ $mode == wheel ]]; then
        # the installed commands, run outside the clone: help, a run with its figure, a
        # two-run sweep (the workstation launcher's workers), a county table's verdict
        away=$work/wheel-cwd
        mkdir -p "$away"
        checks=("edusim --help" "edusim-design --help"
                "edusim region=tiny years=1 hydra.run.dir=$away/run"
                "edusim --multirun region=tiny years=1 seed=0,1 hydra.sweep.dir=$away/sweep"
                "edusim-evaluate $root/examples/county_schools.csv")
        for check in "${checks[@]}"; do
            read -r -a argv <<<"$check"
            if ! (cd "$away" && "$venv/bin/${argv[0]}" "${argv[@]:1}") \
                    >"$work/wheel-check.log" 2>&1 </dev/null; then
                tail -n 30 "$work/wheel-check.log" >&2
                failed+=("wheel: $check")
            fi
        done
        [[ -f $away/run/equity.png && -f $away/sweep/1/COMPLETE ]] \
            || failed+=("wheel: the run's or the sweep's outputs are missing")
        echo "== $mode: done in $((SECONDS - start)) s" >&2
        continue
    fi
    out=$work/$mode-run
    if ! "$venv/bin/edusim" region=tiny years=1 figures=false "hydra.run.dir=$out" \
            >"$work/$mode-run.log" 2>&1 </dev/null; then
        tail -n 30 "$work/$mode-run.log" >&2
        failed+=("$mode: edusim region=tiny years=1")
    fi
    if ! "$venv/bin/python" -m pytest -q -p no:cacheprovider -p no:xdist --durations=5 \
            --basetemp="$work/$mode-pytest" "${smoke[@]}" </dev/null >&2; then
        failed+=("$mode: ${smoke[*]}")
    fi
    echo "== $mode: done in $((SECONDS - start)) s" >&2
done

if ((${#failed[@]})); then
    echo "check-dependency-bounds: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "check-dependency-bounds: ${modes[*]}: installs, pip check, runs and smoke tests pass" >&2
