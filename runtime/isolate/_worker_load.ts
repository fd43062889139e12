/**
 * Loading Pyodide inside the worker: from the host's compiled module and
 * memory snapshot, with the memory cap and the runtime sources in place.
 * Part of the snapshot key (it runs while the snapshot is built).
 * @module
 */
import { loadPyodide, type PyodideAPI } from "pyodide";
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

/**
 * Makes Pyodide instantiate the module the host compiled instead of
 * compiling pyodide.asm.wasm again. Pyodide has no option for this, so the
 * global is swapped for the duration of loadPyodide only, and only for a
 * buffer of exactly the wasm file's size.
 */
function useCompiledWasm(
  module: WebAssembly.Module,
  byteLength: number,
): () => void {
  const original = WebAssembly.instantiate;
  const patched = (source: unknown, imports?: WebAssembly.Imports) => {
    if (ArrayBuffer.isView(source) && source.byteLength === byteLength) {
      return original(module, imports).then((instance) => ({
        instance,
        module,
      }));
    }
    return (original as (s: unknown, i?: unknown) => Promise<unknown>)(
      source,
      imports,
    );
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  return () => {
    WebAssembly.instantiate = original;
  };
}

// Captured when the worker starts, before operator code exists: the cap
// below must not depend on getters or methods operators can redefine.
const apply = Reflect.apply;
const memoryBuffer = Object.getOwnPropertyDescriptor(
  WebAssembly.Memory.prototype,
  "buffer",
)!.get!;
const bufferByteLength = Object.getOwnPropertyDescriptor(
  ArrayBuffer.prototype,
  "byteLength",
)!.get!;

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

/** Loads Pyodide, making a snapshot-ready interpreter or restoring one. */
export async function load(
  config: LoadConfig,
  snapshot: { make: true } | { bytes: Uint8Array },
  output: Output,
): Promise<PyodideAPI> {
  const restore = config.wasmModule
    ? useCompiledWasm(config.wasmModule, config.wasmByteLength)
    : undefined;
  try {
    const py = await loadPyodide({
      indexURL: config.indexPath,
      lockFileContents: config.lockFile,
      stdout: (text: string) => output.stdout(text),
      stderr: (text: string) => output.stderr(text),
      ...("make" in snapshot
        ? { _makeSnapshot: true }
        : { _loadSnapshot: snapshot.bytes }),
    });
    writeSources(py, config.sources);
    return py;
  } finally {
    restore?.();
  }
}

function writeSources(py: PyodideAPI, sources: SourceFile[]): void {
  for (const file of sources) {
    const path = `${RUNTIME_ROOT}/${file.path}`;
    py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    py.FS.writeFile(path, file.source);
  }
}
