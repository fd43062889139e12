#!/usr/bin/env bash
# Creates the Python virtualenv <repo>/.venv with fs_api, fs_client and pytest.
#
#   bash scripts/setup_python.sh          # then: .venv/bin/python -m pytest python -q
#   FS_SETUP_FORCE=1 bash scripts/setup_python.sh   # reinstall even when nothing changed
#
# Needs only python3 (3.11 or newer) and pip. Quick when already set up: the
# packages are reinstalled only when a hash of their sources, pyproject files,
# this script and the interpreter version changed (stored in .venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.fs_setup_hash"
# Test-only requirements (the packages' own dependencies come from their pyproject files).
TEST_REQUIREMENTS=("pytest>=8")

log() { echo "[setup_python] $*"; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "error: $PYTHON not found; install Python 3.11 or newer (or set PYTHON=...)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  log "error: $("$PYTHON" --version 2>&1) is too old; Python 3.11 or newer is required" >&2
  exit 1
fi

# Hash of everything that changes what gets installed.
HASH="$(cd "$ROOT" && "$PYTHON" - "$0" <<'PY'
import hashlib, pathlib, sys
digest = hashlib.sha256(sys.version.encode())
files = [pathlib.Path(sys.argv[1])]
for name in ("fs_api", "fs_client"):
    base = pathlib.Path("python", name)
    files += [base / "pyproject.toml", base / "README.md"]
    files += [p for p in (base / "src" / name).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
for path in sorted(set(files)):
    digest.update(str(path).encode() + b"\0")
    digest.update(path.read_bytes() if path.is_file() else b"<missing>")
print(digest.hexdigest())
PY
)"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV with $("$PYTHON" --version 2>&1)"
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian-like systems without python3-venv/ensurepip: bootstrap pip with the system pip.
    log "python -m venv could not install pip; bootstrapping pip with the system pip"
    rm -rf "$VENV"
    "$PYTHON" -m venv --without-pip "$VENV"
    "$PYTHON" -m pip --python "$VENV/bin/python" install --quiet pip
  fi
fi

if [ "${FS_SETUP_FORCE:-0}" != "1" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] \
  && "$VENV/bin/python" -c 'import fs_api, fs_client, pytest' >/dev/null 2>&1; then
  log "up to date ($VENV)"
  exit 0
fi

rm -f "$STAMP"
# setuptools reuses build/ between builds: a module deleted from src/ would still be installed.
rm -rf "$ROOT/python/fs_api/build" "$ROOT/python/fs_client/build"
log "installing fs_api, fs_client and their dependencies, ${TEST_REQUIREMENTS[*]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "$ROOT/python/fs_api" "$ROOT/python/fs_client" "${TEST_REQUIREMENTS[@]}"
# pip keeps an installed local package whose version did not change: force the current sources in.
log "reinstalling fs_api and fs_client from the current sources"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
  "$ROOT/python/fs_api" "$ROOT/python/fs_client"
"$VENV/bin/python" -c 'import fs_api, fs_client, pytest'
echo "$HASH" >"$STAMP"
log "ready: $VENV ($("$VENV/bin/python" --version 2>&1)); run: .venv/bin/python -m pytest python -q"
