/**
 * What the control plane knows about a function, and the interface it drives.
 * @module
 */

import type { CheckpointInfo } from "./checkpoint_types.ts";

/** One uploaded Python module: a dotted module path and its source. */
export interface PythonModule {
  /** Dotted module path, e.g. "pkg.helpers". */
  name: string;
  /** UTF-8 source code. */
  source: Uint8Array;
}

/** Lifecycle status of a function, as clients see it (upper case). */
export type FunctionStatus =
  | "CREATED"
  | "STARTING"
  | "RUNNING"
  | "STOPPING"
  | "STOPPED"
  | "FAILED"
  /** Failed while running; waits out its backoff before it starts again. */
  | "RESTARTING";

/** One row of ShowFunctions. */
export interface FunctionInfo {
  /** Function name. */
  name: string;
  /** Task type, e.g. "python". */
  taskType: string;
  /** Current status. */
  status: FunctionStatus;
  /** The last error of the function, if any. */
  lastError?: string;
  /** Failures (hook exceptions, timeouts, heartbeats, connector errors) since the server started. */
  errorCount?: number;
  /** Restarts by the restart policy since the server started. */
  restartCount?: number;
}

/** What a CreatePythonFunction request carries. */
export interface CreatePythonFunctionInput {
  /** The operator class to instantiate. */
  className: string;
  /** Every uploaded module, dependencies before the modules that import them. */
  modules: PythonModule[];
  /** The task config YAML. */
  configYaml: string;
}

/**
 * The operations the gRPC control plane needs from the engine. Methods throw
 * FsError with BAD_REQUEST, NOT_FOUND, CONFLICT or INTERNAL codes.
 */
export interface FunctionControl {
  /** Registers a Python function and starts it. */
  createPythonFunction(input: CreatePythonFunctionInput): Promise<void>;
  /** Starts a function; starting a running one succeeds. */
  startFunction(name: string): Promise<void>;
  /** Stops a function; stopping a stopped one succeeds. */
  stopFunction(name: string): Promise<void>;
  /** Stops a function and removes it, its modules and its state. */
  dropFunction(name: string): Promise<void>;
  /** Lists functions whose name matches a glob pattern (all when absent). */
  listFunctions(pattern?: string): Promise<FunctionInfo[]>;
  /**
   * Takes a checkpoint of a running function now and resolves with its id
   * once it is complete.
   *
   * @throws {FsError} NOT_FOUND for an unknown function, CONFLICT when it is
   * not running, BAD_REQUEST when its checkpoints are disabled.
   */
  triggerCheckpoint(name: string): Promise<number>;
  /**
   * Lists a function's complete checkpoints, oldest first.
   *
   * @throws {FsError} NOT_FOUND for an unknown function.
   */
  listCheckpoints(name: string): Promise<CheckpointInfo[]>;
  /**
   * Rewinds a stopped function's state and input positions to one of its
   * checkpoints; its next start resumes from there.
   *
   * @throws {FsError} NOT_FOUND for an unknown function or checkpoint,
   * CONFLICT when the function is not stopped.
   */
  restoreCheckpoint(name: string, checkpointId: number): Promise<void>;
}
