import assert from "node:assert/strict";
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
