/**
 * Server settings: arrive all-optional (flags, environment), are resolved once
 * into an all-required object here, where every default lives.
 * @module
 */
import { FsError } from "./errors.ts";
import { MAX_MEMORY_LIMIT_MB } from "./task_options.ts";

/** Memory limit of a function without `memory_limit_mb`, in MiB (`--function-memory-mb`). */
export const DEFAULT_FUNCTION_MEMORY_MB = 256;

/** Smallest memory limit, in MiB: Pyodide alone takes about 30 MiB. */
export const MIN_FUNCTION_MEMORY_MB = 64;

/**
 * Where each function's isolate runs (`--isolation`): a Web Worker in a
 * child process of its own whose JavaScript heap and resident memory are
 * capped as well ("process", the default), or a Web Worker in the server
 * process ("worker": denser and faster, but an operator that exhausts the
 * worker's JavaScript heap through Pyodide's `js` module aborts the whole
 * server, so only for trusted operators).
 */
export type IsolationMode = "worker" | "process";

/** Settings as given by the operator; every field is optional. */
export interface ServerConfigInput {
  /** Address the gRPC server binds. */
  host?: string;
  /** Port the gRPC server binds; 0 picks a free one. */
  port?: number | string;
  /** Folder for the KV database and caches. */
  dataDir?: string;
  /** Log format. */
  logFormat?: string;
  /** Memory limit of a function without `memory_limit_mb`, in MiB. */
  functionMemoryMb?: number | string;
  /** Where isolates run: "worker" or "process". */
  isolation?: string;
}

/** Resolved server settings. */
export interface ServerConfig {
  /** Address the gRPC server binds. @default "127.0.0.1" */
  host: string;
  /** Port the gRPC server binds. @default 8080 */
  port: number;
  /** Folder for the KV database and caches. @default "./.data" */
  dataDir: string;
  /** Path of the Deno KV database file (inside dataDir). */
  kvPath: string;
  /** Folder for the Pyodide snapshot cache (inside dataDir). */
  cacheDir: string;
  /** Log format. @default "text" */
  logFormat: "text" | "json";
  /**
   * Memory limit of a function whose config has no `memory_limit_mb`, in
   * bytes. @default DEFAULT_FUNCTION_MEMORY_MB MiB
   */
  functionMemoryBytes: number;
  /** Where each function's isolate runs. @default "worker" */
  isolation: IsolationMode;
}

/** Resolves optional settings into a complete config, checking each value. */
export function resolveServerConfig(input: ServerConfigInput): ServerConfig {
  const host = input.host ?? "127.0.0.1";
  if (host.trim() === "") {
    throw new FsError("BAD_REQUEST", "Cannot use --host as it is empty");
  }
  const port = Number(input.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use --port as it is not a port number: current value is ${input.port}`,
    );
  }
  const dataDir = (input.dataDir ?? "./.data").replace(/\/+$/, "") || "/";
  const logFormat = input.logFormat ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use --log-format as it is not 'text' or 'json': current value is ${logFormat}`,
    );
  }
  const memoryMb = Number(input.functionMemoryMb ?? DEFAULT_FUNCTION_MEMORY_MB);
  if (
    !Number.isInteger(memoryMb) || memoryMb < MIN_FUNCTION_MEMORY_MB ||
    memoryMb > MAX_MEMORY_LIMIT_MB
  ) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use --function-memory-mb as it is not a whole number of MiB from ${MIN_FUNCTION_MEMORY_MB} to ${MAX_MEMORY_LIMIT_MB}: current value is ${input.functionMemoryMb}`,
    );
  }
  const isolation = input.isolation ?? "process";
  if (isolation !== "worker" && isolation !== "process") {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot use --isolation as it is not 'worker' or 'process': current value is ${isolation}`,
    );
  }
  return {
    host,
    port,
    dataDir,
    kvPath: `${dataDir}/function_stream.kv`,
    cacheDir: `${dataDir}/cache`,
    logFormat,
    functionMemoryBytes: memoryMb * 1024 * 1024,
    isolation,
  };
}
