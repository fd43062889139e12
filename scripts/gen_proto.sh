#!/usr/bin/env bash
# Regenerates the Python gRPC code of fs_client from proto/function_stream.proto.
#
#   bash scripts/gen_proto.sh
#
# Writes python/fs_client/src/fs_client/_proto/function_stream_pb2{.py,.pyi,_grpc.py}.
# The generated files are committed, so installing fs_client needs no codegen.
# grpcio-tools is pinned below and installed into a cached tool virtualenv
# (.cache/grpc-tools-<version>, git-ignored), never into .venv.
set -euo pipefail

GRPC_TOOLS_VERSION="1.85.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PROTO_DIR="$ROOT/proto"
OUT_DIR="$ROOT/python/fs_client/src/fs_client/_proto"
PYPROJECT="$ROOT/python/fs_client/pyproject.toml"
TOOLS_VENV="$ROOT/.cache/grpc-tools-$GRPC_TOOLS_VERSION"

log() { echo "[gen_proto] $*"; }

if ! "$TOOLS_VENV/bin/python" -c "import grpc_tools.protoc" 2>/dev/null; then
  log "creating tool virtualenv $TOOLS_VENV with grpcio-tools==$GRPC_TOOLS_VERSION"
  rm -rf "$TOOLS_VENV"
  mkdir -p "$(dirname "$TOOLS_VENV")"
  if ! "$PYTHON" -m venv "$TOOLS_VENV" >/dev/null 2>&1; then
    # Debian-like systems without python3-venv: bootstrap pip with the system pip.
    rm -rf "$TOOLS_VENV"
    "$PYTHON" -m venv --without-pip "$TOOLS_VENV"
    "$PYTHON" -m pip --python "$TOOLS_VENV/bin/python" install --quiet pip
  fi
  "$TOOLS_VENV/bin/python" -m pip install --quiet "grpcio-tools==$GRPC_TOOLS_VERSION"
else
  log "using tool virtualenv $TOOLS_VENV"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

log "running protoc on $PROTO_DIR/function_stream.proto"
"$TOOLS_VENV/bin/python" -m grpc_tools.protoc \
  -I"$PROTO_DIR" \
  --python_out="$TMP" \
  --pyi_out="$TMP" \
  --grpc_python_out="$TMP" \
  "$PROTO_DIR/function_stream.proto"

# The plugin writes a top-level import; make it package-relative.
GRPC_FILE="$TMP/function_stream_pb2_grpc.py"
sed -i.bak 's/^import function_stream_pb2 as /from . import function_stream_pb2 as /' "$GRPC_FILE"
rm -f "$GRPC_FILE.bak"
if ! grep -q '^from \. import function_stream_pb2 as ' "$GRPC_FILE"; then
  log "error: could not rewrite the import in function_stream_pb2_grpc.py" >&2
  exit 1
fi

# The runtimes must be at least the versions the code was generated for.
PB_VERSION="$(sed -n 's/^# Protobuf Python Version: \([0-9.]*\).*/\1/p' "$TMP/function_stream_pb2.py")"
GRPC_VERSION="$(sed -n "s/^GRPC_GENERATED_VERSION = '\([0-9.]*\)'.*/\1/p" "$GRPC_FILE")"
PB_MAJOR="${PB_VERSION%%.*}"
NEXT_MAJOR="$((PB_MAJOR + 1))"
WANT_PB="\"protobuf>=$PB_VERSION,<$NEXT_MAJOR\""
WANT_GRPC="\"grpcio>=$GRPC_VERSION,<2\""
if ! grep -qF "$WANT_PB" "$PYPROJECT" || ! grep -qF "$WANT_GRPC" "$PYPROJECT"; then
  log "error: pin the runtimes in $PYPROJECT to match the generated code:" >&2
  log "  dependencies must contain $WANT_PB and $WANT_GRPC" >&2
  exit 1
fi

for name in function_stream_pb2.py function_stream_pb2.pyi function_stream_pb2_grpc.py; do
  cp "$TMP/$name" "$OUT_DIR/$name"
  log "wrote ${OUT_DIR#"$ROOT"/}/$name"
done
log "done (grpcio-tools $GRPC_TOOLS_VERSION, protobuf gencode $PB_VERSION, grpc gencode $GRPC_VERSION)"
