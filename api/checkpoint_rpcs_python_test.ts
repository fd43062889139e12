/**
 * The Python client (fs_client, from its sources) against the real gRPC
 * server over the fake engine: the generated Python code and proto-loader
 * must agree on the checkpoint messages, 64-bit values included.
 * @module
 */
import assert from "node:assert/strict";
import { silentLogger } from "../runtime/core/mod.ts";
import { createFakeControl, taskYaml } from "./_fake_control.ts";
import { serveGrpc } from "./server.ts";

const PYTHON = Deno.env.get("FS_PYTHON") ??
  new URL("../.venv/bin/python", import.meta.url).pathname;
const CLIENT_SRC = new URL("../python/fs_client/src", import.meta.url).pathname;

function hasPython(): boolean {
  try {
    return Deno.statSync(PYTHON).isFile;
  } catch {
    return false;
  }
}

const SCRIPT = `
import json, sys
from fs_client import FsClient, ConflictError, NotFoundError
port = int(sys.argv[1])
out = {}
with FsClient(host="127.0.0.1", port=port, default_timeout=10.0) as client:
    out["trigger"] = client.trigger_checkpoint("etl")
    out["list"] = [
        [c.checkpoint_id, c.created_at.isoformat(), c.size_bytes,
         [[p.topic, p.partition, p.next_offset] for p in c.positions]]
        for c in client.list_checkpoints("etl")
    ]
    try:
        client.restore_checkpoint("etl", out["trigger"])
    except ConflictError as error:
        out["running"] = [error.status_code, str(error)]
    client.stop_function("etl")
    out["restore"] = client.restore_checkpoint("etl", out["trigger"])
    try:
        client.list_checkpoints("ghost")
    except NotFoundError as error:
        out["ghost"] = error.status_code
# Python ints are exact: send them to JavaScript as strings.
def strings(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [strings(item) for item in value]
    if isinstance(value, dict):
        return {key: strings(item) for key, item in value.items()}
    return value
print(json.dumps(strings(out)))
`;

Deno.test({
  name:
    "fs_client triggers, lists and restores checkpoints through the real server with exact 64-bit values",
  ignore: !hasPython(),
  async fn() {
    const control = createFakeControl();
    await control.createPythonFunction({
      className: "P",
      modules: [],
      configYaml: taskYaml("etl"),
    });
    control.nextCheckpointId = Number.MAX_SAFE_INTEGER;
    control.checkpoints.set("etl", [{
      id: 3,
      createdAtMs: Date.UTC(2026, 10, 25, 7, 17, 55, 123),
      sizeBytes: 2 ** 40,
      positions: [{ topic: "in", partition: 2, nextOffset: (1n << 63n) - 1n }],
      token: "t",
    }]);
    const handle = await serveGrpc(control, { port: 0, logger: silentLogger });
    try {
      const output = await new Deno.Command(PYTHON, {
        args: ["-c", SCRIPT, String(handle.port)],
        env: { PYTHONPATH: CLIENT_SRC },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const result = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.deepEqual(result, {
        trigger: "9007199254740991",
        list: [
          ["3", "2026-11-25T07:17:55.123000+00:00", "1099511627776", [[
            "in",
            "2",
            "9223372036854775807",
          ]]],
          ["9007199254740991", result.list[1][1], "0", []],
        ],
        running: [
          "409",
          "Cannot restore a checkpoint of function 'etl' as it is not STOPPED: current value is RUNNING",
        ],
        restore: true,
        ghost: "404",
      });
      assert.deepEqual(control.restores, [{
        name: "etl",
        checkpointId: Number.MAX_SAFE_INTEGER,
      }]);
    } finally {
      await handle.close();
    }
  },
});
