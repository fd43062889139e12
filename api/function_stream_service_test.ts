import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import type { Logger, LogLevel } from "../runtime/core/mod.ts";
import { createFakeControl, taskYaml } from "./_fake_control.ts";
import { createFunctionStreamService } from "./function_stream_service.ts";

interface LogLine {
  level: LogLevel;
  message: string;
}

function setup() {
  const control = createFakeControl();
  const lines: LogLine[] = [];
  const logger: Logger = {
    log: (level, message) => lines.push({ level, message }),
  };
  const service = createFunctionStreamService(control, { logger });
  return { control, lines, service };
}

/** Drives a unary handler like grpc-js would, and insists it answers once without a gRPC error. */
function call<Req, Res>(
  handler: grpc.handleUnaryCall<Req, Res>,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    let answered = false;
    handler(
      { request } as unknown as grpc.ServerUnaryCall<Req, Res>,
      (error, value) => {
        if (answered) reject(new Error("handler answered twice"));
        answered = true;
        if (error) reject(error);
        else resolve(value as Res);
      },
    );
  });
}

const encoder = new TextEncoder();

function createRequest(name: string, extra: Record<string, unknown> = {}) {
  return {
    class_name: "MyProcessor",
    modules: [
      { module_name: "helpers", module_bytes: encoder.encode("X = 1\n") },
      { module_name: "job", module_bytes: encoder.encode("import helpers\n") },
    ],
    config_content: taskYaml(name),
    ...extra,
  };
}

Deno.test("CreatePythonFunction answers 201 and hands class, modules and YAML to the engine", async () => {
  const { control, lines, service } = setup();
  const reply = await call(service.CreatePythonFunction, createRequest("etl"));
  assert.deepEqual(reply, {
    status_code: 201,
    message: "Function 'etl' created",
  });
  const input = control.functions.get("etl")!.input;
  assert.equal(input.className, "MyProcessor");
  assert.deepEqual(input.modules.map((m) => m.name), ["helpers", "job"]);
  assert.equal(
    new TextDecoder().decode(input.modules[1].source),
    "import helpers\n",
  );
  assert.equal(input.configYaml, taskYaml("etl"));
  assert.equal(lines.length, 0);
});

Deno.test("CreatePythonFunction answers 409 when the name is taken and logs one line", async () => {
  const { lines, service } = setup();
  await call(service.CreatePythonFunction, createRequest("etl"));
  const reply = await call(service.CreatePythonFunction, createRequest("etl"));
  assert.equal(reply.status_code, 409);
  assert.match(reply.message, /name is taken/);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "warn");
  assert.match(lines[0].message, /^CreatePythonFunction failed: .*taken/);
});

Deno.test("CreatePythonFunction checks its inputs before calling the engine", async () => {
  const { control, lines, service } = setup();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ class_name: "  " }, /class_name is empty/],
    [{ modules: [] }, /no modules were uploaded/],
    [
      { modules: [{ module_name: "", module_bytes: encoder.encode("") }] },
      /modules\[0\]\.module_name is empty/,
    ],
    [
      {
        modules: [{ module_name: "a", module_bytes: new Uint8Array() }, {
          module_name: "a",
          module_bytes: new Uint8Array(),
        }],
      },
      /module 'a' is uploaded twice/,
    ],
    [{
      modules: [{
        module_name: "bin",
        module_bytes: new Uint8Array([0xff, 0xfe]),
      }],
    }, /module 'bin' is not UTF-8/],
    [{ config_content: " \n" }, /config_content is empty/],
    [{ config_content: "name: [unclosed" }, /./],
    [
      { config_content: "name: etl\ntype: python\n" },
      /Invalid task config field/,
    ],
  ];
  for (const [extra, pattern] of cases) {
    const reply = await call(
      service.CreatePythonFunction,
      createRequest("etl", extra),
    );
    assert.equal(reply.status_code, 400, JSON.stringify(extra));
    assert.match(reply.message, pattern);
    assert.match(
      reply.message,
      /^Cannot create Python function as |task config|YAML|yaml/i,
    );
  }
  assert.equal(control.functions.size, 0);
  assert.equal(lines.length, cases.length);
});

Deno.test("CreateFunction answers 501: only Python functions are supported", async () => {
  const { lines, service } = setup();
  const reply = await call(service.CreateFunction, {
    config_bytes: encoder.encode(taskYaml("w")),
    function_bytes: new Uint8Array([0, 97, 115, 109]),
  });
  assert.equal(reply.status_code, 501);
  assert.match(reply.message, /Python functions only/);
  assert.equal(lines.length, 1);
});

Deno.test("Start, Stop and Drop answer 200, and 404 for an unknown function", async () => {
  const { control, service } = setup();
  await call(service.CreatePythonFunction, createRequest("etl"));
  assert.deepEqual(await call(service.StopFunction, { function_name: "etl" }), {
    status_code: 200,
    message: "Function 'etl' stopped",
  });
  assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
  assert.deepEqual(
    await call(service.StartFunction, { function_name: "etl" }),
    {
      status_code: 200,
      message: "Function 'etl' started",
    },
  );
  assert.equal(control.functions.get("etl")!.info.status, "RUNNING");
  assert.deepEqual(await call(service.DropFunction, { function_name: "etl" }), {
    status_code: 200,
    message: "Function 'etl' dropped",
  });
  assert.equal(control.functions.size, 0);
  for (
    const handler of [
      service.StartFunction,
      service.StopFunction,
      service.DropFunction,
    ]
  ) {
    const reply = await call(handler, { function_name: "etl" });
    assert.deepEqual(reply, {
      status_code: 404,
      message: "Function 'etl' not found",
    });
  }
});

Deno.test("Start, Stop and Drop answer 400 for an empty function_name", async () => {
  const { service } = setup();
  const reply = await call(service.DropFunction, { function_name: " " });
  assert.equal(reply.status_code, 400);
  assert.match(
    reply.message,
    /^Cannot drop function as function_name is empty/,
  );
});

Deno.test("ShowFunctions lists rows and passes the filter through as a glob", async () => {
  const { control, service } = setup();
  for (const name of ["etl-a", "etl-b", "other"]) {
    await call(service.CreatePythonFunction, createRequest(name));
  }
  const all = await call(service.ShowFunctions, {});
  assert.equal(all.status_code, 200);
  assert.equal(all.message, "3 functions");
  assert.deepEqual(all.functions.map((f) => f.name), [
    "etl-a",
    "etl-b",
    "other",
  ]);
  assert.deepEqual(all.functions[0], {
    name: "etl-a",
    task_type: "python",
    status: "RUNNING",
  });

  const empty = await call(service.ShowFunctions, { filter: "" });
  assert.equal(empty.functions.length, 3);
  const some = await call(service.ShowFunctions, { filter: "etl-*" });
  assert.equal(some.message, "2 functions matching 'etl-*'");
  assert.deepEqual(some.functions.map((f) => f.name), ["etl-a", "etl-b"]);
  assert.deepEqual(control.listPatterns, [undefined, undefined, "etl-*"]);
});

Deno.test("ExecuteSql dispatches lifecycle statements to the engine", async () => {
  const { control, service } = setup();
  await call(service.CreatePythonFunction, createRequest("etl"));
  assert.deepEqual(
    await call(service.ExecuteSql, { sql: "stop function `etl`;" }),
    {
      status_code: 200,
      message: "Function 'etl' stopped",
    },
  );
  assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
  assert.equal(
    (await call(service.ExecuteSql, { sql: "START FUNCTION etl" })).status_code,
    200,
  );
  assert.equal(
    (await call(service.ExecuteSql, { sql: 'DROP FUNCTION "etl"' }))
      .status_code,
    200,
  );
  assert.equal(
    (await call(service.ExecuteSql, { sql: "DROP FUNCTION etl" })).status_code,
    404,
  );
});

Deno.test("ExecuteSql SHOW FUNCTIONS answers a text table and JSON rows", async () => {
  const { control, service } = setup();
  await call(service.CreatePythonFunction, createRequest("etl_1"));
  await call(service.CreatePythonFunction, createRequest("other"));
  control.functions.get("other")!.info.lastError = "boom";
  const reply = await call(service.ExecuteSql, { sql: "SHOW FUNCTIONS" });
  assert.equal(reply.status_code, 200);
  assert.match(
    reply.message,
    /^NAME +TASK TYPE +STATUS +LAST ERROR\netl_1 +python +RUNNING\nother +python +RUNNING +boom\n\(2 functions\)$/,
  );
  assert.deepEqual(JSON.parse(new TextDecoder().decode(reply.data)), [
    { name: "etl_1", task_type: "python", status: "RUNNING" },
    {
      name: "other",
      task_type: "python",
      status: "RUNNING",
      last_error: "boom",
    },
  ]);

  const like = await call(service.ExecuteSql, {
    sql: "show functions like 'etl%'",
  });
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(like.data)).map((r: { name: string }) =>
      r.name
    ),
    ["etl_1"],
  );
  assert.equal(control.listPatterns.at(-1), "etl*");
  const none = await call(service.ExecuteSql, {
    sql: "SHOW FUNCTIONS LIKE 'zzz%'",
  });
  assert.equal(none.message, "No functions matching 'zzz*'");
  assert.equal(new TextDecoder().decode(none.data), "[]");
});

Deno.test("ExecuteSql answers 400 listing the supported statements for other SQL", async () => {
  const { control, lines, service } = setup();
  const reply = await call(service.ExecuteSql, { sql: "CREATE FUNCTION x" });
  assert.equal(reply.status_code, 400);
  assert.match(
    reply.message,
    /START FUNCTION <name>; STOP FUNCTION <name>; DROP FUNCTION <name>; SHOW FUNCTIONS/,
  );
  assert.equal(reply.data, undefined);
  assert.equal(control.listPatterns.length, 0);
  assert.equal(lines.length, 1);
});

Deno.test("an unexpected engine error becomes a 500 reply with one error log", async () => {
  const { control, lines, service } = setup();
  control.failWith = new RangeError("disk on fire");
  const show = await call(service.ShowFunctions, { filter: "x" });
  assert.deepEqual(show, {
    status_code: 500,
    message: "disk on fire",
    functions: [],
  });
  const start = await call(service.StartFunction, { function_name: "etl" });
  assert.deepEqual(start, { status_code: 500, message: "disk on fire" });
  assert.equal(lines.length, 2);
  assert.ok(lines.every((line) => line.level === "error"));
});

Deno.test("CreatePythonFunction falls back to init_config class_name only when class_name is empty", async () => {
  const { control, service } = setup();
  const yaml = `${
    taskYaml("fallback")
  }\ninit_config: {class_name: FromConfig}\n`;
  const fromConfig = await call(
    service.CreatePythonFunction,
    createRequest("fallback", { class_name: "", config_content: yaml }),
  );
  assert.equal(fromConfig.status_code, 201);
  const requested = await call(
    service.CreatePythonFunction,
    createRequest("explicit", {
      config_content: yaml.replace("fallback", "explicit"),
    }),
  );
  assert.equal(requested.status_code, 201);
  assert.equal(
    control.functions.get("fallback")?.input.className,
    "FromConfig",
  );
  assert.equal(
    control.functions.get("explicit")?.input.className,
    "MyProcessor",
  );
});

Deno.test("start, stop and drop answer 400 for names longer than any function can have, without asking the engine", async () => {
  const { control, service } = setup();
  let asked = 0;
  control.startFunction = control.stopFunction = control.dropFunction = () => {
    asked++;
    return Promise.resolve();
  };
  const long = "x".repeat(129);
  for (
    const reply of [
      await call(service.StartFunction, { function_name: long }),
      await call(service.StopFunction, { function_name: long }),
      await call(service.DropFunction, { function_name: long }),
      await call(service.ExecuteSql, { sql: `DROP FUNCTION ${long}` }),
    ]
  ) {
    assert.equal(reply.status_code, 400);
    assert.match(
      reply.message,
      /function_name is longer than 128 characters, the limit for function names: current length is 129/,
    );
  }
  assert.equal(asked, 0);
  await call(service.StopFunction, { function_name: "x".repeat(128) });
  assert.equal(asked, 1);
});
