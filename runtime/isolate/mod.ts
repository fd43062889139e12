/**
 * The isolate: one sandboxed Worker running Pyodide per function, started
 * from a cached memory snapshot. See README.md for the sandbox and protocol.
 * @module
 */
export { FunctionIsolate } from "./isolate.ts";
export { MemoryLimitError } from "./_failures.ts";
export type {
  BatchResult,
  CheckpointResult,
  IsolateOptions,
} from "./options.ts";
export {
  DEFAULT_PRE_IMPORTS,
  type PrepareSnapshotOptions,
  PyodideSnapshot,
} from "./snapshot.ts";
export { WATERMARK_HEADER } from "./_packing.ts";
export { PYODIDE_READ_FILES, workerPermissions } from "./_worker.ts";
export { runIsolateHost } from "./process_host_main.ts";
