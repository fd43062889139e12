/**
 * The options and results of {@link FunctionIsolate}.
 * @module
 */
import type {
  OutputRecord,
  PythonModule,
  StateBackend,
  StateMutation,
} from "../core/mod.ts";
import type { IsolationMode } from "../core/mod.ts";
import type { PyodideSnapshot } from "./snapshot.ts";

/** Options for `FunctionIsolate.start`. */
export interface IsolateOptions {
  /** Function name: scopes state reads and tags log lines. */
  functionName: string;
  /** The operator class to instantiate (a subclass of fs_api.FSProcessorDriver). */
  className: string;
  /**
   * Uploaded modules, dependencies first. The class is looked up in the
   * last module, then in the others (last first).
   */
  modules: PythonModule[];
  /** The task's init_config, passed to `init(ctx, config)` and `ctx.getConfig()`. */
  initConfig: Record<string, string>;
  /** Number of outputs: `ctx.emit(data, channel)` accepts channels 0..outputCount-1. */
  outputCount: number;
  /**
   * Where state reads that miss the isolate's cache go, scoped by
   * functionName. It must already reflect every mutation this isolate
   * handed out (apply them, or overlay them, before the next call).
   */
  state: StateBackend;
  /** The snapshot to start from (`PyodideSnapshot.prepare`). */
  snapshot: PyodideSnapshot;
  /** Receives every line the operator prints or logs, tagged `[functionName]`. */
  onLog?: (line: string, info: { stream: "stdout" | "stderr" }) => void;
  /**
   * Entries per page when the operator lists or scans state.
   * @default 500
   */
  pageSize?: number;
  /**
   * Clean entries each store keeps cached before dropping the oldest half.
   * @default 100000
   */
  maxCachedEntries?: number;
  /**
   * Largest WebAssembly memory of the isolate, in bytes; allocations past it
   * raise MemoryError in Python. 0 leaves Pyodide's own limit (4 GiB).
   * @default 0
   */
  maxMemoryBytes?: number;
  /**
   * Longest a hook call (not start) may run, in milliseconds; past it the
   * worker is terminated and the call rejects with USER_CODE. 0 disables.
   * @default 0
   */
  callTimeoutMs?: number;
  /**
   * Where the worker runs: a Web Worker in this process, or one in a child
   * process of its own ("process"), whose JavaScript heap and resident
   * memory are capped too (`maxMemoryBytes` each, see README.md), so that
   * an operator exhausting JavaScript memory ends only its process.
   * @default "worker"
   */
  isolation?: IsolationMode;
}

/** What a call produced: outputs in emit order and the state changes to commit. */
export interface BatchResult {
  /** Emitted records; a watermark is a record with an `fs-watermark` header and an empty value. */
  outputs: OutputRecord[];
  /** State changes, in the order to apply them. */
  mutations: StateMutation[];
}

/** What `FunctionIsolate.takeCheckpoint` returns. */
export interface CheckpointResult extends BatchResult {
  /** The bytes `take_checkpoint` returned, or null. */
  extra: Uint8Array | null;
}
