/**
 * Assembles what a function's runner is built from, in start order: its
 * outputs, the result committer (which recovers the last checkpoint when
 * checkpoints are on), the isolate (import, init, `restore_checkpoint`) and
 * the inputs at the recovered positions. What was opened is released again
 * when a step fails.
 * @module
 */
import type {
  IsolationMode,
  Logger,
  PythonModule,
  SourcePosition,
  TaskConfig,
} from "../core/mod.ts";
import type { SinkWriter } from "../connectors/mod.ts";
import { FunctionIsolate, type PyodideSnapshot } from "../isolate/mod.ts";
import type { FunctionMetrics } from "../metrics/mod.ts";
import { operatorLog } from "./operator_log.ts";
import {
  type CheckpointedState,
  openResultCommitter,
  type ResultCommitter,
  writesThroughSinks,
} from "./result_committer.ts";
import {
  closeAll,
  openInputs,
  openSinks,
  type RunnerInput,
} from "./runner_io.ts";

/** What {@link openRunnerParts} needs to start a function's parts. */
export interface RunnerPartsOptions {
  /** The function's resolved task config. */
  config: TaskConfig;
  /** The operator class to instantiate. */
  className: string;
  /** The uploaded modules. */
  modules: PythonModule[];
  /** Where state, input positions and checkpoints live. */
  state: CheckpointedState;
  /** The Pyodide snapshot workers start from. */
  snapshot: PyodideSnapshot;
  /** The server log. */
  logger: Logger;
  /**
   * Receives per-batch counts and latency.
   * @default noMetrics
   */
  metrics?: FunctionMetrics;
  /**
   * Largest WebAssembly memory of the function's isolate, in bytes; the
   * engine resolves `memory_limit_mb` or the server default into it.
   * @default 0 (Pyodide's own 4 GiB)
   */
  maxMemoryBytes?: number;
  /**
   * Where the function's isolate runs (the server's `--isolation`).
   * @default "worker"
   */
  isolation?: IsolationMode;
}

/** The started parts a runner is built from; the runner releases them. */
export interface RunnerParts {
  /** The isolate, restored from the last checkpoint when there is one. */
  isolate: FunctionIsolate;
  /** The inputs, started at {@link RunnerParts.positions}. */
  inputs: RunnerInput[];
  /** The outputs (empty when the committer writes them itself). */
  sinks: SinkWriter[];
  /** Commits what each call produced (and takes checkpoints when on). */
  committer: ResultCommitter;
  /** The stored input positions the inputs resume from. */
  positions: SourcePosition[];
}

/**
 * Starts the outputs, recovers the last checkpoint (if checkpoints are
 * on), starts the isolate (import, init, `restore_checkpoint`) and the
 * inputs at the recovered positions. Anything started is released again
 * when a step fails, and that step's error is rethrown.
 */
export async function openRunnerParts(
  options: RunnerPartsOptions,
): Promise<RunnerParts> {
  const { config } = options;
  // Client library lines go through the server log (and its format).
  const kafkaLog = (level: "error" | "warn", message: string) =>
    options.logger.log(level, message, {
      function: config.name,
      component: "kafka",
    });
  const opened: { close(): Promise<void> }[] = [];
  let isolate: FunctionIsolate | null = null;
  try {
    const sinks = writesThroughSinks(config)
      ? await openSinks(config, { logger: kafkaLog })
      : [];
    opened.push(...sinks);
    const { committer, latest } = await openResultCommitter({
      config,
      store: options.state,
      sinks,
      logger: options.logger,
      kafkaLog,
      metrics: options.metrics,
    });
    opened.push(committer);
    const positions = await options.state.positions(config.name);
    isolate = await FunctionIsolate.start({
      functionName: config.name,
      className: options.className,
      modules: options.modules,
      initConfig: config.initConfig,
      outputCount: config.outputs.length,
      state: committer.state,
      snapshot: options.snapshot,
      callTimeoutMs: config.supervision.callTimeoutMs,
      maxMemoryBytes: options.maxMemoryBytes,
      isolation: options.isolation,
      onLog: operatorLog(options.logger, config.name),
    });
    if (latest !== null) {
      await isolate.restoreCheckpoint(
        latest.info.id,
        latest.operatorData ?? new Uint8Array(0),
      );
    }
    const inputs = await openInputs(config, { positions, logger: kafkaLog });
    return { isolate, inputs, sinks, committer, positions };
  } catch (error) {
    isolate?.terminate();
    await closeAll(opened);
    throw error;
  }
}
