import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../runtime/core/mod.ts";
import { createFakeControl, taskYaml } from "./_fake_control.ts";
import { loadFunctionStreamProto } from "./proto.ts";
import { buildGrpcServer, serveGrpc } from "./server.ts";

type Reply = {
  status_code: number;
  message: string;
  data?: Uint8Array;
  functions?: { name: string; task_type: string; status: string }[];
};

function unary(
  client: grpc.Client,
  method: string,
  request: object,
): Promise<Reply> {
  const fn = (client as unknown as Record<
    string,
    grpc.requestCallback<Reply> | ((...args: unknown[]) => void)
  >)[method];
  return new Promise((resolve, reject) => {
    (fn as (
      req: object,
      cb: (e: grpc.ServiceError | null, r?: Reply) => void,
    ) => void).call(
      client,
      request,
      (error, reply) => (error ? reject(error) : resolve(reply!)),
    );
  });
}

Deno.test("buildGrpcServer() registers the service without binding a socket", () => {
  const server = buildGrpcServer(createFakeControl(), { logger: silentLogger });
  assert.ok(server instanceof grpc.Server);
  server.forceShutdown();
  assert.throws(
    () => buildGrpcServer(createFakeControl(), { maxReceiveMessageBytes: 0 }),
    /maxReceiveMessageBytes is not a positive integer: current value is 0/,
  );
});

Deno.test("serveGrpc() answers every RPC to a real grpc-js client on an ephemeral port", async () => {
  const control = createFakeControl();
  const handle = await serveGrpc(control, {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
  });
  const { Client } = loadFunctionStreamProto();
  const client = new Client(handle.address, grpc.credentials.createInsecure());
  try {
    assert.ok(handle.port > 0);
    assert.equal(handle.address, `127.0.0.1:${handle.port}`);
    const module = {
      module_name: "job",
      module_bytes: new TextEncoder().encode("class P: pass\n"),
    };
    const create = (name: string) =>
      unary(client, "CreatePythonFunction", {
        class_name: "P",
        modules: [module],
        config_content: taskYaml(name),
      });

    assert.deepEqual(await create("etl-a"), {
      status_code: 201,
      message: "Function 'etl-a' created",
    });
    assert.equal((await create("etl-b")).status_code, 201);
    assert.equal((await create("other")).status_code, 201);
    const conflict = await create("etl-a");
    assert.equal(conflict.status_code, 409);
    const bad = await unary(client, "CreatePythonFunction", {
      class_name: "",
      modules: [module],
      config_content: taskYaml("x"),
    });
    assert.equal(bad.status_code, 400);
    assert.match(bad.message, /class_name is empty/);
    const wasm = await unary(client, "CreateFunction", {
      config_bytes: new Uint8Array(),
      function_bytes: new Uint8Array(),
    });
    assert.equal(wasm.status_code, 501);

    assert.deepEqual(
      await unary(client, "StopFunction", { function_name: "etl-a" }),
      {
        status_code: 200,
        message: "Function 'etl-a' stopped",
      },
    );
    assert.equal(
      (await unary(client, "StartFunction", { function_name: "etl-a" }))
        .status_code,
      200,
    );
    assert.equal(
      (await unary(client, "StartFunction", { function_name: "nope" }))
        .status_code,
      404,
    );

    const all = await unary(client, "ShowFunctions", {});
    assert.equal(all.status_code, 200);
    assert.deepEqual(all.functions!.map((f) => f.name), [
      "etl-a",
      "etl-b",
      "other",
    ]);
    assert.deepEqual(all.functions![0], {
      name: "etl-a",
      task_type: "python",
      status: "RUNNING",
    });
    const filtered = await unary(client, "ShowFunctions", { filter: "etl-?" });
    assert.deepEqual(filtered.functions!.map((f) => f.name), [
      "etl-a",
      "etl-b",
    ]);
    const none = await unary(client, "ShowFunctions", { filter: "zzz*" });
    assert.deepEqual(none.functions, []);

    const sqlShow = await unary(client, "ExecuteSql", {
      sql: "SHOW FUNCTIONS LIKE 'other%';",
    });
    assert.equal(sqlShow.status_code, 200);
    assert.match(
      sqlShow.message,
      /^NAME +TASK TYPE +STATUS\nother +python +RUNNING\n/,
    );
    assert.deepEqual(JSON.parse(new TextDecoder().decode(sqlShow.data)), [
      { name: "other", task_type: "python", status: "RUNNING" },
    ]);
    const sqlBad = await unary(client, "ExecuteSql", { sql: "SELECT 1" });
    assert.equal(sqlBad.status_code, 400);
    assert.equal(sqlBad.data, undefined);
    assert.equal(
      (await unary(client, "ExecuteSql", { sql: "DROP FUNCTION other" }))
        .status_code,
      200,
    );

    assert.deepEqual(
      await unary(client, "DropFunction", { function_name: "etl-b" }),
      {
        status_code: 200,
        message: "Function 'etl-b' dropped",
      },
    );
    assert.equal(
      (await unary(client, "DropFunction", { function_name: "etl-b" }))
        .status_code,
      404,
    );
    assert.deepEqual([...control.functions.keys()], ["etl-a"]);
  } finally {
    client.close();
    await handle.close();
  }
});

Deno.test("serveGrpc() carries the checkpoint RPCs with exact 64-bit values to a real grpc-js client", async () => {
  const control = createFakeControl();
  await control.createPythonFunction({
    className: "P",
    modules: [],
    configYaml: taskYaml("etl"),
  });
  const big = Number.MAX_SAFE_INTEGER;
  control.nextCheckpointId = big - 1;
  const handle = await serveGrpc(control, { port: 0, logger: silentLogger });
  const { Client } = loadFunctionStreamProto();
  const client = new Client(handle.address, grpc.credentials.createInsecure());
  try {
    const first = await unary(client, "TriggerCheckpoint", {
      function_name: "etl",
    });
    assert.deepEqual(first, {
      status_code: 201,
      message: `Checkpoint ${big - 1} of function 'etl' complete`,
      checkpoint_id: String(big - 1),
    });
    control.checkpoints.get("etl")![0].positions = [
      { topic: "in", partition: 7, nextOffset: 9223372036854775807n },
    ];
    const second = await unary(client, "TriggerCheckpoint", {
      function_name: "etl",
    });
    assert.equal(
      (second as { checkpoint_id?: string }).checkpoint_id,
      "9007199254740991",
    );

    const listed = await unary(client, "ListCheckpoints", {
      function_name: "etl",
    }) as Reply & { checkpoints?: Record<string, unknown>[] };
    assert.equal(listed.status_code, 200);
    assert.deepEqual(
      listed.checkpoints!.map((c) => [c.checkpoint_id, c.positions]),
      [
        ["9007199254740990", [{
          topic: "in",
          partition: 7,
          next_offset: "9223372036854775807",
        }]],
        ["9007199254740991", []],
      ],
    );
    assert.match(String(listed.checkpoints![0].created_at_ms), /^\d{13}$/);

    assert.equal(
      (await unary(client, "RestoreCheckpoint", {
        function_name: "etl",
        checkpoint_id: "9007199254740990",
      })).status_code,
      409,
    );
    await unary(client, "StopFunction", { function_name: "etl" });
    assert.deepEqual(
      await unary(client, "RestoreCheckpoint", {
        function_name: "etl",
        checkpoint_id: "9007199254740990",
      }),
      {
        status_code: 200,
        message: "Function 'etl' restored to checkpoint 9007199254740990",
      },
    );
    assert.deepEqual(control.restores, [{
      name: "etl",
      checkpointId: big - 1,
    }]);
    const negative = await unary(client, "RestoreCheckpoint", {
      function_name: "etl",
      checkpoint_id: "-1",
    });
    assert.equal(negative.status_code, 400);
    const unknown = await unary(client, "ListCheckpoints", {
      function_name: "ghost",
    });
    assert.equal(unknown.status_code, 404);
  } finally {
    client.close();
    await handle.close();
  }
});

Deno.test("serveGrpc() refuses requests above maxReceiveMessageBytes with a gRPC error", async () => {
  const handle = await serveGrpc(createFakeControl(), {
    port: 0,
    maxReceiveMessageBytes: 1024,
    logger: silentLogger,
  });
  const { Client } = loadFunctionStreamProto();
  const client = new Client(handle.address, grpc.credentials.createInsecure());
  try {
    await assert.rejects(
      unary(client, "ExecuteSql", {
        sql: `SHOW FUNCTIONS LIKE '${"a".repeat(4096)}'`,
      }),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.RESOURCE_EXHAUSTED,
    );
  } finally {
    client.close();
    await handle.close();
  }
});

Deno.test("serveGrpc() rejects with UNAVAILABLE when the port is taken", async () => {
  const first = await serveGrpc(createFakeControl(), {
    port: 0,
    logger: silentLogger,
  });
  try {
    await assert.rejects(
      serveGrpc(createFakeControl(), {
        port: first.port,
        logger: silentLogger,
      }),
      (error: Error & { code?: string }) =>
        error.code === "UNAVAILABLE" && /cannot be bound/.test(error.message),
    );
  } finally {
    await first.close();
  }
});

Deno.test("GrpcServerHandle.close() is idempotent", async () => {
  const handle = await serveGrpc(createFakeControl(), {
    port: 0,
    logger: silentLogger,
  });
  const first = handle.close();
  assert.equal(handle.close(), first);
  await first;
});
