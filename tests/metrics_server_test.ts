/**
 * Observability end to end: the real server with `--metrics-port 0
 * --log-format json`, a real broker, a function created with the CLI.
 * Checks the health service, every per-function metric that moves without
 * checkpoints, and that every line the server prints is JSON.
 * Needs a broker: `deno task kafka`.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadHealthProto, ServingStatus } from "../api/mod.ts";
import {
  consumeAll,
  createTopic,
  kafkaBootstrap,
  produce,
  uniqueTopic,
} from "./helpers/kafka.ts";
import { type ServerProcess, spawnServer } from "./helpers/server_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const RECORDS = 20;

const OPERATOR = `from fs_api import FSProcessorDriver, Context

class Counter(FSProcessorDriver):
    def process(self, ctx: Context, source_id: int, data: bytes):
        if data == b"boom":
            raise ValueError("boom record")
        store = ctx.getOrCreateKVStore("counts")
        n = int(store.get_state(b"n") or 0) + 1
        store.put_state(b"n", str(n).encode())
        if n == 1:
            print("first record")
        ctx.emit(data, 0)
`;

function taskYaml(name: string, input: string, output: string): string {
  const servers = JSON.stringify(kafkaBootstrap());
  return `name: ${name}
type: python
input-groups:
  - inputs:
      - {input-type: kafka, bootstrap_servers: ${servers}, topic: ${input}, group_id: g-${name}, auto.offset.reset: earliest}
outputs:
  - {output-type: kafka, bootstrap_servers: ${servers}, topic: ${output}, partition: 0}
`;
}

async function cli(port: number, args: string[]) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "cli",
      "--port",
      String(port),
      "--timeout",
      "60",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: result.code,
    stdout: decode(result.stdout),
    stderr: decode(result.stderr),
  };
}

function healthCheck(port: number, service: string): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(loadHealthProto(), "Health");
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as {
    Check(
      request: { service: string },
      callback: (
        error: grpc.ServiceError | null,
        reply?: { status: number },
      ) => void,
    ): void;
    close(): void;
  };
  return new Promise<number>((resolve, reject) =>
    client.Check(
      { service },
      (error, reply) => (error ? reject(error) : resolve(reply!.status)),
    )
  ).finally(() => client.close());
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  return await response.text();
}

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

/** Scrapes until `series` reaches at least `wanted`; returns the last text. */
async function waitFor(
  url: string,
  series: string,
  wanted: number,
): Promise<string> {
  let text = "";
  for (let i = 0; i < 300; i++) {
    text = await scrape(url);
    if ((value(text, series) ?? -1) >= wanted) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${series} never reached ${wanted}:\n${text}`);
}

Deno.test({
  name:
    "the server reports health, per-function metrics at /metrics and JSON log lines only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const input = uniqueTopic("metrics-in");
    const output = uniqueTopic("metrics-out");
    await createTopic(input);
    await createTopic(output);
    const dir = await Deno.makeTempDir({ prefix: "fs-metrics-" });
    const name = `counter-${crypto.randomUUID().slice(0, 6)}`;
    await Deno.writeTextFile(`${dir}/counter.py`, OPERATOR);
    await Deno.writeTextFile(`${dir}/task.yaml`, taskYaml(name, input, output));
    let server: ServerProcess | null = null;
    try {
      server = await spawnServer(Deno.execPath(), [
        "run",
        "-A",
        MAIN,
        "--port",
        "0",
        "--metrics-port",
        "0",
        "--log-format",
        "json",
        "--data-dir",
        `${dir}/data`,
      ]);
      const url = server.metricsUrl!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      let status: number = ServingStatus.NOT_SERVING;
      for (let i = 0; i < 100 && status !== ServingStatus.SERVING; i++) {
        status = await healthCheck(server.port, "");
        if (status !== ServingStatus.SERVING) {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(status, ServingStatus.SERVING);
      assert.equal(
        await healthCheck(server.port, "function_stream.FunctionStreamService"),
        ServingStatus.SERVING,
      );

      const created = await cli(server.port, [
        "create",
        "--file",
        `${dir}/counter.py`,
        "--config",
        `${dir}/task.yaml`,
      ]);
      assert.equal(
        created.code,
        0,
        `${created.stdout}${created.stderr}${server.output()}`,
      );
      const fn = `{function="${name}"}`;
      let text = await scrape(url);
      assert.equal(value(text, `fs_function_records_in_total${fn}`), 0);
      assert.equal(value(text, `fs_function_errors_total${fn}`), 0);

      await produce(
        input,
        Array.from({ length: RECORDS }, (_, i) => ({ value: `r${i}` })),
      );
      const out = await consumeAll(output, {
        count: RECORDS,
        timeoutMs: 60_000,
      });
      assert.equal(out.length, RECORDS);
      text = await waitFor(url, `fs_function_records_in_total${fn}`, RECORDS);
      assert.equal(value(text, `fs_function_records_in_total${fn}`), RECORDS);
      assert.equal(value(text, `fs_function_records_out_total${fn}`), RECORDS);
      const batches = value(
        text,
        `fs_function_batch_duration_seconds_count${fn}`,
      )!;
      assert.ok(batches >= 1 && batches <= RECORDS, `batches: ${batches}`);
      // At least one dirty key per batch: every call writes "n".
      assert.ok(
        value(text, `fs_function_state_mutations_total${fn}`)! >= batches,
      );
      assert.ok(
        value(text, `fs_function_state_written_bytes_total${fn}`)! >=
          batches * 2,
      );
      assert.equal(
        value(
          text,
          `fs_function_consumer_lag{function="${name}",topic="${input}",partition="0"}`,
        ),
        0,
      );
      assert.equal(value(text, `fs_function_checkpoint_size_bytes${fn}`), 0);
      assert.match(text, /^process_resident_memory_bytes \d+/m);

      // A record the operator raises on: the function fails at every start.
      await produce(input, [{ value: "boom" }]);
      await waitFor(url, `fs_function_errors_total${fn}`, 1);
      await cli(server.port, ["start", name]);
      text = await waitFor(url, `fs_function_restarts_total${fn}`, 1);
      text = await waitFor(url, `fs_function_errors_total${fn}`, 2);
      assert.equal(value(text, `fs_function_records_in_total${fn}`), RECORDS);

      const dropped = await cli(server.port, ["drop", name]);
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.doesNotMatch(await scrape(url), new RegExp(`function="${name}"`));

      const stopping = server;
      server = null;
      assert.equal(await stopping.stop("SIGTERM"), 0, stopping.output());
      const lines = stopping.output().split("\n").filter((l) =>
        l.trim() !== ""
      );
      for (const line of lines) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new Error(`not a JSON log line: ${line}`);
        }
        assert.equal(typeof parsed.time, "string", line);
        assert.match(String(parsed.level), /^(debug|info|warn|error)$/, line);
        assert.equal(typeof parsed.message, "string", line);
      }
      const entries = lines.map((l) =>
        JSON.parse(l) as Record<string, unknown>
      );
      // The operator's failure, its print() and the shutdown, all as JSON.
      assert.ok(
        entries.some((e) => e.level === "error" && e.function === name),
        stopping.output(),
      );
      assert.ok(
        entries.some((e) => String(e.message).includes("first record")),
        stopping.output(),
      );
      assert.ok(entries.some((e) => e.message === "shutting down"));
    } finally {
      await server?.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
