/**
 * Locks the worker's JavaScript realm once Pyodide and the runtime's own
 * Python are loaded, before any operator code runs. Operator code reaches
 * every JS object through `import js` (the worker's globalThis), through
 * `pyodide_js` and through the prototype chain of any JS value, so what
 * would let it run JS source, start threads or signal the process is
 * removed from the realm itself rather than hidden from Python.
 *
 * Pyodide looks up globals by name while it runs (setTimeout, Uint8Array,
 * WebAssembly.Module in `instanceof`, console), so those stay as safe
 * replacements; what it never needs after loading is deleted.
 * @module
 */
import type { PyodideAPI } from "pyodide";

/** Where the operator's console output goes (bounded, tagged lines). */
export interface ConsoleSink {
  /** One line for stdout (console.log, info, debug). */
  stdout(text: string): void;
  /** One line for stderr (console.warn, error, trace). */
  stderr(text: string): void;
}

/**
 * Globals deleted outright: capabilities (processes, signals, threads,
 * network, storage, host messaging, host information) that Pyodide does
 * not use once loaded. Most are also denied by the worker's permissions;
 * removing them closes what permissions do not cover (signalling the own
 * process, nested workers, data: imports, threads of the thread pool).
 */
export const REMOVED_GLOBALS: readonly string[] = [
  "Deno",
  "process",
  "require",
  "nodeBootstrap",
  "global",
  "Buffer",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "importScripts",
  "postMessage",
  "onmessage",
  "onerror",
  "onunhandledrejection",
  "fetch",
  "Request",
  "Response",
  "Headers",
  "FormData",
  "WebSocket",
  "WebSocketStream",
  "EventSource",
  "XMLHttpRequest",
  "navigator",
  "WorkerNavigator",
  "NavigatorUAData",
  "Navigator",
  "location",
  "WorkerLocation",
  "caches",
  "CacheStorage",
  "Cache",
  "Lock",
  "LockManager",
  "Crypto",
  "SubtleCrypto",
  "CryptoKey",
  "Blob",
  "File",
  "FileReader",
  "CompressionStream",
  "DecompressionStream",
  "OffscreenCanvas",
  "createImageBitmap",
  "ImageBitmap",
  "ImageBitmapRenderingContext",
  "ImageData",
];

/** WebAssembly entry points that compile or instantiate modules. */
const WASM_BLOCKED = [
  "compile",
  "compileStreaming",
  "instantiate",
  "instantiateStreaming",
  "validate",
] as const;

/** Largest function table (Pyodide starts with about 14,000 entries). */
const MAX_TABLE_ENTRIES = 1 << 20;

/**
 * The sections after the type section of the only module Pyodide compiles
 * once running: Emscripten's `convertJsFunctionToWasm` (ctypes callbacks,
 * dlsym), which imports one function as `e.f` and exports it as `f`.
 */
const TRAMPOLINE_TAIL = [
  2,
  7,
  1,
  1,
  101,
  1,
  102,
  0,
  0, // import section: e.f, function of type 0
  7,
  5,
  1,
  1,
  102,
  0,
  0, // export section: f = function 0
];

// Captured at module load, before any operator code exists, so that what
// the lockdown installs does not depend on prototypes operators can change.
const apply = Reflect.apply;
const defineProperty = Object.defineProperty;
const getPrototypeOf = Object.getPrototypeOf;
const freeze = Object.freeze;
const nativeSetTimeout = globalThis.setTimeout;
const nativeSetInterval = globalThis.setInterval;
const nativeCrypto = globalThis.crypto;
const getRandomValues = Crypto.prototype.getRandomValues;
const randomUUID = Crypto.prototype.randomUUID;
const nativeDispatchEvent = EventTarget.prototype.dispatchEvent;
const eventType = Object.getOwnPropertyDescriptor(Event.prototype, "type")!
  .get!;
const nativeString = String;
const construct = Reflect.construct;
const NativeUint8Array = Uint8Array;
const NativeModule = WebAssembly.Module;
const NativeInstance = WebAssembly.Instance;
const nativeTableGrow = WebAssembly.Table.prototype.grow;
const tableLength = Object.getOwnPropertyDescriptor(
  WebAssembly.Table.prototype,
  "length",
)!.get!;
const trampolines = new WeakSet<object>();
const weakSetHas = WeakSet.prototype.has;
const weakSetAdd = WeakSet.prototype.add;

/** The error every refused capability throws; Python sees a JsException. */
function refusal(what: string): TypeError {
  return new TypeError(
    `Cannot use ${what} in the Function Stream sandbox: it is disabled for operator code`,
  );
}

/** A frozen function that throws {@link refusal}; `prototype` kept for `instanceof`. */
function refusing(what: string, prototype?: object): () => never {
  const refuse = function () {
    throw refusal(what);
  };
  if (prototype !== undefined) {
    defineProperty(refuse, "prototype", { value: prototype });
  }
  return freeze(refuse) as () => never;
}

/** Sets a property for good: non-writable and non-configurable. */
function pin(target: object, key: PropertyKey, value: unknown): void {
  defineProperty(target, key, {
    value,
    writable: false,
    configurable: false,
    enumerable: false,
  });
}

/** Deletes `name` from globalThis and every prototype it inherits from. */
function removeGlobal(name: string): void {
  for (
    let holder: object | null = globalThis;
    holder !== null;
    holder = getPrototypeOf(holder)
  ) {
    if (!Object.hasOwn(holder, name)) continue;
    if (!Reflect.deleteProperty(holder, name)) {
      throw new Error(
        `Cannot lock the sandbox as global '${name}' cannot be deleted`,
      );
    }
  }
}

/**
 * Makes every Function-family constructor refuse to compile source text:
 * `eval`, `Function`, and the constructors reachable as `.constructor` from
 * any function, async function, generator or async generator.
 */
function closeStringToCode(): void {
  pin(globalThis, "eval", refusing("eval"));
  const prototypes = [
    Function.prototype,
    getPrototypeOf(async function () {}),
    getPrototypeOf(function* () {}),
    getPrototypeOf(async function* () {}),
  ];
  for (const prototype of prototypes) {
    pin(
      prototype,
      "constructor",
      refusing("the Function constructor", prototype),
    );
  }
  pin(globalThis, "Function", Function.prototype.constructor);
  // V8 hands stack frames (with their functions and receivers) to this hook.
  pin(Error, "prepareStackTrace", undefined);
}

/** Timers accept only functions: Deno evaluates a string callback as code. */
function checkedTimer(
  native: typeof setTimeout,
  name: string,
): typeof setTimeout {
  const timer = function (
    callback: unknown,
    delay?: number,
    ...args: unknown[]
  ) {
    if (typeof callback !== "function") {
      throw new TypeError(
        `Cannot call ${name} with a string in the Function Stream sandbox: pass a function (current type is ${typeof callback})`,
      );
    }
    return apply(native, globalThis, [callback, delay, ...args]);
  };
  return freeze(timer) as unknown as typeof setTimeout;
}

/** Whether `bytes` is a function trampoline module (see {@link TRAMPOLINE_TAIL}). */
export function isTrampolineModule(bytes: Uint8Array): boolean {
  const header = [0, 97, 115, 109, 1, 0, 0, 0];
  const tail = bytes.length - TRAMPOLINE_TAIL.length;
  if (tail < 11 || bytes[8] !== 1) return false;
  for (let i = 0; i < header.length; i++) {
    if (bytes[i] !== header[i]) return false;
  }
  // The type section's size (unsigned LEB128) must end exactly at the tail.
  let size = 0;
  let at = 9;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = bytes[at++];
    size += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (at + size !== tail) return false;
  for (let i = 0; i < TRAMPOLINE_TAIL.length; i++) {
    if (bytes[tail + i] !== TRAMPOLINE_TAIL[i]) return false;
  }
  return true;
}

/**
 * WebAssembly keeps what Pyodide uses once running: `Module` and `Instance`
 * for function trampolines only (a module that can hold no memory, table or
 * code of its own), `Global`, and the JSPI wrappers. Other modules, new
 * memories and tables are refused: a module could grow a memory past the
 * cap with the `memory.grow` instruction.
 */
function lockWebAssembly(): void {
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  const CheckedModule = function (source: unknown) {
    // A private copy: what is checked is what is compiled.
    const bytes = new NativeUint8Array(new NativeUint8Array(source as never));
    if (!isTrampolineModule(bytes)) throw refusal("WebAssembly.Module");
    const module = construct(NativeModule, [bytes]);
    apply(weakSetAdd, trampolines, [module]);
    return module;
  };
  const CheckedInstance = function (module: unknown, imports?: unknown) {
    if (!apply(weakSetHas, trampolines, [module])) {
      throw refusal("WebAssembly.Instance");
    }
    return construct(NativeInstance, [module, imports]);
  };
  const replacements: [string, { prototype: unknown }][] = [
    ["Module", CheckedModule],
    ["Instance", CheckedInstance],
    ["Memory", refusing("WebAssembly.Memory", WebAssembly.Memory.prototype)],
    ["Table", refusing("WebAssembly.Table", WebAssembly.Table.prototype)],
  ];
  for (const [name, replacement] of replacements) {
    const original = wasm[name] as { prototype: object };
    defineProperty(replacement, "prototype", { value: original.prototype });
    freeze(replacement);
    pin(original.prototype, "constructor", replacement);
    pin(wasm, name, replacement);
  }
  for (const name of WASM_BLOCKED) {
    pin(wasm, name, refusing(`WebAssembly.${name}`));
  }
  // Pyodide adds one table slot per function pointer it makes; a bigger
  // growth is operator code allocating host memory through the table.
  pin(
    WebAssembly.Table.prototype,
    "grow",
    freeze(function (this: WebAssembly.Table, ...args: unknown[]) {
      const entries = +(args[0] as number);
      if (!(apply(tableLength, this, []) + entries <= MAX_TABLE_ENTRIES)) {
        throw refusal(
          `a function table of more than ${MAX_TABLE_ENTRIES} entries`,
        );
      }
      // An explicit undefined is no "absent" initial value for a funcref table.
      const rest = args.length > 1 ? [args[1]] : [];
      return apply(nativeTableGrow, this, [entries, ...rest]);
    }),
  );
}

function consoleFor(sink: ConsoleSink): Console {
  const line = (args: unknown[]) => args.map((a) => nativeString(a)).join(" ");
  const out = (...args: unknown[]) => sink.stdout(line(args));
  const err = (...args: unknown[]) => sink.stderr(line(args));
  const ignore = () => {};
  return freeze({
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    trace: err,
    dir: out,
    table: out,
    assert: (ok: unknown, ...args: unknown[]) => {
      if (!ok) err("Assertion failed", ...args);
    },
    group: ignore,
    groupCollapsed: ignore,
    groupEnd: ignore,
    time: ignore,
    timeEnd: ignore,
    timeLog: ignore,
    count: ignore,
    countReset: ignore,
    clear: ignore,
  }) as unknown as Console;
}

/**
 * Locks the realm. Call once, after Pyodide and the runtime are loaded and
 * before any operator module is imported.
 *
 * @throws {Error} when a capability cannot be removed (the worker must not
 * run operator code then).
 */
export function lockRealm(pyodide: PyodideAPI, sink: ConsoleSink): void {
  // The snapshot lives on a SharedArrayBuffer every worker starts from:
  // writing it would reach every function started after.
  const config = (pyodide as unknown as { _api: { config: object } })._api
    .config;
  Reflect.deleteProperty(config, "_loadSnapshot");

  closeStringToCode();
  pin(globalThis, "setTimeout", checkedTimer(nativeSetTimeout, "setTimeout"));
  pin(
    globalThis,
    "setInterval",
    checkedTimer(nativeSetInterval as typeof setTimeout, "setInterval"),
  );
  lockWebAssembly();
  for (const name of REMOVED_GLOBALS) removeGlobal(name);
  // WebGPU classes: without navigator.gpu they give nothing, so go too.
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (name.startsWith("GPU")) removeGlobal(name);
  }

  // Randomness stays (os.urandom); crypto.subtle runs on the thread pool,
  // out of reach of the call deadline.
  pin(
    globalThis,
    "crypto",
    freeze({
      getRandomValues: <T extends ArrayBufferView | null>(array: T) =>
        apply(getRandomValues, nativeCrypto, [array]) as T,
      randomUUID: () => apply(randomUUID, nativeCrypto, []) as string,
    }),
  );
  // Operator console output goes through the bounded, tagged log lines,
  // never straight to the server's stdout.
  pin(globalThis, "console", consoleFor(sink));
  // No forged host messages for the runtime's own listener (Deno itself
  // dispatches error and rejection events on the global, so only message
  // events are refused).
  pin(
    EventTarget.prototype,
    "dispatchEvent",
    freeze(function (this: EventTarget, event: Event) {
      const type = apply(eventType, event, []);
      if (
        this === globalThis && (type === "message" || type === "messageerror")
      ) {
        throw refusal("dispatchEvent of message events on the worker");
      }
      return apply(nativeDispatchEvent, this, [event]) as boolean;
    }),
  );
}
