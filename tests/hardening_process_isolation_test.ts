/**
 * Process isolation (the server's default) through the real server, started
 * without `--isolation`: an operator that exhausts
 * JavaScript memory through `js` (which a Worker in the server process
 * cannot be limited in, and which would abort the whole server) ends FAILED
 * with "memory limit exceeded" and is not restarted; an isolate process
 * killed from outside is a crash the restart policy handles; the server
 * and a neighbour carry on.
 */
import assert from "node:assert/strict";
import { FunctionStreamClient } from "../api/cli/client.ts";
import { isolateProcesses } from "../runtime/isolate/_test_util.ts";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import { type SpawnedServer, spawnServer } from "./helpers/hardening.ts";
import {
  createFunction,
  functionRow,
  produceTimed,
  taskYaml,
  waitFor,
} from "./_lifecycle_util.ts";

/** Keeps JS arrays (V8 heap, outside the wasm cap) until the process dies. */
const JS_HOG = `from fs_api import FSProcessorDriver
import js

class JsHog(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        kept = js.Array.new()
        while True:
            kept.push(js.Array.new(1000000).fill(0))
`;

const HEALTHY = `from fs_api import FSProcessorDriver

class Healthy(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(b"ok:" + data, 0)
`;

const decoder = new TextDecoder();

/** The server's pid: the process whose command line names its data folder. */
function serverPid(dataDir: string): number {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes("main.ts") && cmdline.includes(`\0${dataDir}\0`)) {
        return Number(entry.name);
      }
    } catch {
      // ended meanwhile
    }
  }
  throw new Error(`no server process for ${dataDir}`);
}

/**
 * The live isolate process of `fn` under the server: the one the server
 * logged last for it (a warm process keeps the command line it was spawned
 * with, so the log is what names the function).
 */
function isolateOf(
  server: number,
  output: string,
  fn: string,
): number | undefined {
  const logged = [
    ...output.matchAll(
      new RegExp(
        `function started \\(isolate process (\\d+)\\) function="${fn}"`,
        "g",
      ),
    ),
  ].map((match) => Number(match[1]));
  const last = logged[logged.length - 1];
  return isolateProcesses(server).includes(last) ? last : undefined;
}

Deno.test({
  name:
    "default (process) isolation: a function exhausting JS memory ends FAILED with 'memory limit exceeded' unrestarted, a killed isolate process is restarted, the server and a neighbour carry on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const topics = Object.fromEntries(
      await Promise.all(["js-hog", "healthy"].map(async (name) => {
        const input = uniqueTopic(`proc-${name}-in`);
        const output = uniqueTopic(`proc-${name}-out`);
        await createTopic(input);
        await createTopic(output);
        return [name, { input, output }] as const;
      })),
    );
    const dataDir = await Deno.makeTempDir({ prefix: "fs-process-isolation-" });
    let server: SpawnedServer | undefined;
    let client: FunctionStreamClient | undefined;
    try {
      server = await spawnServer({
        dataDir,
        // No --isolation: process isolation is the default.
        args: ["--function-memory-mb", "96"],
      });
      client = new FunctionStreamClient(`127.0.0.1:${server.port}`);
      const create = (name: string, source: string, className: string) =>
        createFunction(client!, {
          className,
          source,
          yaml: taskYaml({
            name,
            inputs: [topics[name].input],
            outputs: [topics[name].output],
            extra: { max_restarts: 3, restart_backoff_seconds: 0.1 },
          }),
        });
      await create("healthy", HEALTHY, "Healthy");
      await create("js-hog", JS_HOG, "JsHog");
      const outputs = async (count: number) =>
        (await consumeAll(topics.healthy.output, { count, timeoutMs: 30_000 }))
          .map((r) => decoder.decode(r.value));
      await produceTimed(topics.healthy.input, [{ value: "a" }, {
        value: "b",
      }]);
      assert.deepEqual(await outputs(2), ["ok:a", "ok:b"]);

      // JS memory: the hog's process dies, the function FAILS for good.
      const pid = serverPid(dataDir);
      const hogPid = isolateOf(pid, server.output(), "js-hog");
      assert.ok(hogPid !== undefined, "js-hog has no isolate process");
      await produceTimed(topics["js-hog"].input, [{ value: "go" }]);
      const error = await waitFor("js-hog FAILED", async () => {
        const row = await functionRow(client!, "js-hog");
        return row.status === "FAILED" ? row.last_error ?? "" : undefined;
      }, 60_000);
      assert.match(error, /memory limit exceeded/);
      assert.match(error, /limit of 96 MiB/);
      assert.match(error, /Reached heap limit/);
      assert.match(error, /not restarted/);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await functionRow(client, "js-hog")).status, "FAILED");
      assert.doesNotMatch(server.output(), /function restarting[^\n]*js-hog/);
      assert.match(server.output(), /\[js-hog\] isolate process:.*Fatal/);
      assert.equal(isolateOf(pid, server.output(), "js-hog"), undefined);

      // A killed isolate process: a crash, restarted by the policy.
      const healthyPid = isolateOf(pid, server!.output(), "healthy");
      assert.ok(healthyPid !== undefined, "healthy has no isolate process");
      Deno.kill(healthyPid, "SIGKILL");
      const restarted = await waitFor("a new isolate process", () => {
        const now = isolateOf(pid, server!.output(), "healthy");
        return now !== undefined && now !== healthyPid ? now : undefined;
      }, 60_000);
      assert.notEqual(restarted, healthyPid);
      assert.match(server.output(), /function restarting[^\n]*healthy/);
      await waitFor(
        "healthy RUNNING",
        async () =>
          (await functionRow(client!, "healthy")).status === "RUNNING"
            ? true
            : undefined,
      );
      await produceTimed(topics.healthy.input, [{ value: "c" }, {
        value: "d",
      }]);
      // At least once: a batch in flight at the kill may be redone.
      const after = await outputs(4);
      for (const value of ["ok:c", "ok:d"]) assert.ok(after.includes(value));
      assert.ok(server.alive(), "the server died");
    } finally {
      client?.close();
      const code = server === undefined ? 0 : await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      assert.equal(code, 0, server?.output().slice(-3000));
    }
  },
});
