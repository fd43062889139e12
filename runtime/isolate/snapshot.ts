/**
 * The Pyodide memory snapshot every isolate starts from: Pyodide booted with
 * fs_api, fs_runtime and common standard modules already imported. Built once
 * in a sandboxed worker, cached on disk under a key that changes whenever
 * anything inside it could, and shared (not copied) with every worker.
 * @module
 */
import { version as pyodideVersion } from "pyodide";
import { FsError } from "../core/mod.ts";
import type {
  HostMessage,
  LoadConfig,
  SourceFile,
  WorkerMessage,
} from "./protocol.ts";
import { SNAPSHOT_FORMAT_VERSION } from "./protocol.ts";
import { type IsolateWorker, spawnWorker } from "./_worker.ts";
import { type WarmKind, WarmWorkers } from "./_warm_workers.ts";
import { ProcessWorker } from "./_process_worker.ts";
import {
  heapRuns,
  hex,
  pruneStaleSnapshots,
  readCached,
  sha256,
  writeCached,
} from "./_snapshot_file.ts";

/** Standard modules imported before the snapshot is taken, so operators start faster. */
export const DEFAULT_PRE_IMPORTS = [
  "json",
  "logging",
  "traceback",
  "importlib",
  "dataclasses",
  "datetime",
  "collections",
  "functools",
  "itertools",
  "math",
  "re",
  "struct",
  "time",
  "typing",
  "enum",
  "base64",
];

/** The scripts that run while a snapshot is built. */
const WORKER_SCRIPTS = ["worker_main.ts", "_worker_load.ts", "_wasm_watch.ts"];

/** Options for {@link PyodideSnapshot.prepare}. */
export interface PrepareSnapshotOptions {
  /** Directory of the snapshot file (created when missing). */
  cacheDir: string;
  /**
   * The pyodide package directory.
   * @default `<repo>/node_modules/pyodide/`
   */
  pyodideDir?: string;
  /**
   * The fs_api package sources.
   * @default `<repo>/python/fs_api/src/fs_api/`
   */
  fsApiDir?: string;
  /**
   * Standard modules to import before the snapshot is taken.
   * @default DEFAULT_PRE_IMPORTS
   */
  preImports?: string[];
}

function dirPath(url: URL | string): string {
  const path = url instanceof URL ? decodeURIComponent(url.pathname) : url;
  return path.endsWith("/") ? path : `${path}/`;
}

async function readPythonTree(root: string, prefix: string) {
  const files: SourceFile[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const entry of entries) {
      if (entry.isDirectory && entry.name !== "__pycache__") {
        await walk(`${dir}${entry.name}/`, `${rel}${entry.name}/`);
      } else if (entry.isFile && entry.name.endsWith(".py")) {
        const source = await Deno.readFile(`${dir}${entry.name}`);
        files.push({ path: `${rel}${entry.name}`, source });
      }
    }
  };
  try {
    await walk(root, prefix);
  } catch (error) {
    throw new FsError(
      "INTERNAL",
      `Cannot read the Python sources in ${root}: ${error}`,
      { cause: error },
    );
  }
  return files;
}

async function snapshotKey(
  sources: SourceFile[],
  preImports: string[],
  workerScripts: Uint8Array[],
): Promise<string> {
  const parts: Uint8Array[] = [...workerScripts];
  const encoder = new TextEncoder();
  parts.push(encoder.encode(
    JSON.stringify([pyodideVersion, SNAPSHOT_FORMAT_VERSION, preImports]),
  ));
  for (const file of sources) {
    parts.push(encoder.encode(`\n${file.path}\n${file.source.length}\n`));
    parts.push(file.source);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return hex(await sha256(all)).slice(0, 24);
}

function buildInWorker(
  load: LoadConfig,
  preImports: string[],
): Promise<Uint8Array> {
  const worker = spawnWorker(load.indexPath, "fs-snapshot-builder");
  return new Promise<Uint8Array>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === "built") resolve(message.snapshot);
      else if (message.type === "failed" || message.type === "fatal") {
        const text = message.type === "failed"
          ? message.error.text
          : message.message;
        reject(
          new FsError("INTERNAL", `Cannot build the Pyodide snapshot: ${text}`),
        );
      }
    };
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      reject(
        new FsError(
          "INTERNAL",
          `Cannot build the Pyodide snapshot: ${event.message}`,
        ),
      );
    });
    const message: HostMessage = { type: "build", id: 1, load, preImports };
    worker.postMessage(message);
  }).finally(() => worker.terminate());
}

interface Assets {
  indexPath: string;
  lockFile: string;
  wasmModule: WebAssembly.Module;
  wasmByteLength: number;
}

const assetsByDir = new Map<string, Promise<Assets>>();

function pyodideAssets(indexPath: string): Promise<Assets> {
  let assets = assetsByDir.get(indexPath);
  if (!assets) {
    assets = (async () => {
      try {
        const lockFile = await Deno.readTextFile(
          `${indexPath}pyodide-lock.json`,
        );
        const wasm = await Deno.readFile(`${indexPath}pyodide.asm.wasm`);
        const wasmModule = await WebAssembly.compile(wasm);
        return { indexPath, lockFile, wasmModule, wasmByteLength: wasm.length };
      } catch (error) {
        assetsByDir.delete(indexPath);
        throw new FsError(
          "INTERNAL",
          `Cannot load Pyodide from ${indexPath} (run \`deno install\` once): ${error}`,
          { cause: error },
        );
      }
    })();
    assetsByDir.set(indexPath, assets);
  }
  return assets;
}

const preparing = new Map<string, Promise<PyodideSnapshot>>();

/** Options for {@link PyodideSnapshot.keepWarm}. */
export interface KeepWarmOptions {
  /** Delay before a taken worker is replaced, in ms (default 250). */
  refillDelayMs?: number;
  /** Which workers to keep (default "worker"). */
  isolation?: "worker" | "process";
  /** The memory limit process workers are spawned for (default 0: none). */
  maxMemoryBytes?: number;
}

/**
 * A Pyodide memory snapshot with fs_api and fs_runtime loaded, ready to
 * start isolates from. Create it with {@link PyodideSnapshot.prepare}.
 */
export class PyodideSnapshot {
  /** Hash of Pyodide's version, the snapshot format and the Python sources inside. */
  readonly key: string;
  /** The cache file. */
  readonly path: string;
  /** True when the bytes were read from the cache file rather than built. */
  readonly fromCache: boolean;
  /** The snapshot, on a SharedArrayBuffer so that workers share one copy. */
  readonly bytes: Uint8Array;
  /** What a worker needs to load Pyodide (assets and runtime sources). */
  readonly load: LoadConfig;
  readonly #warm: WarmWorkers;

  private constructor(
    fields: Pick<
      PyodideSnapshot,
      "key" | "path" | "fromCache" | "bytes" | "load"
    >,
  ) {
    this.key = fields.key;
    this.path = fields.path;
    this.fromCache = fields.fromCache;
    this.bytes = fields.bytes;
    this.load = fields.load;
    this.#warm = new WarmWorkers(this.load, this.bytes);
  }

  /**
   * Keeps `count` workers loading or loaded from this snapshot ahead of
   * FunctionIsolate.start, which then skips spawning a worker and loading
   * Pyodide (about 150 of 200 ms in a worker, more in a process). They are
   * Web Workers in this process, or with `isolation: "process"` child
   * processes spawned for `maxMemoryBytes` (only a start with that limit
   * takes one). Each costs the memory of an idle isolate; a taken one is
   * replaced after `refillDelayMs` (default 250 ms, 3 s for a process, so that functions
   * created together do not compete with the refill). 0 terminates those
   * waiting: call it before the process should end, a waiting worker keeps
   * it alive.
   */
  keepWarm(count: number, options: KeepWarmOptions = {}): void {
    const kind: WarmKind = {
      isolation: options.isolation ?? "worker",
      maxMemoryBytes: options.maxMemoryBytes ?? 0,
    };
    const spawn = kind.isolation === "process"
      ? () =>
        ProcessWorker.spawn({
          name: "fs-isolate:warm",
          indexPath: this.load.indexPath,
          snapshot: { path: this.path, bytes: this.bytes.length },
          maxMemoryBytes: kind.maxMemoryBytes,
        })
      : () => spawnWorker(this.load.indexPath, "fs-isolate:warm");
    this.#warm.keep(count, {
      spawner: { kind, spawn },
      refillDelayMs: options.refillDelayMs,
    });
  }

  /** Workers waiting for a function (see {@link keepWarm}). */
  get warmWorkers(): number {
    return this.#warm.size;
  }

  /**
   * A worker of `kind` that has loaded (or is loading) Pyodide from this
   * snapshot, for FunctionIsolate.start; undefined when none waits.
   */
  takeWarmWorker(kind: WarmKind): IsolateWorker | undefined {
    return this.#warm.take(kind);
  }

  /**
   * Returns the snapshot for the current sources: read from
   * `<cacheDir>/pyodide-<key>.snapshot`, or built in a sandboxed worker and
   * written there (atomically) when the file is missing or damaged.
   *
   * @throws {FsError} INTERNAL when Pyodide or the sources cannot be read or the build fails.
   */
  static async prepare(
    options: PrepareSnapshotOptions,
  ): Promise<PyodideSnapshot> {
    const indexPath = dirPath(
      options.pyodideDir ??
        new URL("../../node_modules/pyodide/", import.meta.url),
    );
    const fsApiDir = dirPath(
      options.fsApiDir ??
        new URL("../../python/fs_api/src/fs_api/", import.meta.url),
    );
    const runtimeDir = dirPath(new URL("./fs_runtime/", import.meta.url));
    const preImports = options.preImports ?? DEFAULT_PRE_IMPORTS;
    const sources = [
      ...await readPythonTree(fsApiDir, "fs_api/"),
      ...await readPythonTree(runtimeDir, "fs_runtime/"),
    ];
    // The worker scripts build the snapshot, so their text is part of the key.
    const workerScripts = await Promise.all(
      WORKER_SCRIPTS.map((file) =>
        Deno.readFile(new URL(`./${file}`, import.meta.url))
      ),
    );
    const key = await snapshotKey(sources, preImports, workerScripts);
    const path = `${dirPath(options.cacheDir)}pyodide-${key}.snapshot`;
    let pending = preparing.get(path);
    if (!pending) {
      pending = PyodideSnapshot.#readOrBuild({
        path,
        key,
        cacheDir: options.cacheDir,
        indexPath,
        sources,
        preImports,
      });
      preparing.set(path, pending);
      // Only concurrent calls share a build; later calls read the file again.
      pending.then(
        () => preparing.delete(path),
        () => preparing.delete(path),
      );
    }
    return await pending;
  }

  static async #readOrBuild(args: {
    path: string;
    key: string;
    cacheDir: string;
    indexPath: string;
    sources: SourceFile[];
    preImports: string[];
  }): Promise<PyodideSnapshot> {
    const assets = await pyodideAssets(args.indexPath);
    const load: LoadConfig = { ...assets, sources: args.sources };
    let payload = await readCached(args.path);
    const fromCache = payload !== null;
    if (payload === null) {
      payload = await buildInWorker(load, args.preImports);
      await Deno.mkdir(args.cacheDir, { recursive: true });
      await writeCached(args.path, payload);
      await pruneStaleSnapshots(args.cacheDir, {
        keep: args.path.slice(args.path.lastIndexOf("/") + 1),
      }).catch(() => []);
    }
    const bytes = new Uint8Array(new SharedArrayBuffer(payload.length));
    bytes.set(payload);
    return new PyodideSnapshot({
      key: args.key,
      path: args.path,
      fromCache,
      bytes,
      load: { ...load, heapRuns: heapRuns(payload) },
    });
  }
}
