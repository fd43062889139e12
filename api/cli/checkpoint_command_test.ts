import assert from "node:assert/strict";
import { taskYaml } from "../_fake_control.ts";
import { cli, startTestServer, type TestServer } from "./_test_helpers.ts";
import {
  formatCheckpointTable,
  formatCreatedAt,
  formatPositions,
  parseCheckpointIdArg,
} from "./checkpoint_command.ts";

const BIG_ID = Number.MAX_SAFE_INTEGER;
const CREATED_MS = Date.UTC(2026, 10, 25, 7, 17, 55, 123);

async function withFunction(
  test: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    await server.control.createPythonFunction({
      className: "P",
      modules: [{ name: "job", source: new TextEncoder().encode("") }],
      configYaml: taskYaml("etl"),
    });
    await test(server);
  } finally {
    await server.close();
  }
}

function seedCheckpoints(server: TestServer): void {
  server.control.checkpoints.set("etl", [
    {
      id: 7,
      createdAtMs: CREATED_MS,
      sizeBytes: 512,
      positions: [],
      token: "a",
    },
    {
      id: BIG_ID,
      createdAtMs: CREATED_MS + 1000,
      sizeBytes: 3 * 1024 * 1024,
      positions: [
        { topic: "in", partition: 0, nextOffset: 12n },
        { topic: "in", partition: 1, nextOffset: 9223372036854775807n },
      ],
      token: "b",
    },
  ]);
}

Deno.test("checkpoint trigger prints the server's message with the new id, or JSON with the id as a string", async () => {
  await withFunction(async ({ port, control }) => {
    control.nextCheckpointId = BIG_ID - 1;
    const run = await cli(["checkpoint", "trigger", "etl", "--port", port]);
    assert.deepEqual(run, {
      code: 0,
      stdout: `Checkpoint ${BIG_ID - 1} of function 'etl' complete\n`,
      stderr: "",
    });
    const json = await cli([
      "checkpoint",
      "trigger",
      "etl",
      "--port",
      port,
      "--json",
    ]);
    assert.deepEqual(JSON.parse(json.stdout), {
      status_code: 201,
      message: `Checkpoint ${BIG_ID} of function 'etl' complete`,
      checkpoint_id: "9007199254740991",
    });
    assert.equal(control.checkpoints.get("etl")!.length, 2);
  });
});

Deno.test("checkpoint trigger exits 1 with the status: 409 when stopped, 400 when disabled, 404 when unknown", async () => {
  await withFunction(async ({ port, control }) => {
    control.functions.get("etl")!.info.status = "STOPPED";
    const stopped = await cli(["checkpoint", "trigger", "etl", "--port", port]);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /^error \(409\): Cannot trigger a checkpoint/);
    control.functions.get("etl")!.info.status = "RUNNING";
    control.checkpointsDisabled.add("etl");
    const disabled = await cli([
      "checkpoint",
      "trigger",
      "etl",
      "--port",
      port,
    ]);
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /^error \(400\): .*checkpoints are disabled/);
    const ghost = await cli(["checkpoint", "trigger", "ghost", "--port", port]);
    assert.equal(ghost.stderr, "error (404): Function 'ghost' not found\n");
    assert.equal(ghost.stdout, "");
  });
});

Deno.test("checkpoint list prints a table of id, UTC time, size and positions", async () => {
  await withFunction(async (server) => {
    const empty = await cli([
      "checkpoint",
      "list",
      "etl",
      "--port",
      server.port,
    ]);
    assert.deepEqual(empty, {
      code: 0,
      stdout: "No checkpoints of function 'etl'\n",
      stderr: "",
    });
    seedCheckpoints(server);
    const run = await cli(["checkpoint", "list", "etl", "--port", server.port]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        "ID                CREATED                   SIZE     POSITIONS",
        "7                 2026-11-25T07:17:55.123Z  512 B    -",
        "9007199254740991  2026-11-25T07:17:56.123Z  3.0 MiB  in[0]@12 in[1]@9223372036854775807",
        "(2 checkpoints of function 'etl')",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("checkpoint list --json prints every checkpoint with exact int64 strings", async () => {
  await withFunction(async (server) => {
    seedCheckpoints(server);
    const run = await cli([
      "--json",
      "checkpoint",
      "list",
      "etl",
      "--port",
      server.port,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout)[1], {
      checkpoint_id: "9007199254740991",
      created_at_ms: String(CREATED_MS + 1000),
      size_bytes: "3145728",
      positions: [
        { topic: "in", partition: 0, next_offset: "12" },
        { topic: "in", partition: 1, next_offset: "9223372036854775807" },
      ],
    });
    const ghost = await cli([
      "checkpoint",
      "list",
      "ghost",
      "--port",
      server.port,
    ]);
    assert.equal(ghost.code, 1);
    assert.equal(ghost.stderr, "error (404): Function 'ghost' not found\n");
  });
});

Deno.test("checkpoint restore rewinds a stopped function; 409 while running, 404 for an unknown id", async () => {
  await withFunction(async (server) => {
    seedCheckpoints(server);
    const { control, port } = server;
    const running = await cli([
      "checkpoint",
      "restore",
      "etl",
      "7",
      "--port",
      port,
    ]);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /^error \(409\): .*is not STOPPED/);
    control.functions.get("etl")!.info.status = "STOPPED";
    const unknown = await cli([
      "checkpoint",
      "restore",
      "etl",
      "8",
      "--port",
      port,
    ]);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      "error (404): Checkpoint 8 of function 'etl' not found\n",
    );
    const big = await cli([
      "checkpoint",
      "restore",
      "etl",
      String(BIG_ID),
      "--port",
      port,
      "--json",
    ]);
    assert.equal(big.code, 0, big.stderr);
    assert.deepEqual(JSON.parse(big.stdout), {
      status_code: 200,
      message: `Function 'etl' restored to checkpoint ${BIG_ID}`,
    });
    const run = await cli([
      "checkpoint",
      "restore",
      "etl",
      "007",
      "--port",
      port,
    ]);
    assert.deepEqual(run, {
      code: 0,
      stdout: "Function 'etl' restored to checkpoint 7\n",
      stderr: "",
    });
    assert.deepEqual(control.restores, [
      { name: "etl", checkpointId: BIG_ID },
      { name: "etl", checkpointId: 7 },
    ]);
    assert.deepEqual(control.checkpoints.get("etl")!.map((c) => c.id), [7]);
  });
});

Deno.test("checkpoint usage errors exit 2 without calling the server", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["checkpoint"],
      /^error: missing argument ACTION\n\nUsage: deno task cli checkpoint trigger\|list\|restore NAME \[CHECKPOINT_ID\]\n/,
    ],
    [["checkpoint", "list"], /^error: missing argument NAME\n/],
    [
      ["checkpoint", "take", "etl"],
      /^error: unknown checkpoint action 'take': use trigger, list, restore\n/,
    ],
    [
      ["checkpoint", "restore", "etl"],
      /^error: missing argument CHECKPOINT_ID\n/,
    ],
    [["checkpoint", "list", "etl", "3"], /^error: unexpected argument '3'\n/],
    [
      ["checkpoint", "restore", "etl", "1", "2"],
      /^error: unexpected argument '2'\n/,
    ],
    [
      ["checkpoint", "restore", "etl", "-1"],
      /^error: Option '-1' argument is ambiguous|^error: Unknown option '-1'/,
    ],
    [
      ["checkpoint", "restore", "etl", "--", "-1"],
      /^error: Cannot use CHECKPOINT_ID as it is not a non-negative 64-bit integer: current value is '-1'\n/,
    ],
    [
      ["checkpoint", "restore", "etl", "9223372036854775808"],
      /current value is '9223372036854775808'/,
    ],
    [["checkpoint", "restore", "etl", "1e3"], /current value is '1e3'/],
  ];
  for (const [args, expected] of cases) {
    // Port 1 is never served: a call would exit 3, not 2.
    const run = await cli(["--port", "1", ...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, expected, args.join(" "));
    assert.equal(run.stdout, "");
  }
  const help = await cli(["help", "checkpoint"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /checkpoint restore NAME CHECKPOINT_ID\n/);
});

Deno.test("formatPositions() shows topic[partition]@offset, at most four, and counts the rest", () => {
  assert.equal(formatPositions([]), "-");
  const six = Array.from({ length: 6 }, (_, partition) => ({
    topic: "t",
    partition,
    next_offset: String(partition * 10),
  }));
  assert.equal(
    formatPositions(six),
    "t[0]@0 t[1]@10 t[2]@20 t[3]@30 (+2 more)",
  );
  assert.equal(formatPositions(six, 6).split(" ").length, 6);
});

Deno.test("formatCreatedAt() and formatCheckpointTable() handle odd values", () => {
  assert.equal(formatCreatedAt("0"), "1970-01-01T00:00:00.000Z");
  assert.equal(formatCreatedAt("9223372036854775807"), "9223372036854775807");
  assert.equal(
    formatCheckpointTable([], "f"),
    "No checkpoints of function 'f'",
  );
  assert.match(
    formatCheckpointTable([{
      checkpoint_id: "1",
      created_at_ms: "0",
      size_bytes: "2048",
      positions: [],
    }], "f"),
    /\n1 +1970-01-01T00:00:00\.000Z +2\.0 KiB +-\n\(1 checkpoint of function 'f'\)$/,
  );
});

Deno.test("parseCheckpointIdArg() accepts int64 decimals and returns canonical text", () => {
  assert.equal(parseCheckpointIdArg("0"), "0");
  assert.equal(parseCheckpointIdArg("0042"), "42");
  assert.equal(
    parseCheckpointIdArg("9223372036854775807"),
    "9223372036854775807",
  );
  for (
    const bad of ["", " 1", "+1", "-1", "1.0", "0x10", "9223372036854775808"]
  ) {
    assert.throws(
      () => parseCheckpointIdArg(bad),
      /not a non-negative 64-bit integer/,
    );
  }
});
