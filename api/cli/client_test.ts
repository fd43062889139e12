import assert from "node:assert/strict";
import { taskYaml } from "../_fake_control.ts";
import { closedPort, startTestServer } from "./_test_helpers.ts";
import { FunctionStreamClient, RpcError } from "./client.ts";

Deno.test("FunctionStreamClient returns application errors as replies, not rejections", async () => {
  const server = await startTestServer();
  const client = new FunctionStreamClient(server.handle.address);
  try {
    const reply = await client.stopFunction("ghost");
    assert.equal(reply.status_code, 404);
    const list = await client.showFunctions();
    assert.deepEqual(list.functions, []);
    assert.equal(list.status_code, 200);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("FunctionStreamClient rejects with RpcError 'unreachable' on a closed port", async () => {
  const client = new FunctionStreamClient(`127.0.0.1:${closedPort()}`);
  try {
    await assert.rejects(
      client.executeSql("SHOW FUNCTIONS"),
      (error: unknown) =>
        error instanceof RpcError && error.kind === "unreachable" &&
        error.grpcCode === 14 && /connection refused$/.test(error.message),
    );
  } finally {
    client.close();
  }
});

Deno.test("FunctionStreamClient rejects with RpcError 'timeout' when a call option deadline passes", async () => {
  const server = await startTestServer();
  server.control.dropFunction = () => new Promise(() => {});
  const client = new FunctionStreamClient(server.handle.address);
  try {
    await assert.rejects(
      client.dropFunction("x", { deadline: Date.now() + 100 }),
      (error: unknown) => error instanceof RpcError && error.kind === "timeout",
    );
  } finally {
    client.close();
    server.handle.server.forceShutdown();
    await server.close();
  }
  assert.throws(
    () => new FunctionStreamClient("127.0.0.1:1", { timeoutMs: 0 }),
    /timeoutMs is not positive: current value is 0/,
  );
});

Deno.test("FunctionStreamClient checkpoint methods send and return int64 ids as exact strings", async () => {
  const server = await startTestServer();
  const client = new FunctionStreamClient(server.handle.address);
  try {
    await server.control.createPythonFunction({
      className: "P",
      modules: [],
      configYaml: taskYaml("etl"),
    });
    server.control.nextCheckpointId = 2 ** 40;
    const trigger = await client.triggerCheckpoint("etl");
    assert.equal(trigger.status_code, 201);
    assert.equal(trigger.checkpoint_id, "1099511627776");
    const list = await client.listCheckpoints("etl");
    assert.deepEqual(list.checkpoints.map((c) => c.checkpoint_id), [
      "1099511627776",
    ]);
    await client.stopFunction("etl");
    const beyond = await client.restoreCheckpoint("etl", "9007199254740993");
    assert.equal(beyond.status_code, 404);
    assert.match(beyond.message, /^Checkpoint 9007199254740993 of function/);
    const restored = await client.restoreCheckpoint("etl", "1099511627776");
    assert.equal(restored.status_code, 200);
    assert.deepEqual(server.control.restores, [
      { name: "etl", checkpointId: 2 ** 40 },
    ]);
  } finally {
    client.close();
    await server.close();
  }
});
