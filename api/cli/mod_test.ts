import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../../runtime/core/mod.ts";
import { createFakeControl } from "../_fake_control.ts";
import { createFunctionStreamService } from "../function_stream_service.ts";
import { loadFunctionStreamProto } from "../proto.ts";
import { cli, closedPort, startTestServer } from "./_test_helpers.ts";

/** Serves the real handlers but records the authorization metadata of each call. */
async function recordingServer(seen: string[]) {
  const handlers = createFunctionStreamService(createFakeControl(), {
    logger: silentLogger,
  });
  const server = new grpc.Server();
  server.addService(loadFunctionStreamProto().service, {
    ...handlers,
    ShowFunctions: (
      call: Parameters<typeof handlers.ShowFunctions>[0],
      callback: Parameters<typeof handlers.ShowFunctions>[1],
    ) => {
      seen.push(String(call.metadata.get("authorization")[0] ?? "(none)"));
      handlers.ShowFunctions(call, callback);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    )
  );
  return { port: String(port), close: () => server.forceShutdown() };
}

Deno.test("help, --help and COMMAND --help print usage on stdout and exit 0", async () => {
  for (const args of [["help"], ["--help"], ["-h"]]) {
    const run = await cli(args);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: deno task cli COMMAND/);
    assert.match(run.stdout, /\n {2}repl {7}run SQL statements/);
    assert.equal(run.stderr, "");
  }
  const drop = await cli(["drop", "--help"], { program: "fs cli" });
  assert.equal(drop.code, 0);
  assert.match(drop.stdout, /^Usage: fs cli drop NAME \[--if-exists\]\n/);
  assert.match(drop.stdout, /--timeout SECS/);
  const topic = await cli(["help", "status"]);
  assert.match(topic.stdout, /^Usage: deno task cli status NAME\n/);
});

Deno.test("usage errors exit 2 and print the usage of the command", async () => {
  const cases: [string[], RegExp][] = [
    [[], /^error: missing command\n\nUsage: deno task cli COMMAND/],
    [
      ["frobnicate"],
      /^error: unknown command 'frobnicate'\n\nUsage: deno task cli COMMAND/,
    ],
    [["checkpoints", "list"], /^error: unknown command 'checkpoints'/],
    [["help", "nope"], /^error: no help for 'nope'/],
    [
      ["start"],
      /^error: missing argument NAME\n\nUsage: deno task cli start NAME\n/,
    ],
    [
      ["stop", "a", "b"],
      /^error: unexpected argument 'b'\n\nUsage: deno task cli stop NAME\n/,
    ],
    [
      ["list", "--bogus"],
      /^error: Unknown option '--bogus'\n\nUsage: deno task cli list/,
    ],
    [
      ["drop", "x", "--host"],
      /^error: Option '--host <value>' argument missing/,
    ],
    [
      ["list", "--port", "http"],
      /Cannot use --port as it is not a port number \(1-65535\): current value is 'http'/,
    ],
    [["list", "--port", "70000"], /current value is '70000'/],
    [
      ["list", "--timeout", "-1"],
      /^error: Option '--timeout' argument is ambiguous/,
    ],
    [
      ["list", "--timeout=0"],
      /Cannot use --timeout as it is not a positive number of seconds: current value is '0'/,
    ],
  ];
  for (const [args, expected] of cases) {
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, expected, args.join(" "));
    assert.equal(run.stdout, "");
  }
});

Deno.test("a closed port exits 3 naming the address and the cause", async () => {
  const port = closedPort();
  const run = await cli(["list", "--port", port]);
  assert.equal(run.code, 3);
  assert.equal(
    run.stderr,
    `error: cannot reach Function Stream at 127.0.0.1:${port}: connection refused\n`,
  );
});

Deno.test("global flags work before the command, and a slow reply exits 4", async () => {
  const server = await startTestServer();
  // A start that never answers: the deadline must end the call.
  server.control.startFunction = () => new Promise(() => {});
  try {
    const run = await cli([
      "--port",
      server.port,
      "--timeout=0.3",
      "--host",
      "127.0.0.1",
      "start",
      "etl",
    ]);
    assert.equal(run.code, 4);
    assert.match(
      run.stderr,
      new RegExp(
        `^error: timed out after 0\\.3 s waiting for Function Stream at 127\\.0\\.0\\.1:${server.port} \\(StartFunction\\)\n$`,
      ),
    );
  } finally {
    server.handle.server.forceShutdown();
    await server.close();
  }
});

Deno.test("--token, else FS_TOKEN, is sent as a bearer authorization header", async () => {
  const seen: string[] = [];
  const server = await recordingServer(seen);
  try {
    assert.equal((await cli(["list", "--port", server.port])).code, 0);
    const flag = await cli([
      "list",
      "--port",
      server.port,
      "--token",
      "s3cret",
    ]);
    assert.equal(flag.code, 0);
    const env = await cli(["list", "--port", server.port], {
      env: (name) => (name === "FS_TOKEN" ? "from-env" : undefined),
    });
    assert.equal(env.code, 0);
    assert.deepEqual(seen, ["(none)", "Bearer s3cret", "Bearer from-env"]);
  } finally {
    server.close();
  }
});

Deno.test("a gRPC-level rejection exits 1 with the gRPC status name", async () => {
  // A server without FunctionStreamService answers UNIMPLEMENTED.
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    )
  );
  try {
    const run = await cli(["list", "--port", String(port)]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: ShowFunctions failed with gRPC status UNIMPLEMENTED/,
    );
  } finally {
    server.forceShutdown();
  }
});
