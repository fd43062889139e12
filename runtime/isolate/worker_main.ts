/**
 * The script that runs inside each isolate's Worker: it loads Pyodide (from
 * the memory snapshot), runs the operator's hooks through fs_runtime, and asks
 * the host for everything else by message (see protocol.ts). It has no
 * network, environment, subprocess, write or FFI access; it may read only the
 * two Pyodide files it loads (runtime/isolate/README.md).
 * @module
 */
/// <reference lib="deno.worker" />
import type { PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";
import type {
  CallFailure,
  FunctionSetup,
  HookCall,
  HostMessage,
  LoadConfig,
  LogLine,
  PackedResult,
  StateLimits,
  StateReply,
  StateRequest,
  WorkerMessage,
} from "./protocol.ts";
import {
  limitMemory,
  load,
  refusedGrowths,
  RUNTIME_ROOT,
  takeCollector,
  zeroFreeMemory,
} from "./_worker_load.ts";
import { lockRealm } from "./_lockdown.ts";

/** Lines kept per flush; beyond this lines are counted as dropped. */
const MAX_BUFFERED_LINES = 10_000;
/** Longest kept line; longer ones are cut. */
const MAX_LINE_CHARS = 16_384;

type Method = PyProxy & { callPromising(...args: unknown[]): Promise<PyProxy> };

let pyodide: PyodideAPI | undefined;
/** Pyodide loaded by a `preload` message, for the `start` that follows. */
let preloaded: PyodideAPI | undefined;
let methods: Record<string, Method> | undefined;
let lines: LogLine[] = [];
let dropped = 0;
let nextStateId = 1;
const stateWaiters = new Map<number, (reply: StateReply) => void>();
let queue: Promise<void> = Promise.resolve();
/** Growths the memory cap had refused when the current message arrived. */
let refusalsBefore = 0;
/** How long the worker must be idle before the garbage of loading is collected. */
const IDLE_COLLECT_MS = 300;
/** Host messages received and not yet handled. */
let inFlight = 0;
/** Whether the garbage of loading is still to be collected. */
let collectPending = false;
let collectTimer: ReturnType<typeof setTimeout> | undefined;

/** Whether the memory cap refused a growth since the current message arrived. */
function memoryExceeded(): boolean {
  return refusedGrowths() > refusalsBefore;
}

// Captured before any operator code runs: operators can reach the worker's
// globals through `import js`, so what the runtime relies on is kept here.
const postToHost = self.postMessage.bind(self);
const closeWorker = self.close.bind(self);
const setTimer = setTimeout;
const clearTimer = clearTimeout;
const collect = takeCollector();

/**
 * Once the function has started and the worker has been idle for
 * IDLE_COLLECT_MS, collects the garbage of loading (once; a call arriving
 * meanwhile postpones it), so an idle function holds only what it uses.
 */
function collectWhenIdle(): void {
  if (!collectPending || inFlight > 0) return;
  clearTimer(collectTimer);
  collectTimer = setTimer(() => {
    if (!collectPending || inFlight > 0) return;
    collectPending = false;
    try {
      collect();
    } catch {
      // Only memory is at stake: V8's memory reducer gets there later.
    }
  }, IDLE_COLLECT_MS);
}

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  postToHost(message, transfer);
}

// A worker that closes itself sends the host nothing; make it say so first.
Object.defineProperty(self, "close", {
  value: () => {
    flushLines();
    post({ type: "fatal", message: "The operator closed its worker" });
    closeWorker();
  },
  writable: false,
  configurable: false,
});

function addLine(stream: LogLine["stream"], text: string): void {
  if (lines.length >= MAX_BUFFERED_LINES) {
    dropped++;
    return;
  }
  lines.push({
    stream,
    text: text.length > MAX_LINE_CHARS
      ? `${text.slice(0, MAX_LINE_CHARS)}... (cut)`
      : text,
  });
}

const output = {
  stdout: (text: string) => addLine("stdout", text),
  stderr: (text: string) => addLine("stderr", text),
};

function flushLines(): void {
  if (lines.length === 0 && dropped === 0) return;
  post({ type: "log", lines, dropped });
  lines = [];
  dropped = 0;
}

// Anything the operator throws asynchronously from JS (pyodide.code.run_js)
// must not take the worker down silently: report it, the host discards us.
self.addEventListener("error", (event) => {
  event.preventDefault();
  flushLines();
  post({
    type: "fatal",
    message: `Uncaught error: ${event.message}`,
    memory: memoryExceeded(),
  });
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  flushLines();
  post({
    type: "fatal",
    message: `Unhandled rejection: ${event.reason}`,
    memory: memoryExceeded(),
  });
});

function heapBytes(): number {
  const module = (pyodide as unknown as { _module?: { HEAP8?: Int8Array } })
    ?._module;
  return module?.HEAP8?.byteLength ?? 0;
}

function bytesOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/** Called by Python (fs_runtime._host) through run_sync: one state read. */
function requestState(
  op: StateRequest["op"],
  store: string,
  parts: Uint8Array[],
  start?: Uint8Array,
  end?: Uint8Array,
  after?: Uint8Array,
  limit = 0,
  withValues = false,
): Promise<StateReply> {
  const range = { start: bytesOf(start), end: bytesOf(end) };
  let request: StateRequest;
  if (op === "get") {
    request = {
      op,
      store,
      key: parts.length === 1 ? { kind: "simple", key: parts[0] } : {
        kind: "complex",
        keyGroup: parts[0],
        key: parts[1],
        namespace: parts[2],
        userKey: parts[3],
      },
    };
  } else if (op === "listSimple") {
    request = { op, store, range, after: bytesOf(after), limit, withValues };
  } else {
    const prefix = { keyGroup: parts[0], key: parts[1], namespace: parts[2] };
    request = {
      op,
      store,
      prefix,
      range,
      after: bytesOf(after),
      limit,
      withValues,
    };
  }
  const id = nextStateId++;
  flushLines();
  post({ type: "state", id, request });
  return new Promise((resolve) => stateWaiters.set(id, resolve));
}

function int32View(bytes: Uint8Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}

/** Turns Runner's reply tuple into a done/failed message and sends it. */
function answer(id: number, reply: PyProxy): void {
  const tuple = reply.toJs({ create_pyproxies: false }) as unknown[];
  reply.destroy();
  flushLines();
  if (tuple[0] !== undefined && tuple[0] !== null) {
    // A MemoryError the operator caught and replaced still ends here.
    const error: CallFailure = {
      kind: memoryExceeded() ? "memory" : tuple[0] as CallFailure["kind"],
      hook: String(tuple[1]),
      text: String(tuple[2]),
      fatal: false,
    };
    post({ type: "failed", id, error, heapBytes: heapBytes() });
    return;
  }
  const extra = tuple[6];
  const result: PackedResult = {
    outData: tuple[1] as Uint8Array<ArrayBuffer>,
    outLens: int32View(tuple[2] as Uint8Array<ArrayBuffer>),
    outChannels: int32View(tuple[3] as Uint8Array<ArrayBuffer>),
    mutations: tuple[4] as Uint8Array<ArrayBuffer>,
    stores: tuple[5] as string[],
    extra: extra instanceof Uint8Array || typeof extra === "boolean"
      ? extra as Uint8Array<ArrayBuffer> | boolean
      : null,
  };
  const transfer: ArrayBuffer[] = [
    result.outData.buffer,
    result.outLens.buffer,
    result.outChannels.buffer,
    result.mutations.buffer,
  ];
  if (result.extra instanceof Uint8Array) transfer.push(result.extra.buffer);
  post({ type: "done", id, result, heapBytes: heapBytes() }, [
    ...new Set(transfer),
  ]);
}

async function start(
  id: number,
  config: LoadConfig,
  snapshot: Uint8Array,
  setup: FunctionSetup,
): Promise<void> {
  if (setup.maxMemoryBytes > 0) limitMemory(setup.maxMemoryBytes);
  pyodide = preloaded ?? await load(config, { bytes: snapshot }, output);
  preloaded = undefined;
  const entry = pyodide.pyimport("fs_runtime._entry");
  const runner = entry.JsRunner(
    requestState,
    setup.stateLimits,
    setup.initConfig,
    setup.outputCount,
    setup.pageSize,
    setup.maxCachedEntries,
  ) as PyProxy;
  entry.destroy();
  // Nothing below runs operator code until the realm is locked.
  lockRealm(pyodide, output);
  methods = {};
  for (
    const name of [
      "start",
      "process",
      "process_watermark",
      "take_checkpoint",
      "restore_checkpoint",
      "check_heartbeat",
      "close",
      "custom",
    ]
  ) {
    methods[name] = (runner as unknown as Record<string, Method>)[name];
  }
  const reply = await methods.start.callPromising(
    setup.moduleNames,
    setup.moduleSources,
    setup.className,
  );
  answer(id, reply);
  collectPending = true;
}

function call(call: HookCall): Promise<PyProxy> {
  if (!methods) throw new Error("Cannot call a hook before start");
  switch (call.hook) {
    case "process":
      return methods.process.callPromising(call.data, call.ends, call.sources);
    case "processWatermark":
      return methods.process_watermark.callPromising(
        call.sourceId,
        call.watermark,
      );
    case "takeCheckpoint":
      return methods.take_checkpoint.callPromising(call.checkpointId);
    case "restoreCheckpoint":
      return methods.restore_checkpoint.callPromising(
        call.checkpointId,
        call.data,
      );
    case "checkHeartbeat":
      return methods.check_heartbeat.callPromising();
    case "close":
      return methods.close.callPromising();
    case "custom":
      return methods.custom.callPromising(call.payload);
  }
}

/**
 * Batches of made-up records a warm worker runs through the runtime while it
 * waits (about 0.3 s on baseline code).
 */
const WARM_UP_BATCHES = 20;

/**
 * Runs {@link WARM_UP_BATCHES} batches of 1000 made-up records through a
 * throwaway JsRunner exactly as `call` runs a function's (typed arrays in,
 * the reply converted out), with fs_runtime/_warm_up.py's MetricProcessor-
 * shaped operator and no state. V8 then has optimized the WebAssembly and
 * JavaScript of that path: a worker of the server process shares the
 * server's optimized module anyway, but a process of its own starts on
 * baseline code and ran its first batches 2-5x slower.
 */
async function warmUp(py: PyodideAPI): Promise<void> {
  const entry = py.pyimport("fs_runtime._entry");
  const warm = py.pyimport("fs_runtime._warm_up");
  const noState = (): Promise<StateReply> =>
    Promise.resolve({ ok: true, value: undefined });
  const runner = entry.JsRunner(noState, WARM_UP_LIMITS, {}, 1, 500, 1000);
  try {
    warm.install(runner);
    const records = Array.from(
      { length: 1000 },
      (_, i) => `{"value": ${1 + i % 5}, "name": "m${i % 7}"}`,
    );
    const data = new TextEncoder().encode(records.join(""));
    const ends = new Int32Array(records.length);
    let end = 0;
    for (const [i, record] of records.entries()) {
      end += record.length; // ASCII: one byte per character
      ends[i] = end;
    }
    const sources = new Int32Array(records.length);
    // A `start` that arrives meanwhile (inFlight counts it beside the
    // preload) ends the warm-up: a function never waits for made-up records.
    for (let i = 0; i < WARM_UP_BATCHES && inFlight <= 1; i++) {
      const reply: PyProxy = await runner.process.callPromising(
        data,
        ends,
        sources,
      );
      const tuple = reply.toJs({ create_pyproxies: false }) as unknown[];
      reply.destroy();
      if (tuple[0] !== undefined && tuple[0] !== null) {
        throw new Error(`Cannot warm up the runtime: ${tuple[2]}`);
      }
    }
  } finally {
    runner.destroy();
    warm.destroy();
    entry.destroy();
  }
}

/** Key and value limits of the warm-up's throwaway store. */
const WARM_UP_LIMITS: StateLimits = {
  maxKeyBytes: 2048,
  simpleBase: 1900,
  complexBase: 1800,
  maxValueBytes: 65536,
};

/**
 * Loads Pyodide before the function is known (a warm worker) and warms it
 * up. A failure is not reported here: the `start` then loads again and
 * reports its own.
 */
async function preload(config: LoadConfig, snapshot: Uint8Array) {
  try {
    preloaded = await load(config, { bytes: snapshot }, output);
    await warmUp(preloaded);
  } catch {
    preloaded = undefined;
  }
  // A warm worker waits idle too: it holds no garbage of loading meanwhile.
  collectPending = true;
}

async function build(
  id: number,
  config: LoadConfig,
  preImports: string[],
): Promise<void> {
  pyodide = await load(config, { make: true }, output);
  const imports = ["fs_api", "fs_api.state", "fs_api.testing", "fs_runtime"]
    .concat("fs_runtime._entry", preImports);
  pyodide.runPython(
    [
      "import sys",
      "sys.dont_write_bytecode = True",
      `sys.path.insert(0, ${JSON.stringify(RUNTIME_ROOT)})`,
      // The build's program path is no business of operators.
      "import os",
      "os.environ.pop('_', None)",
      ...imports.map((name) => `import ${name}`),
      "import gc",
      "gc.collect()",
    ].join("\n"),
  );
  zeroFreeMemory(pyodide);
  const snapshot = pyodide.makeMemorySnapshot();
  post({ type: "built", id, snapshot }, [snapshot.buffer as ArrayBuffer]);
}

async function handle(message: HostMessage): Promise<void> {
  const id = message.type === "stateReply" ? 0 : message.id;
  refusalsBefore = refusedGrowths();
  try {
    if (message.type === "build") {
      await build(id, message.load, message.preImports);
    } else if (message.type === "preload") {
      await preload(message.load, message.snapshot);
    } else if (message.type === "start") {
      await start(id, message.load, message.snapshot, message.setup);
    } else if (message.type === "call") {
      answer(id, await call(message.call));
    }
  } catch (error) {
    flushLines();
    const text = error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
    post({
      type: "failed",
      id,
      error: {
        kind: memoryExceeded() ? "memory" : "internal",
        hook: "runtime",
        text,
        fatal: true,
      },
      heapBytes: heapBytes(),
    });
  }
}

self.addEventListener("message", (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (message.type === "stateReply") {
    const waiter = stateWaiters.get(message.id);
    stateWaiters.delete(message.id);
    waiter?.(message.reply);
    return;
  }
  // One hook at a time, in arrival order, even if the host sends ahead.
  inFlight++;
  queue = queue.then(() => handle(message)).finally(() => {
    inFlight--;
    collectWhenIdle();
  });
});
