import assert from "node:assert/strict";
import {
  loadFunctionStreamProto,
  parseProtoText,
  PROTO_URL,
  SERVICE_NAME,
  StatusCode,
} from "./proto.ts";

Deno.test("StatusCode constants equal the enum declared in the .proto", () => {
  const { statusCodes } = loadFunctionStreamProto();
  assert.deepEqual(statusCodes, { ...StatusCode });
});

Deno.test("loadFunctionStreamProto() exposes the ten RPCs as unary methods, once", () => {
  const proto = loadFunctionStreamProto();
  assert.equal(loadFunctionStreamProto(), proto);
  assert.deepEqual(Object.keys(proto.service).sort(), [
    "CreateFunction",
    "CreatePythonFunction",
    "DropFunction",
    "ExecuteSql",
    "ListCheckpoints",
    "RestoreCheckpoint",
    "ShowFunctions",
    "StartFunction",
    "StopFunction",
    "TriggerCheckpoint",
  ]);
  for (const method of Object.values(proto.service)) {
    assert.equal(method.requestStream, false);
    assert.equal(method.responseStream, false);
    assert.match(method.path, /^\/function_stream\.FunctionStreamService\//);
  }
});

Deno.test("the loaded contract keeps snake_case names, numeric enums and absent optionals", () => {
  const { service } = loadFunctionStreamProto();
  const execute = service.ExecuteSql;
  const plain = execute.responseDeserialize(
    execute.responseSerialize({ status_code: 404, message: "m" }),
  );
  assert.equal(plain.status_code, 404);
  assert.equal(plain.message, "m");
  assert.equal(plain.data, undefined);
  const withData = execute.responseDeserialize(
    execute.responseSerialize({
      status_code: 200,
      message: "",
      data: new Uint8Array([1, 2]),
    }),
  );
  assert.deepEqual([...withData.data], [1, 2]);

  const show = service.ShowFunctions;
  assert.equal(
    show.requestDeserialize(show.requestSerialize({})).filter,
    undefined,
  );
  assert.equal(
    show.requestDeserialize(show.requestSerialize({ filter: "" })).filter,
    "",
  );

  const create = service.CreatePythonFunction;
  const request = create.requestDeserialize(create.requestSerialize({
    class_name: "C",
    modules: [{
      module_name: "m",
      module_bytes: new TextEncoder().encode("x = 1"),
    }],
    config_content: "name: a",
  }));
  assert.equal(request.class_name, "C");
  assert.equal(request.modules[0].module_name, "m");
  assert.equal(
    new TextDecoder().decode(request.modules[0].module_bytes),
    "x = 1",
  );
});

Deno.test("checkpoint messages carry int64 fields as exact decimal strings", () => {
  const { service } = loadFunctionStreamProto();
  const list = service.ListCheckpoints;
  const max = "9223372036854775807";
  const decoded = list.responseDeserialize(list.responseSerialize({
    status_code: 200,
    message: "m",
    checkpoints: [{
      checkpoint_id: max,
      created_at_ms: 1764000000000,
      size_bytes: "0",
      positions: [{ topic: "t", partition: 2, next_offset: max }],
    }],
  }));
  assert.deepEqual(decoded.checkpoints, [{
    checkpoint_id: max,
    created_at_ms: "1764000000000",
    size_bytes: "0",
    positions: [{ topic: "t", partition: 2, next_offset: max }],
  }]);
  const restore = service.RestoreCheckpoint;
  assert.deepEqual(
    restore.requestDeserialize(restore.requestSerialize({
      function_name: "f",
      checkpoint_id: "-1",
    })),
    { function_name: "f", checkpoint_id: "-1" },
  );
  // Absent int64 fields read as "0" (defaults on), never undefined.
  const trigger = service.TriggerCheckpoint;
  assert.equal(
    trigger.responseDeserialize(trigger.responseSerialize({})).checkpoint_id,
    "0",
  );
});

Deno.test("parseProtoText() parses text in memory and rejects invalid proto", () => {
  const definition = parseProtoText(Deno.readTextFileSync(PROTO_URL));
  assert.ok(definition[SERVICE_NAME]);
  assert.throws(() => parseProtoText('syntax = "proto3"; message {'));
});

Deno.test("loadFunctionStreamProto() works from another working directory", async () => {
  const moduleUrl = new URL("./proto.ts", import.meta.url).href;
  const script =
    `import { loadFunctionStreamProto } from ${JSON.stringify(moduleUrl)};\n` +
    `console.log(Object.keys(loadFunctionStreamProto().service).length);`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      script,
    ],
    cwd: await Deno.makeTempDir(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "10");
});
