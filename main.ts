/**
 * Function Stream server: the composition root. Reads flags, builds state,
 * engine and gRPC server, starts them, and stops them in reverse on a signal.
 * @module
 */
import { parseArgs } from "node:util";
import { serveGrpc } from "./api/mod.ts";
import { runCli } from "./api/cli/mod.ts";
import {
  createLogger,
  DenoKvStateBackend,
  Engine,
  messageOf,
  PyodideSnapshot,
  resolveServerConfig,
} from "./runtime/mod.ts";

const USAGE = `Usage: deno task serve [options]
       deno task cli COMMAND ...   (management client; see "deno task cli help")

Options:
  --host <address>     address to listen on (default 127.0.0.1)
  --port <port>        gRPC port (default 8080; 0 picks a free one)
  --data-dir <path>    folder for the registry, state and caches (default ./.data)
  --log-format <fmt>   text or json (default text)
  -h, --help           show this help`;

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "log-format": { type: "string" },
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
  });
  const logger = createLogger({ format: config.logFormat });

  await Deno.mkdir(config.cacheDir, { recursive: true });
  const kv = await Deno.openKv(config.kvPath);
  const state = new DenoKvStateBackend(kv);
  const snapshot = await PyodideSnapshot.prepare({ cacheDir: config.cacheDir });
  const engine = new Engine({ kv, state, snapshot, logger });
  const server = await serveGrpc(engine, {
    host: config.host,
    port: config.port,
    logger,
  });
  logger.log("info", `Function Stream listening on ${server.address}`, {
    dataDir: config.dataDir,
  });
  await engine.recover();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "shutting down");
    await server.close();
    await engine.shutdown();
    kv.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main && Deno.args[0] === "cli") {
  Deno.exit(await runCli(Deno.args.slice(1)));
} else if (import.meta.main) {
  main(Deno.args[0] === "serve" ? Deno.args.slice(1) : Deno.args).catch(
    (error) => {
      console.error(`Function Stream cannot start: ${messageOf(error)}`);
      console.error(USAGE);
      Deno.exit(1);
    },
  );
}
