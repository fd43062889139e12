import assert from "node:assert/strict";
import { taskYaml } from "../_fake_control.ts";
import {
  cli,
  closedPort,
  startTestServer,
  type TestServer,
  textStream,
} from "./_test_helpers.ts";

async function withFunction(
  test: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    await server.control.createPythonFunction({
      className: "P",
      modules: [{ name: "job", source: new Uint8Array() }],
      configYaml: taskYaml("etl"),
    });
    await test(server);
  } finally {
    await server.close();
  }
}

Deno.test("sql runs one statement and prints the server's message", async () => {
  await withFunction(async ({ port, control }) => {
    const stop = await cli(["sql", "STOP FUNCTION etl", "--port", port]);
    assert.deepEqual(stop, {
      code: 0,
      stdout: "Function 'etl' stopped\n",
      stderr: "",
    });
    assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
    // Unquoted words are joined with spaces.
    const show = await cli(["sql", "SHOW", "FUNCTIONS", "--port", port]);
    assert.match(
      show.stdout,
      /^NAME\s+TASK TYPE\s+STATUS\netl\s+python\s+STOPPED\n/,
    );
  });
});

Deno.test("sql --json decodes the JSON rows in data", async () => {
  await withFunction(async ({ port }) => {
    const run = await cli([
      "sql",
      "SHOW FUNCTIONS LIKE 'e%'",
      "--json",
      "--port",
      port,
    ]);
    assert.equal(run.code, 0);
    const value = JSON.parse(run.stdout);
    assert.equal(value.status_code, 200);
    assert.deepEqual(value.data, [
      { name: "etl", task_type: "python", status: "RUNNING" },
    ]);
  });
});

Deno.test("sql exits 1 with the status and message of a rejected statement", async () => {
  await withFunction(async ({ port }) => {
    const run = await cli(["sql", "SELECT 1", "--port", port]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error \(400\): Cannot run SQL as it is not one of the supported statements/,
    );
    const missing = await cli(["sql", "--port", port]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: missing argument STATEMENT\n\nUsage: deno task cli sql/,
    );
  });
});

Deno.test("repl runs piped statements line by line, without a prompt, and keeps going after errors", async () => {
  await withFunction(async ({ port, control }) => {
    const input = [
      "STOP FUNCTION etl;",
      "",
      "-- a comment",
      "START FUNCTION ghost",
      "SHOW FUNCTIONS",
      "help",
    ].join("\r\n");
    const run = await cli(["repl", "--port", port], {
      stdin: textStream(input),
    });
    assert.equal(run.code, 1); // the last failure (404) decides
    assert.doesNotMatch(run.stdout, /fs> /);
    assert.match(run.stdout, /^Function 'etl' stopped\nNAME\s+TASK TYPE/);
    assert.match(run.stdout, /START FUNCTION <name>\n/);
    assert.match(run.stdout, /exit, quit/);
    assert.equal(run.stderr, "error (404): Function 'ghost' not found\n");
    assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
  });
});

Deno.test("repl prints the prompt on a terminal and stops at exit", async () => {
  await withFunction(async ({ port, control }) => {
    const run = await cli(["repl", "--port", port], {
      stdin: textStream("STOP FUNCTION etl\nexit\nSTART FUNCTION etl\n"),
      stdinIsTerminal: true,
    });
    assert.equal(run.code, 0);
    assert.equal(run.stdout, "fs> Function 'etl' stopped\nfs> ");
    assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
  });
});

Deno.test("repl --json prints one JSON document per statement; EOF ends it", async () => {
  await withFunction(async ({ port }) => {
    const run = await cli(["repl", "--json", "--port", port], {
      stdin: textStream("START FUNCTION etl\nQUIT;"),
    });
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), {
      status_code: 200,
      message: "Function 'etl' started",
    });
    const eof = await cli(["repl", "--port", port], {
      stdin: textStream("SHOW FUNCTIONS LIKE 'x%'"),
      stdinIsTerminal: true,
    });
    assert.equal(eof.stdout, "fs> No functions matching 'x*'\nfs> \n");
  });
});

Deno.test("repl reports an unreachable server per statement and exits 3", async () => {
  const run = await cli(["repl", "--port", closedPort()], {
    stdin: textStream("SHOW FUNCTIONS\n"),
  });
  assert.equal(run.code, 3);
  assert.match(
    run.stderr,
    /cannot reach Function Stream at 127\.0\.0\.1:\d+: connection refused/,
  );
});
