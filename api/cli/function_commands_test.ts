import assert from "node:assert/strict";
import { taskYaml } from "../_fake_control.ts";
import { cli, startTestServer, type TestServer } from "./_test_helpers.ts";
import { likeLiteral } from "./function_commands.ts";

async function withFunctions(
  names: string[],
  test: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    for (const name of names) {
      await server.control.createPythonFunction({
        className: "P",
        modules: [{ name: "job", source: new TextEncoder().encode("") }],
        configYaml: taskYaml(name),
      });
    }
    await test(server);
  } finally {
    await server.close();
  }
}

Deno.test("list prints a table of name, type and status, filtered by a glob", async () => {
  await withFunctions(
    ["etl-a", "etl-b", "other"],
    async ({ port, control }) => {
      control.functions.get("etl-b")!.info.status = "STOPPED";
      const all = await cli(["list", "--port", port]);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /^NAME\s+TASK TYPE\s+STATUS\n/);
      assert.match(all.stdout, /etl-a\s+python\s+RUNNING/);
      assert.match(all.stdout, /etl-b\s+python\s+STOPPED/);
      assert.match(all.stdout, /\(3 functions\)/);

      const some = await cli(["list", "etl-*", "--port", port]);
      assert.equal(some.code, 0);
      assert.doesNotMatch(some.stdout, /other/);
      assert.match(some.stdout, /\(2 functions matching 'etl-\*'\)/);
      assert.deepEqual(control.listPatterns.slice(-1), ["etl-*"]);

      const none = await cli(["list", "zzz*", "--port", port]);
      assert.equal(none.stdout, "No functions matching 'zzz*'\n");
    },
  );
});

Deno.test("list --json prints the rows as one JSON array", async () => {
  await withFunctions(["b", "a"], async ({ port }) => {
    const run = await cli(["--json", "list", "--port", port]);
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), [
      { name: "a", task_type: "python", status: "RUNNING" },
      { name: "b", task_type: "python", status: "RUNNING" },
    ]);
  });
});

Deno.test("start and stop change the status and print the server's message", async () => {
  await withFunctions(["etl"], async ({ port, control }) => {
    const stop = await cli(["stop", "etl", "--port", port]);
    assert.deepEqual(stop, {
      code: 0,
      stdout: "Function 'etl' stopped\n",
      stderr: "",
    });
    assert.equal(control.functions.get("etl")!.info.status, "STOPPED");
    const start = await cli(["start", "etl", "--port", port, "--json"]);
    assert.equal(start.code, 0);
    assert.deepEqual(JSON.parse(start.stdout), {
      status_code: 200,
      message: "Function 'etl' started",
    });
    assert.equal(control.functions.get("etl")!.info.status, "RUNNING");
  });
});

Deno.test("start of an unknown function exits 1 with the status and message on stderr", async () => {
  await withFunctions([], async ({ port }) => {
    const run = await cli(["start", "ghost", "--port", port]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, "error (404): Function 'ghost' not found\n");
  });
});

Deno.test("drop removes a function; --if-exists makes a missing one exit 0", async () => {
  await withFunctions(["etl"], async ({ port, control }) => {
    const drop = await cli(["drop", "etl", "--port", port]);
    assert.equal(drop.code, 0);
    assert.equal(drop.stdout, "Function 'etl' dropped\n");
    assert.equal(control.functions.has("etl"), false);

    const again = await cli(["drop", "etl", "--port", port]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error \(404\): Function 'etl'/);

    const tolerant = await cli(["drop", "etl", "--if-exists", "--port", port]);
    assert.equal(tolerant.code, 0, tolerant.stderr);
    assert.match(tolerant.stdout, /nothing to drop/);
  });
});

Deno.test("status prints the status and the last error the server reports", async () => {
  await withFunctions(["etl_1", "etlx1"], async ({ port, control }) => {
    const info = control.functions.get("etl_1")!.info;
    info.status = "FAILED";
    info.lastError = "ValueError: bad record";
    const run = await cli(["status", "etl_1", "--port", port]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      "name:       etl_1\ntype:       python\nstatus:     FAILED\n" +
        "last error: ValueError: bad record\n",
    );
    const json = await cli(["status", "etlx1", "--port", port, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), {
      name: "etlx1",
      task_type: "python",
      status: "RUNNING",
    });
    // '_' is escaped in LIKE, so only the exact name was asked for.
    assert.deepEqual(control.listPatterns, ["etl_1", "etlx1"]);
  });
});

Deno.test("status of an unknown function exits 1 with a 404 line", async () => {
  await withFunctions(["etl"], async ({ port }) => {
    const run = await cli(["status", "ghost", "--port", port]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "error (404): Function 'ghost' does not exist\n");
  });
});

Deno.test("likeLiteral() escapes LIKE wildcards and quotes", () => {
  assert.equal(likeLiteral("a_b%c"), "'a\\_b\\%c'");
  assert.equal(likeLiteral("it's"), "'it''s'");
  assert.equal(likeLiteral("a\\b"), "'a\\\\b'");
});
