/**
 * Every message between the host ({@link FunctionIsolate}) and the worker
 * (worker_main.ts). Requests carry an id; the worker answers each with
 * exactly one `done` or `failed` message of the same id. While a hook runs,
 * the worker may ask the host for state (`state`, answered by `stateReply`)
 * and send log lines (`log`). Records and results travel packed into a few
 * typed arrays whose buffers are transferred, never one message per record.
 * @module
 */
import type {
  ComplexPrefix,
  ErrorCode,
  KeyRange,
  StateKey,
} from "../core/mod.ts";

/**
 * Version of what the worker does while building a snapshot; part of the
 * snapshot key, so bump it whenever that changes.
 */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** A Python source file written into the sandbox, by path under its root. */
export interface SourceFile {
  /** Path relative to the root, e.g. "fs_api/store.py". */
  path: string;
  /** File content (UTF-8). */
  source: Uint8Array;
}

/** What a worker needs to load Pyodide. */
export interface LoadConfig {
  /** The pyodide package directory (absolute path, ends with "/"). */
  indexPath: string;
  /** The lock file's JSON text (read by the host, so the worker needs no read access to it). */
  lockFile: string;
  /** pyodide.asm.wasm compiled once by the host, when available. */
  wasmModule?: WebAssembly.Module;
  /** Byte length of pyodide.asm.wasm (identifies it when the compiled module is used). */
  wasmByteLength: number;
  /**
   * The snapshot's nonzero heap pages as [start, end) byte pairs; the worker
   * copies only these and leaves the zero pages untouched (not resident).
   */
  heapRuns?: Int32Array;
  /** fs_api and fs_runtime sources, written under the runtime's sys.path root. */
  sources: SourceFile[];
}

/**
 * The state backend's size limits for one function (runtime/state), so that
 * the sandbox refuses an oversized write at the call rather than at commit.
 */
export interface StateLimits {
  /** Largest encoded Deno KV key (`MAX_KEY_BYTES`). */
  maxKeyBytes: number;
  /** `userKeyBudget(fn, "", "simple")`: a store's name is subtracted in Python. */
  simpleBase: number;
  /** `userKeyBudget(fn, "", "complex")`. */
  complexBase: number;
  /** Largest value in bytes (`MAX_VALUE_BYTES`). */
  maxValueBytes: number;
}

/** What the worker needs to run one function. */
export interface FunctionSetup {
  /** Function name (log tags only; the host scopes state). */
  functionName: string;
  /** The operator class to instantiate. */
  className: string;
  /** Uploaded module names, dependencies first. */
  moduleNames: string[];
  /** Sources of the uploaded modules, in the same order. */
  moduleSources: Uint8Array[];
  /** The task's init_config. */
  initConfig: Record<string, string>;
  /** Number of outputs (valid emit channels are 0..outputCount-1). */
  outputCount: number;
  /** Entries per page when listing or scanning state. */
  pageSize: number;
  /** Clean cache entries kept per store before the oldest are dropped. */
  maxCachedEntries: number;
  /** Largest WebAssembly memory in bytes (0: Pyodide's own limit). */
  maxMemoryBytes: number;
  /** The state limits of this function. */
  stateLimits: StateLimits;
}

/** One hook call. */
export type HookCall =
  | {
    hook: "process";
    /** Record values back to back. */
    data: Uint8Array<ArrayBuffer>;
    /** End offset of each record's value in `data`. */
    ends: Int32Array<ArrayBuffer>;
    /** Source id of each record. */
    sources: Int32Array<ArrayBuffer>;
  }
  | { hook: "processWatermark"; sourceId: number; watermark: number }
  | { hook: "takeCheckpoint"; checkpointId: number }
  | { hook: "restoreCheckpoint"; checkpointId: number; data: Uint8Array }
  | { hook: "checkHeartbeat" }
  | { hook: "close" }
  | { hook: "custom"; payload: Uint8Array };

/** The answer to a state request. */
export type StateReply =
  | { ok: true; value: Uint8Array | undefined }
  | {
    ok: true;
    /** Keys (and values, when asked) back to back. */
    data: Uint8Array<ArrayBuffer>;
    /** Length of each item in `data`. */
    lens: Int32Array<ArrayBuffer>;
  }
  | { ok: false; code: ErrorCode; message: string };

/** Messages from the host to the worker. */
export type HostMessage =
  | {
    type: "build";
    id: number;
    load: LoadConfig;
    /** Standard modules imported before the snapshot is taken. */
    preImports: string[];
  }
  | {
    /**
     * Loads Pyodide ahead of the `start` that will follow (a warm worker,
     * PyodideSnapshot.keepWarm). No answer: the `start` reports.
     */
    type: "preload";
    id: number;
    load: LoadConfig;
    /** The memory snapshot (a view on a SharedArrayBuffer). */
    snapshot: Uint8Array;
  }
  | {
    type: "start";
    id: number;
    load: LoadConfig;
    /** The memory snapshot (a view on a SharedArrayBuffer). */
    snapshot: Uint8Array;
    setup: FunctionSetup;
  }
  | { type: "call"; id: number; call: HookCall }
  | { type: "stateReply"; id: number; reply: StateReply };

/** A state read the worker asks the host for. */
export type StateRequest =
  | { op: "get"; store: string; key: StateKey }
  | {
    op: "listSimple";
    store: string;
    range: KeyRange;
    after?: Uint8Array;
    limit: number;
    withValues: boolean;
  }
  | {
    op: "listComplex";
    store: string;
    prefix: ComplexPrefix;
    range: KeyRange;
    after?: Uint8Array;
    limit: number;
    withValues: boolean;
  };

/** What a successful call returns, packed (see fs_runtime/_codec.py). */
export interface PackedResult {
  /** Emitted values back to back. */
  outData: Uint8Array<ArrayBuffer>;
  /** Length of each emitted value. */
  outLens: Int32Array<ArrayBuffer>;
  /** Channel of each emitted value; `-1 - channel` marks a watermark. */
  outChannels: Int32Array<ArrayBuffer>;
  /** Packed state mutations. */
  mutations: Uint8Array<ArrayBuffer>;
  /** Store names indexed by the mutations. */
  stores: string[];
  /** Hook-specific result: checkpoint bytes, custom reply, heartbeat flag. */
  extra: Uint8Array<ArrayBuffer> | boolean | null;
}

/** Why a call failed. */
export interface CallFailure {
  /**
   * user: the operator raised; state: a state read failed; module: the
   * upload cannot run; internal: the runtime failed; memory: the call failed
   * after the memory cap refused to grow the heap.
   */
  kind: "user" | "state" | "module" | "internal" | "memory";
  /** The hook that failed ("import", "init", "process", ...). */
  hook: string;
  /** Python traceback or message. */
  text: string;
  /** True when the interpreter is unusable and the worker must be discarded. */
  fatal: boolean;
}

/** One line of operator output. */
export interface LogLine {
  /** Which stream the line was written to (logging goes to stderr). */
  stream: "stdout" | "stderr";
  /** The line, without its newline. */
  text: string;
}

/** Messages from the worker to the host. */
export type WorkerMessage =
  | { type: "built"; id: number; snapshot: Uint8Array }
  | { type: "done"; id: number; result: PackedResult; heapBytes: number }
  | { type: "failed"; id: number; error: CallFailure; heapBytes: number }
  | { type: "state"; id: number; request: StateRequest }
  | { type: "log"; lines: LogLine[]; dropped: number }
  | {
    type: "fatal";
    message: string;
    /** True when the memory cap refused a growth during the failing call. */
    memory?: boolean;
  };
