/**
 * Spawning the sandbox worker with its permission set, shared by snapshot
 * building and the isolate.
 * @module
 */

/** The files of the Pyodide package a worker may read; nothing else. */
export const PYODIDE_READ_FILES = ["pyodide.asm.wasm", "python_stdlib.zip"];

/**
 * The worker's permissions: read access to the two Pyodide files it loads,
 * everything else denied (network, environment, subprocesses, writes, FFI,
 * system information, remote imports).
 */
export function workerPermissions(
  indexPath: string,
): Deno.PermissionOptionsObject {
  return {
    read: PYODIDE_READ_FILES.map((file) => indexPath + file),
    write: false,
    net: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/** Starts worker_main.ts in a new Worker with {@link workerPermissions}. */
export function spawnWorker(indexPath: string, name: string): Worker {
  const options = {
    type: "module",
    name,
    deno: { permissions: workerPermissions(indexPath) },
  };
  return new Worker(
    new URL("./worker_main.ts", import.meta.url),
    options as WorkerOptions,
  );
}
