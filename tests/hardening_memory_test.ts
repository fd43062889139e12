/**
 * The per-function memory limit through the real server: `--function-memory-mb`
 * caps functions without `memory_limit_mb`, the key overrides it, and a
 * function that allocates past its limit ends FAILED with "memory limit
 * exceeded" at once (no restarts, though its policy allows three), while the
 * server and a function beside it carry on.
 */
import assert from "node:assert/strict";
import { FunctionStreamClient } from "../api/cli/client.ts";
import { consumeAll, createTopic, uniqueTopic } from "./helpers/kafka.ts";
import { type SpawnedServer, spawnServer } from "./helpers/hardening.ts";
import {
  createFunction,
  functionRow,
  produceTimed,
  taskYaml,
} from "./_lifecycle_util.ts";

/** Keeps every block it is asked for: "<MiB>" allocates that much more. */
const HOG = `from fs_api import FSProcessorDriver

class Hog(FSProcessorDriver):
    def init(self, ctx, config):
        self.kept = []

    def process(self, ctx, source_id, data):
        self.kept.append(bytearray(int(data) * 1024 * 1024))
        ctx.emit(f"holding {sum(len(b) for b in self.kept) >> 20} MiB".encode(), 0)
`;

const HEALTHY = `from fs_api import FSProcessorDriver

class Healthy(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        ctx.emit(b"ok:" + data, 0)
`;

const SERVER_DEFAULT_MB = 96;
const decoder = new TextDecoder();

function texts(records: { value: Uint8Array }[]): string[] {
  return records.map((r) => decoder.decode(r.value));
}

/** Waits until `name` is FAILED; returns its last error. */
async function failedWith(
  client: FunctionStreamClient,
  name: string,
): Promise<string> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const row = await functionRow(client, name);
    if (row.status === "FAILED") return row.last_error ?? "";
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${name} is ${(await functionRow(client, name)).status}, not FAILED`,
  );
}

async function healthyProcesses(
  topics: { input: string; output: string },
  batch: string[],
  seen: number,
): Promise<void> {
  await produceTimed(topics.input, batch.map((value) => ({ value })));
  const records = await consumeAll(topics.output, {
    count: seen + batch.length,
    timeoutMs: 30_000,
  });
  assert.deepEqual(
    texts(records).slice(seen),
    batch.map((v) => `ok:${v}`),
  );
}

Deno.test({
  name:
    "a function over its memory limit ends FAILED with 'memory limit exceeded' without restarts; memory_limit_mb overrides --function-memory-mb; the server and a neighbour carry on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const names = ["hog-default", "hog-keyed", "healthy"];
    const topics = Object.fromEntries(
      await Promise.all(names.map(async (name) => {
        const input = uniqueTopic(`mem-${name}-in`);
        const output = uniqueTopic(`mem-${name}-out`);
        await createTopic(input);
        await createTopic(output);
        return [name, { input, output }] as const;
      })),
    );
    const dataDir = await Deno.makeTempDir({ prefix: "fs-hardening-memory-" });
    let server: SpawnedServer | undefined;
    let client: FunctionStreamClient | undefined;
    try {
      server = await spawnServer({
        dataDir,
        args: ["--function-memory-mb", String(SERVER_DEFAULT_MB)],
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
            // Policy restarts are allowed: a memory failure must skip them.
            extra: {
              max_restarts: 3,
              restart_backoff_seconds: 0.1,
              ...(name === "hog-keyed" ? { memory_limit_mb: 192 } : {}),
            },
          }),
        });
      await create("healthy", HEALTHY, "Healthy");
      await create("hog-default", HOG, "Hog");
      await create("hog-keyed", HOG, "Hog");
      await healthyProcesses(topics.healthy, ["a", "b"], 0);

      // Under the server default: fine. Past it: FAILED, not restarted.
      await produceTimed(topics["hog-default"].input, [{ value: "40" }]);
      assert.deepEqual(
        texts(
          await consumeAll(topics["hog-default"].output, {
            count: 1,
            timeoutMs: 30_000,
          }),
        ),
        ["holding 40 MiB"],
      );
      await produceTimed(topics["hog-default"].input, [{ value: "80" }]);
      const defaultError = await failedWith(client, "hog-default");
      assert.match(defaultError, /memory limit exceeded/);
      assert.match(defaultError, /limit of 96 MiB/);
      assert.match(defaultError, /MemoryError/);
      assert.match(defaultError, /not restarted/);

      // The key allows more than the server default, and caps it in turn.
      await produceTimed(topics["hog-keyed"].input, [{ value: "120" }]);
      assert.deepEqual(
        texts(
          await consumeAll(topics["hog-keyed"].output, {
            count: 1,
            timeoutMs: 30_000,
          }),
        ),
        ["holding 120 MiB"],
      );
      await produceTimed(topics["hog-keyed"].input, [{ value: "100" }]);
      const keyedError = await failedWith(client, "hog-keyed");
      assert.match(keyedError, /memory limit exceeded/);
      assert.match(keyedError, /limit of 192 MiB/);

      // Still FAILED a while later: no restart was scheduled.
      await new Promise((r) => setTimeout(r, 1500));
      for (const name of ["hog-default", "hog-keyed"]) {
        assert.equal((await functionRow(client, name)).status, "FAILED");
      }
      const log = server.output();
      assert.doesNotMatch(log, /function restarting[^\n]*hog-/);
      assert.ok(server.alive(), "the server died");
      assert.equal((await functionRow(client, "healthy")).status, "RUNNING");
      await healthyProcesses(topics.healthy, ["c", "d", "e"], 2);
    } finally {
      client?.close();
      const code = server === undefined ? 0 : await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      assert.equal(code, 0, server?.output().slice(-3000));
    }
  },
});
