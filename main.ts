/**
 * Function Stream server: the composition root. Reads flags, builds state,
 * metrics, engine, gRPC server (with the health service) and the metrics
 * endpoint, starts them, and stops them in reverse on a signal.
 * @module
 */
import { parseArgs } from "node:util";
import {
  grpcOptionsFromFlags,
  HealthService,
  parseMetricsPort,
  routeLibraryLogs,
  serveGrpc,
  serveMetrics,
  ServingStatus,
} from "./api/mod.ts";
import { runCli } from "./api/cli/mod.ts";
import {
  createLogger,
  DenoKvStateBackend,
  Engine,
  messageOf,
  PyodideSnapshot,
  resolveServerConfig,
} from "./runtime/mod.ts";
import { MetricsRegistry } from "./runtime/metrics/mod.ts";
import { runIsolateHost } from "./runtime/isolate/mod.ts";

const USAGE = `Usage: deno task serve [options]
       deno task cli COMMAND ...   (management client; see "deno task cli help")

Options:
  --host <address>     address to listen on (default 127.0.0.1)
  --port <port>        gRPC port (default 8080; 0 picks a free one)
  --data-dir <path>    folder for the registry, state and caches (default ./.data)
  --log-format <fmt>   text or json (default text)
  --tls-cert <file>    serve TLS with this PEM certificate chain (needs --tls-key)
  --tls-key <file>     PEM private key of --tls-cert
  --auth-token <token> require "authorization: Bearer <token>" on every call
                       (default: env FS_AUTH_TOKEN; prefer the variable, flags show in ps)
  --max-message-mb <n> largest request in MiB (default 64)
  --metrics-port <n>   serve Prometheus metrics at http://<host>:<n>/metrics
                       (default: off; 0 picks a free port)
  --function-memory-mb <n>
                       memory limit of each function's Python heap in MiB, for
                       tasks without memory_limit_mb (default 256; 64 to 4096)
  --isolation <mode>   process: each function's isolate is a Web Worker in a
                       child process of its own, whose JavaScript heap and
                       resident memory are capped too, so exhausting them
                       ends only that function (default); worker: a Web
                       Worker in this process (less memory and start time,
                       but an operator that exhausts its JavaScript heap
                       aborts the server: for trusted operators only)
  -h, --help           show this help`;

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "log-format": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "auth-token": { type: "string" },
      "max-message-mb": { type: "string" },
      "metrics-port": { type: "string" },
      "function-memory-mb": { type: "string" },
      isolation: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = resolveServerConfig({
    host: values.host,
    port: values.port,
    dataDir: values["data-dir"],
    logFormat: values["log-format"],
    functionMemoryMb: values["function-memory-mb"],
    isolation: values.isolation,
  });
  const logger = createLogger({ format: config.logFormat });
  const grpcSecurity = grpcOptionsFromFlags({
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    authToken: values["auth-token"],
    maxMessageMb: values["max-message-mb"],
  });
  const metricsPort = parseMetricsPort(values["metrics-port"]);
  routeLibraryLogs(logger);

  await Deno.mkdir(config.cacheDir, { recursive: true });
  const kv = await Deno.openKv(config.kvPath);
  const state = new DenoKvStateBackend(kv);
  const snapshot = await PyodideSnapshot.prepare({ cacheDir: config.cacheDir });
  // One isolate restored ahead of time saves most of a create's start:
  // ~150 ms for a worker, ~400 ms for a process (for the server's default
  // memory limit; a function with its own limit starts a process anew).
  snapshot.keepWarm(1, {
    isolation: config.isolation,
    maxMemoryBytes: config.functionMemoryBytes,
  });
  const metrics = new MetricsRegistry();
  const engine = new Engine({
    kv,
    state,
    snapshot,
    logger,
    metrics,
    functionMemoryBytes: config.functionMemoryBytes,
    isolation: config.isolation,
  });
  const server = await serveGrpc(engine, {
    host: config.host,
    port: config.port,
    logger,
    ...grpcSecurity,
  });
  const health = new HealthService();
  health.addTo(server.server);
  logger.log("info", `Function Stream listening on ${server.address}`, {
    dataDir: config.dataDir,
  });
  const metricsServer = metricsPort === null
    ? null
    : serveMetrics(metrics, { host: config.host, port: metricsPort, logger });
  if (metricsServer !== null) {
    logger.log("info", `metrics at ${metricsServer.url}`);
  }
  await engine.recover();
  health.setAll(ServingStatus.SERVING);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "shutting down");
    health.close();
    await metricsServer?.close();
    // The gRPC server is not shut down gracefully: Deno's node:http2 can
    // abort the process (nghttp2 assertion in find_stream_on_goaway_func)
    // when GOAWAY meets a closing client stream. Exiting closes the sockets;
    // calls still open then fail with UNAVAILABLE, which clients retry.
    await engine.shutdown();
    kv.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

/** Whether the arguments ask for JSON logs (read before they are validated). */
function wantsJsonLog(args: string[]): boolean {
  const at = args.indexOf("--log-format");
  return args.includes("--log-format=json") ||
    (at >= 0 && args[at + 1] === "json");
}

if (import.meta.main && Deno.args[0] === "isolate-host") {
  // Hidden: the compiled binary runs itself this way for --isolation process.
  runIsolateHost().catch((error) => {
    console.error(`Function Stream isolate host failed: ${messageOf(error)}`);
    Deno.exit(1);
  });
} else if (import.meta.main && Deno.args[0] === "cli") {
  Deno.exit(await runCli(Deno.args.slice(1)));
} else if (import.meta.main) {
  main(Deno.args[0] === "serve" ? Deno.args.slice(1) : Deno.args).catch(
    (error) => {
      const message = `Function Stream cannot start: ${messageOf(error)}`;
      if (wantsJsonLog(Deno.args)) {
        createLogger({ format: "json" }).log("error", message);
      } else {
        console.error(message);
        console.error(USAGE);
      }
      Deno.exit(1);
    },
  );
}
