#!/usr/bin/env bash
# The whole suite, as `deno task test` runs it: installs what the tests need
# (npm packages, the Python virtualenv, the Kafka jars), starts the local
# broker, then runs every Deno test and every pytest test.
set -euo pipefail
cd "$(dirname "$0")/.."
deno=${DENO_EXEC_PATH:-deno}
command -v "$deno" >/dev/null 2>&1 || deno="npx -y deno"

echo "== installing npm packages"
$deno install --quiet
echo "== preparing the Python virtualenv"
bash scripts/setup_python.sh
echo "== starting Kafka"
bash scripts/kafka.sh start
export FS_KAFKA_BOOTSTRAP="127.0.0.1:${FS_KAFKA_PORT:-9092}"
export FS_PYTHON="$PWD/.venv/bin/python"

status=0
echo "== deno test"
$deno test --allow-all "$@" || status=1
echo "== pytest"
.venv/bin/python -m pytest python -q || status=1
exit $status
