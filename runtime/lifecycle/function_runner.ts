/**
 * Runs one started function: reads its inputs, hands records and watermarks
 * to its isolate in stream order, writes what it emits, commits state with
 * input positions, and checks its heartbeat between batches. Any failure
 * stops the runner and is reported once through `onFailure`.
 * @module
 */
import {
  type InputRecord,
  type Logger,
  messageOf,
  type PythonModule,
  type SourcePosition,
  type StateBackend,
  type StateMutation,
  type TaskConfig,
} from "../core/mod.ts";
import type { SinkWriter } from "../connectors/mod.ts";
import {
  type BatchResult,
  FunctionIsolate,
  type PyodideSnapshot,
} from "../isolate/mod.ts";
import {
  type FunctionMetrics,
  type LagSample,
  noMetrics,
} from "../metrics/mod.ts";
import { BatchPlanner, type BatchStep } from "./batch_steps.ts";
import { checkHeartbeat, HeartbeatSchedule } from "./heartbeat.ts";
import { operatorLog } from "./operator_log.ts";
import {
  closeAll,
  openConnectors,
  type RunnerInput,
  sendByChannel,
} from "./runner_io.ts";
import { WatermarkTracker } from "./watermarks.ts";

/** What a runner needs to start. */
export interface RunnerOptions {
  /** The function's resolved task config. */
  config: TaskConfig;
  /** The operator class to instantiate. */
  className: string;
  /** The uploaded modules. */
  modules: PythonModule[];
  /** Where state and input positions live. */
  state: StateBackend;
  /** The Pyodide snapshot workers start from. */
  snapshot: PyodideSnapshot;
  /** The server log. */
  logger: Logger;
  /**
   * Receives per-batch counts and latency.
   * @default noMetrics
   */
  metrics?: FunctionMetrics;
  /** Called once when the running function fails; the runner has stopped itself by then. */
  onFailure: (error: unknown) => void;
  /**
   * Most records handed to the isolate in one batch.
   * @default 1000
   */
  maxBatchRecords?: number;
  /**
   * How long one poll waits for records, in milliseconds.
   * @default 50
   */
  pollWaitMs?: number;
}

/** Least time between two commits of group offsets, in milliseconds. */
const GROUP_COMMIT_INTERVAL_MS = 1000;

function positionKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** A running function. Create with {@link FunctionRunner.start}. */
export class FunctionRunner {
  readonly #options: RunnerOptions;
  readonly #isolate: FunctionIsolate;
  readonly #inputs: RunnerInput[];
  readonly #sinks: SinkWriter[];
  readonly #positions: Map<string, SourcePosition>;
  readonly #tracker: WatermarkTracker;
  readonly #planner: BatchPlanner;
  readonly #heartbeat: HeartbeatSchedule;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #closed = false;
  #groupCommittedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    options: RunnerOptions,
    parts: {
      isolate: FunctionIsolate;
      inputs: RunnerInput[];
      sinks: SinkWriter[];
      positions: SourcePosition[];
    },
  ) {
    const { watermarks, supervision, inputGroups } = options.config;
    this.#options = options;
    this.#isolate = parts.isolate;
    this.#inputs = parts.inputs;
    this.#sinks = parts.sinks;
    this.#positions = new Map(
      parts.positions.map((p) => [positionKey(p.topic, p.partition), p]),
    );
    this.#tracker = new WatermarkTracker(watermarks);
    this.#planner = new BatchPlanner(this.#tracker, {
      groupCount: inputGroups.length,
      intervalMs: watermarks.intervalMs,
    });
    this.#heartbeat = new HeartbeatSchedule(
      supervision.heartbeatIntervalMs,
      Date.now(),
    );
  }

  /**
   * Starts the isolate (import, init), the outputs and the inputs, then the
   * processing loop. Anything started is released again when a step fails.
   */
  static async start(options: RunnerOptions): Promise<FunctionRunner> {
    const { config } = options;
    const isolate = await FunctionIsolate.start({
      functionName: config.name,
      className: options.className,
      modules: options.modules,
      initConfig: config.initConfig,
      outputCount: config.outputs.length,
      state: options.state,
      snapshot: options.snapshot,
      callTimeoutMs: config.supervision.callTimeoutMs,
      onLog: operatorLog(options.logger, config.name),
    });
    try {
      const positions = await options.state.positions(config.name);
      // Client library lines go through the server log (and its format).
      const logger = (level: "error" | "warn", message: string) =>
        options.logger.log(level, message, {
          function: config.name,
          component: "kafka",
        });
      const connectors = await openConnectors(config, { positions, logger });
      const runner = new FunctionRunner(options, {
        isolate,
        ...connectors,
        positions,
      });
      runner.#loop = runner.#run();
      return runner;
    } catch (error) {
      isolate.terminate();
      throw error;
    }
  }

  /** Stops the loop after the batch in flight, calls `close(ctx)` and releases everything. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#loop;
    try {
      // What close(ctx) emits or writes is kept like any batch's results.
      await this.#commit(await this.#isolate.close(), []);
    } catch (error) {
      this.#options.logger.log(
        "warn",
        `close() of the operator failed: ${messageOf(error)}`,
        { function: this.#options.config.name },
      );
    }
    await this.#release();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        const records = await this.#poll(signal);
        await this.#processBatch(records);
        await this.#heartbeatIfDue();
      }
    } catch (error) {
      if (this.#closed) return;
      this.#closed = true;
      this.#isolate.terminate();
      await this.#release();
      this.#options.onFailure(error);
    }
  }

  async #poll(signal: AbortSignal): Promise<InputRecord[]> {
    const maxRecords = this.#options.maxBatchRecords ?? 1000;
    const perSource = Math.max(
      1,
      Math.floor(maxRecords / this.#inputs.length),
    );
    const batches = await Promise.all(
      this.#inputs.map(({ source }) =>
        source.poll({
          maxRecords: perSource,
          maxWaitMs: this.#options.pollWaitMs ?? 50,
          signal,
        })
      ),
    );
    return batches.flat();
  }

  /** Records between the committed position and the last fetched end, per input partition. */
  consumerLag(): LagSample[] {
    return this.#inputs.flatMap(({ source }) =>
      (source.highWatermarks?.() ?? []).flatMap((end) => {
        const at = this.#positions.get(positionKey(end.topic, end.partition));
        if (at === undefined) return [];
        const lag = end.highWatermark - at.nextOffset;
        return [{
          topic: end.topic,
          partition: end.partition,
          lag: Number(lag > 0n ? lag : 0n),
        }];
      })
    );
  }

  /** Runs the steps of one batch (possibly empty: idle inputs still move event time). */
  async #processBatch(records: InputRecord[]): Promise<void> {
    const now = Date.now();
    for (const { source, sourceId, topic } of this.#inputs) {
      const partitions = source.assignedPartitions?.();
      if (partitions) {
        this.#tracker.assign({ sourceId, topic, partitions }, now);
      }
    }
    const started = performance.now();
    let recordsOut = 0;
    const mutations: StateMutation[] = [];
    for (const step of this.#planner.plan(records, now)) {
      const result = await this.#call(step);
      await this.#commit(result, step.read);
      recordsOut += result.outputs.length;
      mutations.push(...result.mutations);
    }
    if (records.length === 0 && recordsOut === 0) return;
    (this.#options.metrics ?? noMetrics).batchProcessed(
      this.#options.config.name,
      {
        recordsIn: records.length,
        recordsOut,
        seconds: (performance.now() - started) / 1000,
        mutations,
      },
    );
    if (records.length === 0) return;
    // The group offsets are for lag tooling only: resumption uses the
    // positions committed with state, so a failure here loses nothing. They
    // are committed at most once a second, as each commit stalls the
    // kafkajs consumer (it was the p99 latency: see scripts/bench).
    const committedAt = performance.now();
    if (committedAt - this.#groupCommittedAt < GROUP_COMMIT_INTERVAL_MS) {
      return;
    }
    this.#groupCommittedAt = committedAt;
    const positions = [...this.#positions.values()];
    for (const { source, topic } of this.#inputs) {
      source.commit(positions.filter((p) => p.topic === topic)).catch(() => {});
    }
  }

  #call(step: BatchStep): Promise<BatchResult> {
    return step.kind === "process"
      ? this.#isolate.process(step.records)
      : this.#isolate.processWatermark(step.sourceId, step.watermark);
  }

  /** Sends what a call emitted, then commits its state with the positions of what it read. */
  async #commit(result: BatchResult, read: InputRecord[]): Promise<void> {
    await sendByChannel(this.#sinks, result.outputs);
    for (const record of read) {
      this.#positions.set(positionKey(record.topic, record.partition), {
        topic: record.topic,
        partition: record.partition,
        nextOffset: record.offset + 1n,
      });
    }
    if (result.mutations.length === 0 && read.length === 0) return;
    await this.#options.state.commit(this.#options.config.name, {
      mutations: result.mutations,
      positions: [...this.#positions.values()],
    });
  }

  async #heartbeatIfDue(): Promise<void> {
    if (!this.#heartbeat.due(Date.now())) return;
    await checkHeartbeat(this.#isolate, {
      functionName: this.#options.config.name,
      timeoutMs: this.#options.config.supervision.heartbeatTimeoutMs,
    });
    this.#heartbeat.done(Date.now());
  }

  async #release(): Promise<void> {
    await closeAll([...this.#inputs.map((i) => i.source), ...this.#sinks]);
  }
}
