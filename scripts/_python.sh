# Sourced by scripts/start and scripts/test: make .venv with a Python 3.11+ if it is missing.
ensure_venv() {
    [ -x .venv/bin/python ] && return 0
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            "$candidate" -m venv .venv
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    return 1
}
