/**
 * Spawning the sandbox worker with its permission set, shared by snapshot
 * building and the isolate.
 * @module
 */

/**
 * What FunctionIsolate needs from its worker: a Web Worker (worker
 * isolation) or a ProcessWorker relaying to one in a child process
 * (process isolation, _process_worker.ts).
 */
export interface IsolateWorker {
  /** The child's process id (process isolation only). */
  readonly pid?: number;
  /** Receives the worker's messages. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Sends a message; `transfer` may be ignored (a process copies anyway). */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** An uncaught error ended the worker (call preventDefault). */
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  /** A message from the worker could not be read. */
  addEventListener(
    type: "messageerror",
    listener: (event: MessageEvent) => void,
  ): void;
  /** Stops a listener added with addEventListener. */
  removeEventListener(
    type: "error",
    listener: (event: ErrorEvent) => void,
  ): void;
  /** Ends the worker at once. */
  terminate(): void;
}

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
