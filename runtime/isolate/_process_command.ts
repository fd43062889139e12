/**
 * How an isolate process is started (process isolation): the server's own
 * executable, with the least it needs.
 * @module
 */
import { PYODIDE_READ_FILES } from "./_worker.ts";

const RELAY = new URL("./process_host_main.ts", import.meta.url);
/**
 * The folder of the worker's own modules: the relay needs read access to
 * load them (its main module graph needs none), and naming the folder
 * keeps that true when the worker imports another file of it.
 */
const WORKER_MODULES = new URL("./", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/**
 * The child's whole environment (DENO_DIR aside). A fixed mmap threshold
 * keeps glibc from serving the ~31 MB snapshot read from a heap it never
 * gives back: measured 111 instead of 177 MiB private memory per process.
 * 32 KiB instead of 128 KiB keeps more freed blocks out of the per-thread
 * arenas: about 5 MiB less PSS per idle process (81 instead of 86-87
 * MiB), round trips and throughput unchanged within the noise; 16 KiB
 * saved 2 MiB more but had slower batches in some runs.
 */
const CHILD_ENV = { NO_COLOR: "1", MALLOC_MMAP_THRESHOLD_: "32768" };

/**
 * V8 flags of the child besides its heap cap. A worker in the server runs
 * a compiled module that earlier isolates warmed up; a process starts from
 * baseline (Liftoff) code and ran its first seconds of work 2-3x slower.
 * A tier-up budget of 1,000,000 instead of V8's 13,000,000 has the hot
 * functions optimized sooner: the first 20 batches of 1000 records ran at
 * 104k-116k instead of 58k-81k records/s, idle memory unchanged. (Set at
 * run time with `setFlagsFromString` it did not take effect.)
 */
const CHILD_V8_FLAGS = ["--wasm-tiering-budget=1000000"];

/** What {@link hostCommand} needs to know. */
export interface HostCommandOptions {
  /** The worker's name (shown in the command line). */
  name: string;
  /** The pyodide package directory (ends with "/"). */
  indexPath: string;
  /** The snapshot cache file. */
  snapshot: { path: string };
  /** The function's memory limit in bytes (0: none). */
  maxMemoryBytes: number;
}

/** How the child is started: the server's own executable either way. */
export interface HostCommand {
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its whole environment. */
  env: Record<string, string>;
}

function pathOf(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** Where the server's Deno keeps its caches, for the child to reuse. */
function denoDir(): string | undefined {
  try {
    const explicit = Deno.env.get("DENO_DIR");
    if (explicit) return explicit;
    const cache = Deno.env.get("XDG_CACHE_HOME") ??
      (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : undefined);
    return cache ? `${cache}/deno` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The command that starts an isolate process. From source: `deno run` with
 * read access to the Pyodide files, the snapshot and the worker script only
 * and `--max-old-space-size` set to the limit. A compiled binary runs
 * itself with `isolate-host` (it ignores V8 flags given at run time, so
 * only the resident memory watch caps it) and drops its permissions.
 * The environment is empty but for what Deno itself needs.
 */
export function hostCommand(options: HostCommandOptions): HostCommand {
  if (Deno.build.standalone) {
    return {
      command: Deno.execPath(),
      args: ["isolate-host", options.name],
      env: CHILD_ENV,
    };
  }
  const reads = [
    ...PYODIDE_READ_FILES.map((file) => options.indexPath + file),
    options.snapshot.path,
    pathOf(WORKER_MODULES),
  ];
  const mib = Math.ceil(options.maxMemoryBytes / 1048576);
  const dir = denoDir();
  return {
    command: Deno.execPath(),
    args: [
      "run",
      "--no-prompt",
      "--cached-only",
      `--config=${pathOf(CONFIG)}`,
      `--allow-read=${reads.join(",")}`,
      `--v8-flags=${
        [...(mib > 0 ? [`--max-old-space-size=${mib}`] : []), ...CHILD_V8_FLAGS]
          .join(",")
      }`,
      pathOf(RELAY),
      // Unused by the relay: names the function in `ps`.
      options.name,
    ],
    env: { ...CHILD_ENV, ...(dir ? { DENO_DIR: dir } : {}) },
  };
}
