#!/usr/bin/env bash
# Builds one self-contained executable of Function Stream (server and CLI):
#
#   deno task compile                      # -> dist/function-stream
#   bash scripts/compile.sh --output PATH  # elsewhere
#
# Embedded besides the code: the Pyodide package (pyodide.asm.wasm,
# python_stdlib.zip, pyodide-lock.json, pyodide.asm.mjs) with node_modules,
# the isolate's worker script (workers are not found by the module graph),
# the fs_runtime and fs_api Python sources the snapshot is built from, and
# the .proto files. The binary keeps its data in --data-dir as usual.
#
# `deno compile` writes the program onto `denort`, a runtime binary of the
# same Deno version that it downloads from dl.deno.land on first use. With
# no access to that host (offline, or a registry-only network) point
# DENORT_BIN at a denort binary of this Deno version and platform (from the
# denort-<target>.zip of the Deno release). npm has no denort package
# (only the full `deno` binary, which cannot serve as denort).
set -euo pipefail
cd "$(dirname "$0")/.."
deno=${DENO_EXEC_PATH:-deno}
command -v "$deno" >/dev/null 2>&1 || deno="npx -y deno"

output=dist/function-stream
while [ $# -gt 0 ]; do
  case "$1" in
    --output) output=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compile.sh: unknown argument '$1' (use --output PATH)" >&2; exit 2 ;;
  esac
done

if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then
  echo "compile.sh: Cannot use DENORT_BIN as it is not an executable file: current value is '$DENORT_BIN'" >&2
  exit 2
fi

# node_modules must hold the npm packages (pyodide's assets are read from it).
$deno install --quiet
mkdir -p "$(dirname "$output")"

# npm packages are embedded whole from node_modules (pyodide's wasm, stdlib
# zip, lock file and asm.mjs included); naming files inside node_modules
# with --include crashes deno compile 2.9 (stack overflow), so they are not.
includes=(
  runtime/isolate/worker_main.ts
  runtime/isolate/fs_runtime
  python/fs_api/src/fs_api
  proto
)
args=(compile --allow-all --no-prompt --output "$output")
# bintrees (prom-client -> tdigest -> bintrees) ships 2 MB of test data that
# makes deno compile 2.9 overflow its stack; nothing loads it at run time.
for tests in node_modules/.deno/bintrees@*/node_modules/bintrees/test; do
  [ -d "$tests" ] && args+=(--exclude "$tests")
done
for path in "${includes[@]}"; do
  [ -e "$path" ] || { echo "compile.sh: Cannot embed $path as it does not exist (run 'deno install')" >&2; exit 1; }
  args+=(--include "$path")
done

if ! $deno "${args[@]}" main.ts; then
  if [ -z "${DENORT_BIN:-}" ]; then
    echo "compile.sh: deno compile failed; if it could not download denort, set DENORT_BIN to a local denort binary of Deno $($deno --version | head -1 | cut -d' ' -f2)" >&2
  fi
  exit 1
fi
echo "compile.sh: built $output ($(du -h "$output" | cut -f1))"
