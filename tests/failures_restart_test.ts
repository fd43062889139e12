/**
 * Failures through the real server and broker: a heartbeat answering False
 * restarts the worker from its committed state, an operator that always
 * raises is restarted and then FAILED with its reason (readable through
 * fs_client), operator output reaches the server log, and an unreachable
 * broker goes through the same policy.
 */
import assert from "node:assert/strict";
import { FunctionStreamClient } from "../api/cli/client.ts";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  uniqueTopic,
} from "./helpers/kafka.ts";
import { runPython, startServer } from "./helpers/server.ts";
import {
  createFunction,
  functionRow,
  produceTimed,
  taskYaml,
  type TestServer,
  waitFor,
  withServer,
} from "./_lifecycle_util.ts";

const SICK = `from fs_api import FSProcessorDriver

class Sick(FSProcessorDriver):
    def init(self, ctx, config):
        store = ctx.getOrCreateKVStore("s")
        self.starts = int(store.get_state(b"starts") or 0) + 1
        store.put_state(b"starts", str(self.starts).encode())
        self.sick = False

    def process(self, ctx, source_id, data):
        self.sick = self.sick or data == b"sick"
        ctx.emit(data + f"@{self.starts}".encode(), 0)

    def check_heartbeat(self, ctx):
        return not self.sick
`;

const BROKEN = `from fs_api import FSProcessorDriver

class Broken(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        raise ValueError("always broken")
`;

const CHATTY = `import logging
from fs_api import FSProcessorDriver

class Chatty(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        print("hello from print", data.decode())
        logging.getLogger("op").warning("careful now")
`;

function texts(records: { value: Uint8Array }[]): string[] {
  return records.map((r) => new TextDecoder().decode(r.value));
}

async function heartbeatFalseRestarts({ client, server }: TestServer) {
  const [input, output] = ["hb-in", "hb-out"].map(uniqueTopic);
  await createTopic(input);
  await createTopic(output);
  await createFunction(client, {
    className: "Sick",
    source: SICK,
    yaml: taskYaml({
      name: "sick",
      inputs: [input],
      outputs: [output],
      extra: { heartbeat_interval_seconds: 0.2, restart_backoff_seconds: 0.1 },
    }),
  });
  await produceTimed(input, [{ value: "sick" }]);
  await waitFor(
    "a restart after check_heartbeat returned False",
    () =>
      /function restarting[^\n]*function="sick"/.test(server.output())
        ? true
        : undefined,
  );
  await waitFor(
    "sick RUNNING again",
    async () =>
      (await functionRow(client, "sick")).status === "RUNNING" &&
        /function started[^\n]*"sick"[\s\S]*function started[^\n]*"sick"/.test(
          server.output(),
        )
        ? true
        : undefined,
  );
  await produceTimed(input, [{ value: "after" }]);
  const records = await consumeAll(output, { count: 2, timeoutMs: 20_000 });
  // The second worker read the state the first one committed.
  assert.deepEqual(texts(records), ["sick@1", "after@2"]);
  const row = await functionRow(client, "sick");
  assert.match(row.last_error ?? "", /check_heartbeat\(\) returned False/);
}

async function alwaysRaisingFails({ client, server, port }: TestServer & {
  port: number;
}) {
  const input = uniqueTopic("broken-in");
  await createTopic(input);
  await createFunction(client, {
    className: "Broken",
    source: BROKEN,
    yaml: taskYaml({
      name: "broken",
      inputs: [input],
      outputs: [],
      extra: { max_restarts: 2, restart_backoff_seconds: 0.1 },
    }),
  });
  await produceTimed(input, [{ value: "x" }]);
  const row = await waitFor("broken FAILED", async () => {
    const row = await functionRow(client, "broken");
    return row.status === "FAILED" ? row : undefined;
  });
  assert.match(
    row.last_error ?? "",
    /^ValueError: always broken \(in process\(\)\); gave up after 2 restarts/,
  );
  assert.match(row.last_error ?? "", /Traceback[\s\S]*raise ValueError/);
  const errors = server.output().split("\n").filter((line) =>
    line.includes("function error") && line.includes('function="broken"')
  );
  assert.equal(errors.length, 3, "the first run and two restarts");
  assert.match(errors[0], /Traceback.*ValueError: always broken/);
  assert.match(errors[2], /errors=3/);

  // What fs_client users see.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/status.py`,
      `from fs_client import FsClient
with FsClient(host="127.0.0.1", port=${port}) as client:
    print(client.show_functions(filter_pattern="broken").functions[0].status)
    print(client.execute_sql("SHOW FUNCTIONS LIKE 'broken'"))
`,
    );
    const result = await runPython(`${dir}/status.py`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^FAILED$/m);
    assert.match(result.stdout, /LAST ERROR/);
    assert.match(result.stdout, /ValueError: always broken \(in process\(\)\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function operatorOutputIsLogged({ client, server }: TestServer) {
  const input = uniqueTopic("chatty-in");
  await createTopic(input);
  await createFunction(client, {
    className: "Chatty",
    source: CHATTY,
    yaml: taskYaml({ name: "chatty", inputs: [input], outputs: [] }),
  });
  await produceTimed(input, [{ value: "one" }]);
  const lines = await waitFor("chatty's log lines", () => {
    const mine = server.output().split("\n").filter((l) =>
      l.includes('function="chatty"') && l.includes("[chatty]")
    );
    return mine.length >= 2 ? mine : undefined;
  });
  assert.ok(
    lines.some((l) => /INFO \[chatty\] hello from print one/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /WARN \[chatty\] WARNING op: careful now/.test(l)),
    lines.join("\n"),
  );
}

Deno.test({
  name:
    "heartbeat False restarts from committed state; an always-raising operator is restarted then FAILED with its reason; print and logging reach the server log",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withServer(async (ctx) => {
      await Promise.all([
        heartbeatFalseRestarts(ctx),
        alwaysRaisingFails({ ...ctx, port: ctx.server.port }),
        operatorOutputIsLogged(ctx),
      ]);
    });
  },
});

Deno.test({
  name:
    "an unreachable Kafka at server start goes through the restart policy, then FAILED with the reason",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "fs-offline-" });
    const yaml = taskYaml({
      name: "offline",
      inputs: [uniqueTopic("offline-in")],
      outputs: [],
      extra: { max_restarts: 1, restart_backoff_seconds: 0.1 },
    }).replace(kafkaBootstrap(), "127.0.0.1:1").replace(
      "auto.offset.reset: earliest",
      "auto.offset.reset: earliest, retries: 0",
    );
    let server = await startServer({ dataDir });
    let client = new FunctionStreamClient(`127.0.0.1:${server.port}`);
    try {
      // A user's create reports the failure at once.
      await assert.rejects(
        createFunction(client, { className: "Broken", source: BROKEN, yaml }),
        /create failed \(503\): Function 'offline' was created but cannot start/,
      );
      client.close();
      await server.stop("SIGTERM");
      // At the next start the policy retries it, then gives up.
      server = await startServer({ dataDir });
      client = new FunctionStreamClient(`127.0.0.1:${server.port}`);
      const row = await waitFor("offline FAILED after a restart", async () => {
        const row = await functionRow(client, "offline");
        return row.status === "FAILED" && /gave up/.test(row.last_error ?? "")
          ? row
          : undefined;
      });
      assert.match(row.last_error ?? "", /127\.0\.0\.1:1/);
      assert.match(row.last_error ?? "", /gave up after 1 restart within/);
      assert.match(server.output(), /function restarting[^\n]*"offline"/);
    } finally {
      client.close();
      await server.stop("SIGTERM");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
