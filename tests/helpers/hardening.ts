/**
 * Shared by the tests/hardening_*_test.ts files: the real server started with
 * extra flags and environment, a grpc-js client built from api/proto.ts that
 * can also send raw bytes, test certificates made with openssl at run time,
 * and a counting operator whose output proves state continuity.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { loadFunctionStreamProto, SERVICE_NAME } from "../../api/mod.ts";
import type { ConsumedRecord } from "./kafka.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A server started by {@link spawnServer}. */
export interface SpawnedServer {
  /** The gRPC port. */
  port: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Sends SIGTERM (once) and waits for the exit code. */
  stop(): Promise<number>;
}

/** Options for {@link spawnServer}. */
export interface SpawnServerOptions {
  /** The server's data folder. */
  dataDir: string;
  /** Extra flags after `--port 0 --data-dir DIR`. */
  args?: string[];
  /** Extra environment variables (the rest is inherited). */
  env?: Record<string, string>;
  /** @default 120000 */
  timeoutMs?: number;
}

/** Runs `main.ts` with the given flags; resolves once it prints its port. */
export async function spawnServer(
  options: SpawnServerOptions,
): Promise<SpawnedServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "--port",
      "0",
      "--data-dir",
      options.dataDir,
      ...(options.args ?? []),
    ],
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let running = true;
  const found = Promise.withResolvers<number>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const match = text.match(/listening on [^\s]*:(\d+)/);
      if (match) found.resolve(Number(match[1]));
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then((s) => {
    running = false;
    return s.code;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const port = await Promise.race([
    found.promise,
    exited.then(async (code) => {
      await pumps;
      throw new Error(`server exited with ${code} before listening:\n${text}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`server silent for ${timeoutMs} ms:\n${text}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    port,
    output: () => text,
    alive: () => running,
    async stop() {
      if (running) {
        try {
          child.kill("SIGTERM");
        } catch {
          // exited meanwhile
        }
      }
      const code = await exited;
      await pumps;
      return code;
    },
  };
}

/** Runs `main.ts` expecting it to refuse to start; returns code and output. */
export async function serverRefuses(
  args: string[],
): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "--port", "0", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, in a temp folder. */
export interface TestCertificate {
  /** The folder holding both files; remove it when done. */
  dir: string;
  /** PEM certificate path. */
  certFile: string;
  /** PEM private key path. */
  keyFile: string;
  /** The certificate's PEM bytes. */
  pem: Uint8Array;
}

/** Makes a fresh certificate with openssl (never committed anywhere). */
export async function makeCertificate(): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "fs-hardening-tls-" });
  const result = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  return {
    dir,
    certFile: `${dir}/cert.pem`,
    keyFile: `${dir}/key.pem`,
    pem: await Deno.readFile(`${dir}/cert.pem`),
  };
}

/** A reply of any RPC (Response or ShowFunctionsResponse). */
export interface AnyReply {
  /** Status code. */
  status_code: number;
  /** Human message. */
  message: string;
  /** ExecuteSql payload. */
  data?: Uint8Array;
  /** ShowFunctions rows. */
  functions?: { name: string; task_type: string; status: string }[];
}

/** Every RPC of FunctionStreamService. */
export const RPC_NAMES = [
  "ExecuteSql",
  "CreateFunction",
  "CreatePythonFunction",
  "DropFunction",
  "ShowFunctions",
  "StartFunction",
  "StopFunction",
  "TriggerCheckpoint",
  "ListCheckpoints",
  "RestoreCheckpoint",
] as const;

/** One RPC name. */
export type RpcName = typeof RPC_NAMES[number];

/** A grpc-js client of the service with typed-enough helpers. */
export class RpcClient {
  readonly #client: grpc.Client;
  readonly #token?: string;

  /** Dials 127.0.0.1:port, with TLS when `caPem` is given. */
  constructor(port: number, options: { caPem?: Uint8Array; token?: string }) {
    const { Client } = loadFunctionStreamProto();
    const credentials = options.caPem
      ? grpc.credentials.createSsl(Buffer.from(options.caPem))
      : grpc.credentials.createInsecure();
    this.#token = options.token;
    this.#client = new Client(`127.0.0.1:${port}`, credentials, {
      "grpc.max_send_message_length": -1,
      "grpc.max_receive_message_length": -1,
      // Deno's node:tls refuses an IP address as SNI name.
      ...(options.caPem
        ? { "grpc.ssl_target_name_override": "localhost" }
        : {}),
    });
  }

  #metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.#token) metadata.set("authorization", `Bearer ${this.#token}`);
    return metadata;
  }

  /** Calls an RPC; rejects with the grpc.ServiceError on a transport error. */
  call(
    method: RpcName,
    request: object,
    options: { deadlineMs?: number } = {},
  ): Promise<AnyReply> {
    const fn = (this.#client as unknown as Record<string, unknown>)[
      method
    ] as (
      request: object,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, reply?: AnyReply) => void,
    ) => void;
    return new Promise((resolve, reject) => {
      fn.call(
        this.#client,
        request,
        this.#metadata(),
        { deadline: Date.now() + (options.deadlineMs ?? 30_000) },
        (error, reply) => (error ? reject(error) : resolve(reply!)),
      );
    });
  }

  /** Sends `bytes` as the serialized request of `method`. */
  raw(
    method: RpcName,
    bytes: Uint8Array,
    options: { deadlineMs?: number } = {},
  ): Promise<AnyReply> {
    const definition = loadFunctionStreamProto().service[method];
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<Uint8Array, AnyReply>(
        `/${SERVICE_NAME}/${method}`,
        (value) => Buffer.from(value),
        (buffer) => definition.responseDeserialize(buffer) as AnyReply,
        bytes,
        this.#metadata(),
        { deadline: Date.now() + (options.deadlineMs ?? 30_000) },
        (error, reply) => (error ? reject(error) : resolve(reply!)),
      );
    });
  }

  /** Lists functions (all when no pattern). */
  async list(
    pattern?: string,
  ): Promise<{ name: string; task_type: string; status: string }[]> {
    const reply = await this.call(
      "ShowFunctions",
      pattern ? { filter: pattern } : {},
    );
    assert.equal(reply.status_code, 200, reply.message);
    return reply.functions ?? [];
  }

  /** Waits until the function has `status` (or throws with the last seen). */
  async waitForStatus(
    name: string,
    status: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = "absent";
    while (Date.now() < end) {
      const row = (await this.list()).find((f) => f.name === name);
      last = row?.status ?? "absent";
      if (last === status) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`function ${name} is ${last}, not ${status}`);
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}

/** Options for {@link taskYaml}. */
export interface TaskYamlOptions {
  /** Function name. */
  name: string;
  /** Kafka bootstrap ("host:port"). */
  bootstrap: string;
  /** Input topic (read from partition 0, from the earliest offset). */
  input: string;
  /** Output topic (written to partition 0). */
  output: string;
  /** init_config entries. */
  initConfig?: Record<string, string>;
  /** Extra top-level keys (e.g. `max_restarts`, `process_timeout_seconds`). */
  extra?: Record<string, string | number>;
}

/** A task config as fs_client's WasmTaskConfig.to_yaml() writes it. */
export function taskYaml(options: TaskYamlOptions): string {
  const init = Object.entries(options.initConfig ?? {});
  return [
    `name: ${options.name}`,
    "type: python",
    "use_builtin_event_serialization: false",
    "enable_checkpoint: false",
    "checkpoint_interval_seconds: 1",
    ...Object.entries(options.extra ?? {}).map(([k, v]) =>
      `${k}: ${JSON.stringify(v)}`
    ),
    init.length === 0 ? "init_config: {}" : "init_config:",
    ...init.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`),
    "input-groups:",
    "- inputs:",
    "  - input-type: kafka",
    `    bootstrap_servers: ${options.bootstrap}`,
    `    topic: ${options.input}`,
    `    group_id: ${options.name}-group`,
    "    partition: 0",
    "    auto.offset.reset: earliest",
    "outputs:",
    "- output-type: kafka",
    `  bootstrap_servers: ${options.bootstrap}`,
    `  topic: ${options.output}`,
    "  partition: 0",
    "",
  ].join("\n");
}

/** The seed's counting operator: emits {"metric", "total"} after each record. */
export const COUNTER_SOURCE = `from fs_api import FSProcessorDriver, Context
import json

class Counter(FSProcessorDriver):
    def init(self, ctx: Context, config: dict):
        self.metric_name = config.get("metric_name", "events")

    def process(self, ctx: Context, source_id: int, data: bytes):
        store = ctx.getOrCreateKVStore("stats_db")
        key = f"count:{self.metric_name}".encode()
        total = int(store.get_state(key) or 0) + 1
        store.put_state(key, str(total).encode())
        ctx.emit(json.dumps({"metric": self.metric_name, "total": total}).encode(), 0)
`;

/** A CreatePythonFunction request for {@link COUNTER_SOURCE}. */
export function counterRequest(yaml: string): object {
  return {
    class_name: "Counter",
    modules: [{
      module_name: "counter_job",
      module_bytes: new TextEncoder().encode(COUNTER_SOURCE),
    }],
    config_content: yaml,
  };
}

/** The `total` field of each output record of the counter. */
export function totalsOf(records: ConsumedRecord[]): number[] {
  return records.map((r) =>
    JSON.parse(new TextDecoder().decode(r.value)).total as number
  );
}

/** [from, from+1, ..., to]. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
