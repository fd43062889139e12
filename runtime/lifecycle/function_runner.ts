/**
 * Runs one started function: reads its inputs, hands records and watermarks
 * to its isolate in stream order, commits what each call produced (see
 * result_committer.ts), takes checkpoints and checks its heartbeat between
 * batches. Any failure stops the runner and is reported once through
 * `onFailure`.
 * @module
 */
import {
  FsError,
  type InputRecord,
  messageOf,
  type SourcePosition,
  type StateMutation,
} from "../core/mod.ts";
import type { SinkWriter } from "../connectors/mod.ts";
import type { BatchResult, FunctionIsolate } from "../isolate/mod.ts";
import { type LagSample, noMetrics } from "../metrics/mod.ts";
import { BatchPlanner, type BatchStep } from "./batch_steps.ts";
import { CheckpointSchedule } from "./checkpoint_schedule.ts";
import { checkHeartbeat, HeartbeatSchedule } from "./heartbeat.ts";
import {
  CheckpointCommitter,
  type ResultCommitter,
} from "./result_committer.ts";
import { closeAll, type RunnerInput } from "./runner_io.ts";
import {
  openRunnerParts,
  type RunnerParts,
  type RunnerPartsOptions,
} from "./runner_parts.ts";
import { WatermarkTracker } from "./watermarks.ts";

/** What a runner needs to start: what its parts need, and how it runs. */
export interface RunnerOptions extends RunnerPartsOptions {
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

function stoppedError(name: string): FsError {
  return new FsError(
    "CONFLICT",
    `Cannot finish a checkpoint of function "${name}" as it stopped: current state is stopping or failed`,
  );
}

/** What a runner with checkpoints on uses to take them. */
interface Checkpointing {
  committer: CheckpointCommitter;
  schedule: CheckpointSchedule;
}

/** A running function. Create with {@link FunctionRunner.start}. */
export class FunctionRunner {
  readonly #options: RunnerOptions;
  readonly #isolate: FunctionIsolate;
  readonly #inputs: RunnerInput[];
  readonly #sinks: SinkWriter[];
  readonly #committer: ResultCommitter;
  /** With checkpoints on: the committer that takes them and their schedule. */
  readonly #checkpoints: Checkpointing | null;
  readonly #positions: Map<string, SourcePosition>;
  readonly #tracker: WatermarkTracker;
  readonly #planner: BatchPlanner;
  readonly #heartbeat: HeartbeatSchedule;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #closed = false;
  #groupCommittedAt = Number.NEGATIVE_INFINITY;
  /** Whether anything was read, written or emitted since the last checkpoint. */
  #changedSinceCheckpoint = false;

  private constructor(
    options: RunnerOptions,
    parts: RunnerParts,
  ) {
    const { watermarks, supervision, inputGroups } = options.config;
    this.#options = options;
    this.#isolate = parts.isolate;
    this.#inputs = parts.inputs;
    this.#sinks = parts.sinks;
    this.#committer = parts.committer;
    this.#checkpoints = parts.committer instanceof CheckpointCommitter
      ? {
        committer: parts.committer,
        schedule: new CheckpointSchedule(
          options.config.checkpointIntervalSeconds * 1000,
          Date.now(),
        ),
      }
      : null;
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
   * Starts the function's parts (see {@link openRunnerParts}: outputs, the
   * last checkpoint, the isolate, inputs at the recovered positions), then
   * the processing loop. Anything started is released again when a step
   * fails.
   */
  static async start(options: RunnerOptions): Promise<FunctionRunner> {
    const runner = new FunctionRunner(options, await openRunnerParts(options));
    runner.#loop = runner.#run();
    return runner;
  }

  /**
   * Asks for a checkpoint now; resolves with its id once it is complete.
   *
   * @throws {FsError} BAD_REQUEST when the function's checkpoints are off,
   * CONFLICT when the runner stops before the checkpoint completes.
   */
  requestCheckpoint(): Promise<number> {
    const name = this.#options.config.name;
    if (this.#checkpoints === null) {
      return Promise.reject(
        new FsError(
          "BAD_REQUEST",
          `Cannot take a checkpoint of function "${name}" as its checkpoints are off: current value of enable_checkpoint is false`,
        ),
      );
    }
    if (this.#closed) {
      return Promise.reject(stoppedError(name));
    }
    return this.#checkpoints.schedule.request();
  }

  /** The id of the function's isolate process (process isolation), else null. */
  get isolateProcessId(): number | null {
    return this.#isolate.processId;
  }

  /**
   * Kills the function's worker as a crash would: the runner fails and the
   * restart policy takes over (for fault tests).
   */
  crashWorker(): void {
    this.#isolate.terminate();
  }

  /**
   * Stops the loop after the batch in flight, calls `close(ctx)` (in a last
   * checkpoint when checkpoints are on) and releases everything.
   */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#loop;
    try {
      if (this.#checkpoints !== null) {
        await this.#checkpoint(this.#checkpoints, { closing: true });
      } else {
        // What close(ctx) emits or writes is kept like any batch's results.
        await this.#commit(await this.#isolate.close(), []);
      }
    } catch (error) {
      this.#options.logger.log(
        "warn",
        `close() of the operator failed: ${messageOf(error)}`,
        { function: this.#options.config.name },
      );
    }
    this.#checkpoints?.schedule.fail(stoppedError(this.#options.config.name));
    this.#isolate.terminate();
    await this.#release();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        const records = await this.#poll(signal);
        await this.#processBatch(records);
        if (this.#checkpoints?.schedule.due(Date.now())) {
          await this.#checkpointIfUseful(this.#checkpoints);
        }
        await this.#heartbeatIfDue();
      }
    } catch (error) {
      this.#checkpoints?.schedule.fail(error);
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
    if (records.length === 0 || this.#checkpoints !== null) return;
    // The group offsets are for lag tooling only: resumption uses the
    // positions committed with state, so a failure here loses nothing. They
    // are committed at most once a second, as each commit stalls the
    // kafkajs consumer (it was the p99 latency: see scripts/bench).
    const committedAt = performance.now();
    if (committedAt - this.#groupCommittedAt < GROUP_COMMIT_INTERVAL_MS) {
      return;
    }
    this.#groupCommittedAt = committedAt;
    this.#commitGroupOffsets([...this.#positions.values()]);
  }

  /**
   * Records positions as the inputs' group offsets. With checkpoints only
   * checkpointed positions go there: a partition without a checkpointed
   * position resumes from its group offset, which must not skip records
   * whose effects a crash discarded.
   */
  #commitGroupOffsets(positions: SourcePosition[]): void {
    for (const { source, topic } of this.#inputs) {
      source.commit(positions.filter((p) => p.topic === topic)).catch(() => {});
    }
  }

  #call(step: BatchStep): Promise<BatchResult> {
    return step.kind === "process"
      ? this.#isolate.process(step.records)
      : this.#isolate.processWatermark(step.sourceId, step.watermark);
  }

  /** Hands what a call produced to the committer, with the positions of what it read. */
  async #commit(result: BatchResult, read: InputRecord[]): Promise<void> {
    for (const record of read) {
      this.#positions.set(positionKey(record.topic, record.partition), {
        topic: record.topic,
        partition: record.partition,
        nextOffset: record.offset + 1n,
      });
    }
    if (
      read.length > 0 || result.mutations.length > 0 ||
      result.outputs.length > 0
    ) {
      this.#changedSinceCheckpoint = true;
    }
    await this.#committer.commit(result, {
      positions: [...this.#positions.values()],
      moved: read.length > 0,
    });
  }

  /**
   * Takes a due checkpoint, unless it is only the interval that is due and
   * nothing happened since the last one (idle functions write nothing).
   */
  async #checkpointIfUseful(checkpoints: Checkpointing): Promise<void> {
    const { schedule } = checkpoints;
    if (!this.#changedSinceCheckpoint && !schedule.requested) {
      schedule.skip(Date.now());
      return;
    }
    await this.#checkpoint(checkpoints, {});
  }

  /** Takes a checkpoint (with `closing`, the operator's `close` is part of it). */
  async #checkpoint(
    { committer, schedule }: Checkpointing,
    options: { closing?: boolean },
  ): Promise<void> {
    schedule.begin();
    this.#changedSinceCheckpoint = false;
    const info = await committer.checkpoint(this.#isolate, {
      positions: [...this.#positions.values()],
      closing: options.closing ? () => this.#isolate.close() : undefined,
    });
    schedule.done(info.id, Date.now());
    this.#commitGroupOffsets(info.positions);
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
    await closeAll([
      ...this.#inputs.map((i) => i.source),
      ...this.#sinks,
      this.#committer,
    ]);
  }
}
