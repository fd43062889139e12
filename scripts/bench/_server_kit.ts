/**
 * The real server for the benchmarks: `main.ts` started through
 * tests/helpers/server.ts, its pid (for RSS and CPU), a gRPC client, and
 * MetricProcessor functions created over the wire like any client would.
 * @module
 */
import { FunctionStreamClient } from "../../api/cli/client.ts";
import { PyodideSnapshot } from "../../runtime/isolate/mod.ts";
import { startServer } from "../../tests/helpers/server.ts";
import { bootstrap } from "./_kafka_kit.ts";
import { METRIC_CLASS, metricProcessorSource } from "./_operator.ts";
import { cpuSeconds, findPid, pssBytes, rssBytes } from "./_proc.ts";
import { isolateProcesses } from "../../runtime/isolate/_test_util.ts";

const repo = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();

/** A running server. */
export interface BenchServer {
  /** gRPC client (call deadline 120 s). */
  client: FunctionStreamClient;
  /** The server process id. */
  pid: number;
  /** Where its functions' isolates run. */
  isolation: "worker" | "process";
  /**
   * Memory of the server and its isolate processes now, bytes: resident
   * (shared pages counted in each process) and proportional (split).
   */
  memory(): { rss: number; pss: number };
  /** CPU seconds the server and its live isolate processes used so far. */
  cpu(): number;
  /** Everything it printed. */
  output(): string;
  /** Stops it and removes its data folder; returns the exit code. */
  stop(): Promise<number>;
}

/** Sums `measure` over the server and its isolate processes. */
function overTree(pid: number, measure: (pid: number) => number): number {
  let total = measure(pid);
  for (const child of isolateProcesses(pid)) {
    try {
      total += measure(child);
    } catch {
      // It ended meanwhile.
    }
  }
  return total;
}

/**
 * Starts `main.ts` on a fresh data folder, with its default isolation
 * (process) unless `isolation` says otherwise. The current snapshot is
 * prepared in `.cache/isolate` (as the isolate benchmark does) and copied
 * in first, so the server does not spend seconds building it again.
 */
export async function startBenchServer(
  options: { isolation?: "worker" | "process" } = {},
): Promise<BenchServer> {
  const isolation = options.isolation ?? "process";
  const dataDir = await Deno.makeTempDir({ prefix: "fs-bench-server-" });
  await Deno.mkdir(`${dataDir}/cache`, { recursive: true });
  const cache = `${repo}.cache/isolate`;
  const { key } = await PyodideSnapshot.prepare({ cacheDir: cache });
  const file = `pyodide-${key}.snapshot`;
  await Deno.copyFile(`${cache}/${file}`, `${dataDir}/cache/${file}`).catch(
    () => {}, // the server then builds it itself
  );
  const server = await startServer({
    dataDir,
    args: ["--isolation", isolation],
  });
  const pid = findPid(["--data-dir", dataDir]);
  if (pid === null) {
    await server.stop();
    throw new Error(
      `Cannot find the server process as no command line holds its data folder: current folder is ${dataDir}`,
    );
  }
  const client = new FunctionStreamClient(`127.0.0.1:${server.port}`, {
    timeoutMs: 120_000,
  });
  return {
    client,
    pid,
    isolation,
    memory: () => ({
      rss: overTree(pid, rssBytes),
      pss: overTree(pid, pssBytes),
    }),
    cpu: () => overTree(pid, cpuSeconds),
    output: () => server.output(),
    async stop() {
      client.close();
      const code = await server.stop("SIGTERM");
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      return code;
    },
  };
}

/** Where a MetricProcessor function reads and writes. */
export interface MetricFunctionSpec {
  /** Function name; also its `metric_name`, so outputs name their function. */
  name: string;
  /** Input topic. */
  inputTopic: string;
  /** Input partition to read. */
  partition: number;
  /** Output topic (partition 0). */
  outputTopic: string;
  /** Extra Kafka client settings of the input (e.g. `fetch.max.wait.ms`). */
  inputSettings?: Record<string, string>;
  /**
   * Whether the function takes a checkpoint every second (exactly-once:
   * outputs become visible at each checkpoint).
   * @default true
   */
  checkpoints?: boolean;
}

/**
 * The task config (SPEC section 3, JSON is valid YAML) of a MetricProcessor
 * function: one fixed-partition input read from the earliest offset, one
 * output, and a checkpoint every second (configured as the issue asks)
 * unless `checkpoints` is false.
 */
export function metricTaskYaml(spec: MetricFunctionSpec): string {
  const servers = bootstrap();
  return JSON.stringify({
    name: spec.name,
    type: "python",
    use_builtin_event_serialization: false,
    enable_checkpoint: spec.checkpoints ?? true,
    checkpoint_interval_seconds: 1,
    init_config: { metric_name: spec.name },
    "input-groups": [{
      inputs: [{
        "input-type": "kafka",
        bootstrap_servers: servers,
        topic: spec.inputTopic,
        group_id: `fs-bench-${spec.name}`,
        partition: spec.partition,
        "auto.offset.reset": "earliest",
        ...spec.inputSettings,
      }],
    }],
    outputs: [{
      "output-type": "kafka",
      bootstrap_servers: servers,
      topic: spec.outputTopic,
      partition: 0,
    }],
  });
}

let metricModule: Uint8Array | null = null;

/**
 * Creates (and so starts) a MetricProcessor function with
 * CreatePythonFunction; resolves once the server says it is running.
 *
 * @throws {Error} when the server answers with anything but success.
 */
export async function createMetricFunction(
  server: BenchServer,
  spec: MetricFunctionSpec,
): Promise<void> {
  metricModule ??= encoder.encode(await metricProcessorSource());
  const reply = await server.client.createPythonFunction({
    class_name: METRIC_CLASS,
    modules: [{ module_name: "metric_processor", module_bytes: metricModule }],
    config_content: metricTaskYaml(spec),
  });
  if (reply.status_code < 200 || reply.status_code >= 300) {
    throw new Error(
      `Cannot create function '${spec.name}' as the server refused: current reply is ${reply.status_code} ${reply.message}`,
    );
  }
}

/** Names of functions whose status is not RUNNING (all when none match). */
export async function notRunning(server: BenchServer): Promise<string[]> {
  const reply = await server.client.showFunctions();
  return reply.functions.filter((f) => f.status !== "RUNNING").map((f) =>
    `${f.name}=${f.status}`
  );
}
