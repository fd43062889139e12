/**
 * Loading Pyodide inside the worker: from the host's compiled module and
 * memory snapshot, with the memory cap and the runtime sources in place.
 * Part of the snapshot key (it runs while the snapshot is built).
 * @module
 */
// First: it must see pyodide.mjs being evaluated.
import { JSV_ERROR_EXPORTS, pyodideMarkerModule } from "./_wasm_watch.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadPyodide, type PyodideAPI } from "pyodide";
import createPyodideModule from "pyodide/pyodide.asm.mjs";
import type { LoadConfig, SourceFile } from "./protocol.ts";

/** Where fs_api and fs_runtime live inside the sandbox (first on sys.path). */
export const RUNTIME_ROOT = "/fs_runtime_lib";

let memoryRefusals = 0;

/** How many memory growths the cap refused so far (to explain a MemoryError). */
export function refusedGrowths(): number {
  return memoryRefusals;
}

/** Where Pyodide's print output goes, line by line. */
export interface Output {
  /** Receives one line written to stdout. */
  stdout(text: string): void;
  /** Receives one line written to stderr. */
  stderr(text: string): void;
}

// Captured when the worker starts, before operator code exists: the cap
// below must not depend on getters or methods operators can redefine, and
// the loader instantiates with the native WebAssembly.
const apply = Reflect.apply;
const memoryBuffer = Object.getOwnPropertyDescriptor(
  WebAssembly.Memory.prototype,
  "buffer",
)!.get!;
const bufferByteLength = Object.getOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "byteLength",
)!.get!;
const instantiate = WebAssembly.instantiate;

/**
 * Caps the WebAssembly memory: Emscripten grows it through Memory.grow and
 * treats a throw as "out of memory", so Python raises MemoryError. Locked so
 * that operator code cannot put the original back.
 */
export function limitMemory(maxBytes: number): void {
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(WebAssembly.Memory.prototype, "grow", {
    value: function (this: WebAssembly.Memory, delta: number): number {
      // Converted once: a valueOf that answers differently twice gets no say.
      const pages = +delta;
      const size = apply(bufferByteLength, apply(memoryBuffer, this, []), []);
      if (!(size + pages * 65536 <= maxBytes)) {
        memoryRefusals++;
        throw new RangeError(`Memory limit of ${maxBytes} bytes reached`);
      }
      return apply(grow, this, [pages]);
    },
    writable: false,
    configurable: false,
  });
}

/**
 * Returns a function that runs a full garbage collection of this worker's
 * heap. Loading leaves about 8 MiB of garbage (Pyodide's read of the
 * stdlib zip among it) and a young generation grown to 11 MiB; an idle
 * worker allocates nothing, so V8 would collect them only when its
 * memory reducer runs, seconds to minutes later. Run once the worker has
 * been idle a little, one regular major GC also shrinks the young
 * generation (V8 does so when the allocation rate is low): as much as
 * the "last-resort" flavor, which repeats full GCs, in about half the time.
 *
 * V8 offers this only through `gc` (--expose-gc): taken from the worker's
 * global if the process was started with it (and deleted there, operators
 * have no use for it), else exposed now (a process-wide flag that reaches
 * new node:vm contexts only, never a worker's global) and taken from a
 * fresh context. Call it before the realm is locked.
 */
export function takeCollector(): () => void {
  const own = Reflect.get(globalThis, "gc");
  Reflect.deleteProperty(globalThis, "gc");
  return () => {
    let gc = own;
    if (typeof gc !== "function") {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc");
    }
    (gc as (options: object) => void)({ type: "major", execution: "sync" });
  };
}

/**
 * Makes Pyodide instantiate the module the host compiled instead of
 * compiling pyodide.asm.wasm again, when the error-marker module was not
 * seen (see _wasm_watch.ts): Pyodide's own hook then reads the wasm file and
 * calls WebAssembly.instantiate with its bytes, so the global is swapped for
 * the duration of loadPyodide only, and only for a buffer of exactly the
 * wasm file's size.
 */
function useCompiledWasm(
  module: WebAssembly.Module,
  byteLength: number,
): () => void {
  const patched = (source: unknown, imports?: WebAssembly.Imports) => {
    if (ArrayBuffer.isView(source) && source.byteLength === byteLength) {
      return apply(instantiate, WebAssembly, [module, imports]).then(
        (instance: WebAssembly.Instance) => ({ instance, module }),
      );
    }
    return apply(instantiate, WebAssembly, [source, imports]);
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  return () => {
    WebAssembly.instantiate = instantiate;
  };
}

/** The `env` imports Pyodide's marker module supplies (or its JS fallback). */
function markerImports(
  marker: WebAssembly.Module | null,
): Record<string, unknown> {
  if (marker) return new WebAssembly.Instance(marker).exports;
  const error = Symbol("error marker");
  return {
    [JSV_ERROR_EXPORTS[0]]: () => error,
    [JSV_ERROR_EXPORTS[1]]: (value: unknown) => value === error,
  };
}

/**
 * Emscripten's instantiateWasm hook, instantiating the host's compiled
 * module with the marker module's imports, which is what Pyodide's hook
 * does after reading pyodide.asm.wasm. It works once: it instantiates
 * with the native WebAssembly, and is deleted after loading.
 */
function instantiateOnce(
  module: WebAssembly.Module,
  marker: WebAssembly.Module | null,
  fail: (error: unknown) => void,
) {
  let used = false;
  return (
    imports: { env: Record<string, unknown> },
    done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => {
    if (used) throw new Error("Cannot instantiate Pyodide twice in a worker");
    used = true;
    Object.assign(imports.env, markerImports(marker));
    apply(instantiate, WebAssembly, [module, imports]).then(
      (instance: WebAssembly.Instance) => done(instance, module),
      fail,
    );
    return {};
  };
}

/** The parts of Pyodide's Emscripten module that loading touches. */
export interface EmscriptenModule {
  /** Pyodide's internal API. */
  API: { restoreSnapshot(bytes: Uint8Array): unknown };
  /** The WebAssembly memory. */
  HEAPU8: Uint8Array;
  /** Emscripten's instantiation hook (Pyodide's, which read the wasm file). */
  instantiateWasm?: unknown;
}

const PAGE = 4096;

/**
 * Zeroes the pages of `heap` in [from, to) that are not zero already.
 * Reading a page the process never wrote maps the kernel's zero page, so
 * untouched memory stays out of the resident set.
 */
function zeroPages(heap: Uint8Array, from: number, to: number): void {
  const words = new Int32Array(
    heap.buffer,
    heap.byteOffset + from,
    (to - from) >> 2,
  );
  for (let page = 0; page < words.length; page += PAGE >> 2) {
    const end = Math.min(page + (PAGE >> 2), words.length);
    for (let i = page; i < end; i++) {
      if (words[i] !== 0) {
        words.fill(0, page, end);
        break;
      }
    }
  }
}

/**
 * Pyodide's restoreSnapshot copies the whole heap image into the fresh
 * memory, which makes every page resident, though half of them are zero.
 * This one lets Pyodide check the header and read its table of JS values,
 * then copies only the nonzero runs (`heapRuns`, computed by the host) and
 * zeroes what instantiation wrote where the image is zero: the memory
 * equals the image as before, and its zero pages stay untouched.
 */
export function restoreSparse(
  module: EmscriptenModule,
  heapRuns: Int32Array,
): (bytes: Uint8Array) => unknown {
  const original = module.API.restoreSnapshot;
  return (bytes: Uint8Array) => {
    const heapStart = new Uint32Array(bytes.buffer, bytes.byteOffset, 4)[1];
    const result = original(bytes.subarray(0, heapStart));
    const image = bytes.subarray(heapStart);
    const heap = module.HEAPU8;
    const covered = heapRuns.length ? heapRuns[heapRuns.length - 1] : 0;
    if (
      image.length > heap.length || image.length % PAGE !== 0 ||
      covered > image.length
    ) {
      throw new RangeError(
        `Cannot restore a snapshot heap of ${image.length} bytes (nonzero up to ${covered}) into a memory of ${heap.length} bytes`,
      );
    }
    let done = 0;
    for (let i = 0; i < heapRuns.length; i += 2) {
      zeroPages(heap, done, heapRuns[i]);
      heap.set(image.subarray(heapRuns[i], heapRuns[i + 1]), heapRuns[i]);
      done = heapRuns[i + 1];
    }
    zeroPages(heap, done, image.length);
    return result;
  };
}

/** What zeroFreeMemory needs of Emscripten's exports. */
interface Allocator {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _sbrk(increment: number): number;
  HEAPU8: Uint8Array;
}

/**
 * Zeroes the free memory of the C heap (freed chunks keep their old bytes)
 * before a snapshot is taken, so that more of its pages are zero and never
 * become resident in a worker (about 1.6 of 14.5 MiB). It takes every free
 * block it can get below the current break, from 1 MiB down to one page,
 * zeroes and frees them: only the allocator's bookkeeping changes. A block
 * that must be carved past the break is given back at once, and none is
 * asked for near the end of the memory: it must not grow (a snapshot larger
 * than Pyodide's initial memory cannot be restored).
 *
 * @returns the number of bytes zeroed.
 */
export function zeroFreeMemory(py: PyodideAPI): number {
  const heap = (py as unknown as { _module: Allocator })._module;
  const end = heap._sbrk(0);
  const taken: number[] = [];
  let zeroed = 0;
  for (let size = 1 << 20; size >= PAGE; size >>= 1) {
    while (heap._sbrk(0) + 2 * size < heap.HEAPU8.length) {
      const block = heap._malloc(size);
      if (block === 0) break;
      taken.push(block);
      if (block + size > end) break;
      heap.HEAPU8.fill(0, block, block + size);
      zeroed += size;
    }
  }
  for (const block of taken) heap._free(block);
  return zeroed;
}

/** Loads Pyodide, making a snapshot-ready interpreter or restoring one. */
export async function load(
  config: LoadConfig,
  snapshot: { make: true } | { bytes: Uint8Array },
  output: Output,
): Promise<PyodideAPI> {
  const wasmModule = config.wasmModule;
  // Awaited first: pyodide.mjs has then instantiated its marker module.
  const marker = wasmModule ? await pyodideMarkerModule() : undefined;
  let failed: (error: unknown) => void = () => {};
  const instantiationFailed = new Promise<never>((_, reject) => {
    failed = reject;
  });
  let module: EmscriptenModule | undefined;
  let restoreSnapshot: EmscriptenModule["API"]["restoreSnapshot"] | undefined;
  // The factory stays reachable from Pyodide's config for the worker's
  // life: it must not capture the snapshot's bytes (a process isolate's
  // are its own 30 MiB, not the server's shared ones).
  const sparse = "bytes" in snapshot ? config.heapRuns : undefined;
  const factory = async (settings: Record<string, unknown>) => {
    if (wasmModule && marker !== undefined) {
      settings.instantiateWasm = instantiateOnce(wasmModule, marker, failed);
    }
    module = await (createPyodideModule as (
      settings: unknown,
    ) => Promise<EmscriptenModule>)(settings);
    if (sparse) {
      restoreSnapshot = module.API.restoreSnapshot;
      module.API.restoreSnapshot = restoreSparse(module, sparse);
    }
    return module;
  };
  const global = globalThis as Record<string, unknown>;
  let restore: (() => void) | undefined;
  if (wasmModule && marker !== undefined) {
    // Pyodide builds no hook of its own (so reads no pyodide.asm.wasm)
    // when this global exists; nothing else in Pyodide looks at it.
    global.WasmOffsetConverter = Object.freeze({});
  } else if (wasmModule) {
    restore = useCompiledWasm(wasmModule, config.wasmByteLength);
  }
  try {
    const py = await Promise.race([
      loadPyodide({
        indexURL: config.indexPath,
        lockFileContents: config.lockFile,
        stdout: (text: string) => output.stdout(text),
        stderr: (text: string) => output.stderr(text),
        createPyodideModule: factory as never,
        ...("make" in snapshot
          ? { _makeSnapshot: true }
          : { _loadSnapshot: snapshot.bytes }),
      }),
      instantiationFailed,
    ]);
    writeSources(py, config.sources);
    return py;
  } finally {
    delete global.WasmOffsetConverter;
    restore?.();
    if (module) {
      if (restoreSnapshot) module.API.restoreSnapshot = restoreSnapshot;
      // Never called again; Pyodide's own would hold the bytes it read.
      delete module.instantiateWasm;
    }
  }
}

function writeSources(py: PyodideAPI, sources: SourceFile[]): void {
  for (const file of sources) {
    const path = `${RUNTIME_ROOT}/${file.path}`;
    py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    py.FS.writeFile(path, file.source);
  }
}
