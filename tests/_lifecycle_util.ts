/**
 * Helpers for the event-time and failure tests: a real server, functions
 * created over gRPC, records produced with chosen timestamps and headers.
 * @module
 */
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { FunctionStreamClient } from "../api/cli/client.ts";
import { kafkaBootstrap } from "./helpers/kafka.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

/** A record to produce, with an optional timestamp. */
export interface TimedRecord {
  /** Record value. */
  value: string;
  /** Timestamp in milliseconds (the broker's time when absent). */
  timestamp?: number;
  /** Headers. */
  headers?: Record<string, string>;
}

/** Writes records to partition 0 of a topic, in order. */
export async function produceTimed(
  topic: string,
  records: TimedRecord[],
): Promise<void> {
  const kafka = new Kafka({
    brokers: [kafkaBootstrap()],
    clientId: "fs-test-timed",
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        value: Buffer.from(r.value),
        partition: 0,
        timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
        headers: r.headers,
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** What {@link taskYaml} writes. */
export interface TaskSpec {
  /** Function name. */
  name: string;
  /** Input topics, one input group each (read from the earliest offset). */
  inputs: string[];
  /** Output topics (partition 0). */
  outputs: string[];
  /** Extension keys, e.g. `{ max_restarts: 1 }`. */
  extra?: Record<string, string | number>;
}

/** A task config YAML for the local broker. */
export function taskYaml(spec: TaskSpec): string {
  const server = JSON.stringify(kafkaBootstrap());
  const groups = spec.inputs.map((topic) =>
    `- inputs:\n  - {input-type: kafka, bootstrap_servers: ${server}, topic: ${topic}, group_id: ${spec.name}-g, auto.offset.reset: earliest}\n`
  ).join("");
  const outputs = spec.outputs.map((topic) =>
    `- {output-type: kafka, bootstrap_servers: ${server}, topic: ${topic}, partition: 0}\n`
  ).join("");
  const extra = Object.entries(spec.extra ?? {}).map(([k, v]) => `${k}: ${v}\n`)
    .join("");
  return `name: ${spec.name}\ntype: python\ninput-groups:\n${groups}outputs:\n${outputs}${extra}`;
}

/** A server and a gRPC client to it. */
export interface TestServer {
  /** The running server (its output is the server log). */
  server: RunningServer;
  /** A client of its gRPC API. */
  client: FunctionStreamClient;
}

/** Starts a server in a fresh data folder, runs `body`, and stops it. */
export async function withServer(
  body: (ctx: TestServer) => Promise<void>,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "fs-lifecycle-" });
  const server = await startServer({ dataDir });
  const client = new FunctionStreamClient(`127.0.0.1:${server.port}`);
  try {
    await body({ server, client });
  } finally {
    client.close();
    await server.stop("SIGTERM");
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** Creates (and so starts) a function from one module; throws on a non-2xx reply. */
export async function createFunction(
  client: FunctionStreamClient,
  options: { className: string; source: string; yaml: string },
): Promise<void> {
  const reply = await client.createPythonFunction({
    class_name: options.className,
    modules: [{
      module_name: "operator_module",
      module_bytes: new TextEncoder().encode(options.source),
    }],
    config_content: options.yaml,
  });
  if (reply.status_code !== 201) {
    throw new Error(`create failed (${reply.status_code}): ${reply.message}`);
  }
}

/** One row of SHOW FUNCTIONS (the JSON in ExecuteSql's data). */
export interface FunctionRow {
  /** Function name. */
  name: string;
  /** Status, e.g. RUNNING. */
  status: string;
  /** The last error, when there is one. */
  last_error?: string;
}

/** The SHOW FUNCTIONS row of one function. */
export async function functionRow(
  client: FunctionStreamClient,
  name: string,
): Promise<FunctionRow> {
  const reply = await client.executeSql(`SHOW FUNCTIONS LIKE '${name}'`);
  const rows = JSON.parse(
    new TextDecoder().decode(reply.data),
  ) as FunctionRow[];
  const row = rows.find((r) => r.name === name);
  if (row === undefined) throw new Error(`no function ${name}`);
  return row;
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
