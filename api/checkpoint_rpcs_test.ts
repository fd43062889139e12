import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type CheckpointInfo,
  type Logger,
  type LogLevel,
} from "../runtime/core/mod.ts";
import { createTokenAuthenticator } from "./auth.ts";
import { createFakeControl, taskYaml } from "./_fake_control.ts";
import {
  parseCheckpointId,
  toCheckpointMessage,
  toPositionMessage,
} from "./checkpoint_rpcs.ts";
import { createFunctionStreamService } from "./function_stream_service.ts";

/** An id above 2^32 that a double still holds exactly: 2^53 - 1. */
const BIG_ID = Number.MAX_SAFE_INTEGER;
/** The largest int64: only exact as a string or bigint. */
const MAX_OFFSET = (1n << 63n) - 1n;

function checkpoint(id: number, extra: Partial<CheckpointInfo> = {}) {
  return {
    id,
    createdAtMs: 1_764_000_000_000 + (id % 1000),
    sizeBytes: 4096,
    positions: [],
    token: `t-${id}`,
    ...extra,
  };
}

async function setup(options: { authenticator?: boolean } = {}) {
  const control = createFakeControl();
  await control.createPythonFunction({
    className: "P",
    modules: [],
    configYaml: taskYaml("etl"),
  });
  const lines: { level: LogLevel; message: string }[] = [];
  const logger: Logger = {
    log: (level, message) => lines.push({ level, message }),
  };
  const service = createFunctionStreamService(control, {
    logger,
    authenticator: options.authenticator
      ? createTokenAuthenticator("checkpoint-test-token-0123456789")
      : undefined,
  });
  return { control, lines, service };
}

/** Drives a unary handler like grpc-js would; the reply must come without a gRPC error. */
function call<Req, Res>(
  handler: grpc.handleUnaryCall<Req, Res>,
  request: Req,
  extra: { deadline?: number } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fakeCall = {
      request,
      metadata: new grpc.Metadata(),
      cancelled: false,
      getDeadline: () => extra.deadline ?? Infinity,
    };
    handler(
      fakeCall as unknown as grpc.ServerUnaryCall<Req, Res>,
      (error, value) => (error ? reject(error) : resolve(value as Res)),
    );
  });
}

Deno.test("TriggerCheckpoint answers 201 with the engine's id as an int64 string", async () => {
  const { control, lines, service } = await setup();
  control.nextCheckpointId = BIG_ID;
  const reply = await call(service.TriggerCheckpoint, { function_name: "etl" });
  assert.deepEqual(reply, {
    status_code: 201,
    message: `Checkpoint ${BIG_ID} of function 'etl' complete`,
    checkpoint_id: String(BIG_ID),
  });
  assert.deepEqual(control.checkpoints.get("etl")!.map((c) => c.id), [BIG_ID]);
  assert.equal(lines.length, 0);
});

Deno.test("TriggerCheckpoint maps engine errors: 404 unknown, 409 not running, 400 disabled, 500 faults", async () => {
  const { control, lines, service } = await setup();
  const trigger = (name: string) =>
    call(service.TriggerCheckpoint, { function_name: name });
  assert.deepEqual(await trigger("ghost"), {
    status_code: 404,
    message: "Function 'ghost' not found",
    checkpoint_id: "0",
  });
  control.functions.get("etl")!.info.status = "STOPPED";
  const stopped = await trigger("etl");
  assert.equal(stopped.status_code, 409);
  assert.match(stopped.message, /is not RUNNING: current value is STOPPED/);
  control.functions.get("etl")!.info.status = "RUNNING";
  control.checkpointsDisabled.add("etl");
  const disabled = await trigger("etl");
  assert.equal(disabled.status_code, 400);
  assert.match(disabled.message, /checkpoints are disabled/);
  control.failWith = new Error("kv is gone");
  assert.deepEqual(await trigger("etl"), {
    status_code: 500,
    message: "kv is gone",
    checkpoint_id: "0",
  });
  assert.deepEqual(lines.map((line) => line.level), [
    "warn",
    "warn",
    "warn",
    "error",
  ]);
  assert.match(lines[0].message, /^TriggerCheckpoint failed: /);
});

Deno.test("ListCheckpoints answers every checkpoint with 64-bit values and positions, oldest first", async () => {
  const { control, service } = await setup();
  control.checkpoints.set("etl", [
    checkpoint(7),
    checkpoint(BIG_ID, {
      sizeBytes: 2 ** 40,
      positions: [
        { topic: "in", partition: 0, nextOffset: 12n },
        { topic: "in", partition: 3, nextOffset: MAX_OFFSET },
      ],
    }),
  ]);
  const reply = await call(service.ListCheckpoints, { function_name: "etl" });
  assert.deepEqual(reply, {
    status_code: 200,
    message: "2 checkpoints of function 'etl'",
    checkpoints: [
      {
        checkpoint_id: "7",
        created_at_ms: "1764000000007",
        size_bytes: "4096",
        positions: [],
      },
      {
        checkpoint_id: "9007199254740991",
        created_at_ms: "1764000000991",
        size_bytes: "1099511627776",
        positions: [
          { topic: "in", partition: 0, next_offset: "12" },
          { topic: "in", partition: 3, next_offset: "9223372036854775807" },
        ],
      },
    ],
  });
  control.checkpoints.set("etl", [checkpoint(1)]);
  const one = await call(service.ListCheckpoints, { function_name: "etl" });
  assert.equal(one.message, "1 checkpoint of function 'etl'");
  control.checkpoints.delete("etl");
  const none = await call(service.ListCheckpoints, { function_name: "etl" });
  assert.deepEqual(none, {
    status_code: 200,
    message: "0 checkpoints of function 'etl'",
    checkpoints: [],
  });
  assert.deepEqual(
    await call(service.ListCheckpoints, { function_name: "ghost" }),
    {
      status_code: 404,
      message: "Function 'ghost' not found",
      checkpoints: [],
    },
  );
});

Deno.test("RestoreCheckpoint answers 200 for a stopped function, 409 while running, 404 for an unknown checkpoint", async () => {
  const { control, service } = await setup();
  control.checkpoints.set("etl", [checkpoint(3), checkpoint(BIG_ID)]);
  const restore = (checkpoint_id: string | number, function_name = "etl") =>
    call(service.RestoreCheckpoint, { function_name, checkpoint_id });
  const running = await restore("3");
  assert.equal(running.status_code, 409);
  assert.match(running.message, /is not STOPPED: current value is RUNNING/);
  control.functions.get("etl")!.info.status = "STOPPED";
  assert.deepEqual(await restore("4"), {
    status_code: 404,
    message: "Checkpoint 4 of function 'etl' not found",
  });
  assert.deepEqual(await restore("3", "ghost"), {
    status_code: 404,
    message: "Function 'ghost' not found",
  });
  assert.deepEqual(await restore(String(BIG_ID)), {
    status_code: 200,
    message: `Function 'etl' restored to checkpoint ${BIG_ID}`,
  });
  assert.deepEqual(await restore(3), {
    status_code: 200,
    message: "Function 'etl' restored to checkpoint 3",
  });
  assert.deepEqual(control.restores, [
    { name: "etl", checkpointId: BIG_ID },
    { name: "etl", checkpointId: 3 },
  ]);
});

Deno.test("checkpoint RPCs answer 400 for an empty or too long name and a negative id, without asking the engine", async () => {
  const { control, service } = await setup();
  let asked = 0;
  const refuse = <T>(): Promise<T> => {
    asked++;
    return Promise.reject(new Error("must not be called"));
  };
  control.triggerCheckpoint = refuse;
  control.listCheckpoints = refuse;
  control.restoreCheckpoint = refuse;
  const cases: [Promise<{ status_code: number; message: string }>, RegExp][] = [
    [
      call(service.TriggerCheckpoint, { function_name: " " }),
      /^Cannot trigger a checkpoint as function_name is empty: current value is " "$/,
    ],
    [
      call(service.ListCheckpoints, { function_name: "" }),
      /^Cannot list checkpoints as function_name is empty/,
    ],
    [
      call(service.RestoreCheckpoint, {
        function_name: "",
        checkpoint_id: "1",
      }),
      /^Cannot restore a checkpoint as function_name is empty/,
    ],
    [
      call(service.TriggerCheckpoint, { function_name: "x".repeat(129) }),
      /longer than 128 characters.*current length is 129$/,
    ],
    [
      call(service.RestoreCheckpoint, {
        function_name: "etl",
        checkpoint_id: "-1",
      }),
      /^Cannot restore checkpoint as checkpoint_id is negative: current value is -1$/,
    ],
  ];
  for (const [pending, pattern] of cases) {
    const reply = await pending;
    assert.equal(reply.status_code, 400, reply.message);
    assert.match(reply.message, pattern);
  }
  const beyond = await call(service.RestoreCheckpoint, {
    function_name: "etl",
    checkpoint_id: "9007199254740993",
  });
  assert.equal(beyond.status_code, 404);
  assert.match(beyond.message, /ids above 9007199254740991 are never assigned/);
  assert.equal(asked, 0);
});

Deno.test("checkpoint RPCs check the token first and change nothing once the caller is gone", async () => {
  const secured = await setup({ authenticator: true });
  for (
    const reply of [
      await call(secured.service.TriggerCheckpoint, { function_name: "etl" }),
      await call(secured.service.ListCheckpoints, { function_name: "" }),
      await call(secured.service.RestoreCheckpoint, {
        function_name: "etl",
        checkpoint_id: "-1",
      }),
    ]
  ) {
    assert.equal(reply.status_code, 401);
  }
  assert.equal(secured.control.checkpoints.size, 0);

  const { control, service } = await setup();
  const past = Date.now() - 1;
  const trigger = await call(service.TriggerCheckpoint, {
    function_name: "etl",
  }, { deadline: past });
  assert.equal(trigger.status_code, 503);
  assert.match(
    trigger.message,
    /^Cannot trigger a checkpoint of function 'etl' as the caller cancelled/,
  );
  control.functions.get("etl")!.info.status = "STOPPED";
  control.checkpoints.set("etl", [checkpoint(1)]);
  const restore = await call(service.RestoreCheckpoint, {
    function_name: "etl",
    checkpoint_id: "1",
  }, { deadline: past });
  assert.equal(restore.status_code, 503);
  assert.equal(control.checkpoints.get("etl")!.length, 1);
  assert.deepEqual(control.restores, []);
});

Deno.test("parseCheckpointId() reads int64 strings and integers, refusing malformed and out-of-range ids", () => {
  assert.equal(parseCheckpointId("0", "f"), 0);
  assert.equal(parseCheckpointId(" 42 ", "f"), 42);
  assert.equal(parseCheckpointId(42, "f"), 42);
  assert.equal(parseCheckpointId(String(BIG_ID), "f"), BIG_ID);
  const refusals: [unknown, string, RegExp][] = [
    ["-3", "BAD_REQUEST", /is negative: current value is -3/],
    ["1.5", "BAD_REQUEST", /is not an integer: current value is "1.5"/],
    ["", "BAD_REQUEST", /is not an integer/],
    [undefined, "BAD_REQUEST", /is not an integer: current value is null/],
    [
      "9223372036854775808",
      "BAD_REQUEST",
      /above the int64 range: current value is 9223372036854775808/,
    ],
    [
      "9223372036854775807",
      "NOT_FOUND",
      /Checkpoint 9223372036854775807 of function 'f' not found/,
    ],
  ];
  for (const [value, code, pattern] of refusals) {
    assert.throws(
      () => parseCheckpointId(value, "f"),
      (error: Error & { code?: string }) =>
        error.code === code && pattern.test(error.message),
      String(value),
    );
  }
});

Deno.test("toCheckpointMessage() writes int64 fields as exact decimal strings and keeps the token inside", () => {
  const message = toCheckpointMessage(checkpoint(5, {
    positions: [{ topic: "t", partition: 1, nextOffset: MAX_OFFSET }],
  }));
  assert.deepEqual(message, {
    checkpoint_id: "5",
    created_at_ms: "1764000000005",
    size_bytes: "4096",
    positions: [{ topic: "t", partition: 1, next_offset: String(MAX_OFFSET) }],
  });
  assert.equal("token" in message, false);
  assert.deepEqual(
    toPositionMessage({ topic: "a", partition: 0, nextOffset: 0n }),
    { topic: "a", partition: 0, next_offset: "0" },
  );
  assert.throws(
    () => toCheckpointMessage(checkpoint(-1)),
    /Cannot send checkpoint_id as the engine gave a value that is not a non-negative integer: current value is -1/,
  );
});
