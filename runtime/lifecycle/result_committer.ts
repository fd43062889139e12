/**
 * Where a runner puts what each isolate call produced (outputs and state
 * changes, with the input positions reached), in one of two ways:
 *
 * - {@link DirectCommitter} (checkpoints off): outputs are written at once
 *   and every batch's state changes commit with its positions, so state is
 *   exact and outputs are at least once.
 * - {@link CheckpointCommitter} (`enable_checkpoint: true`): state changes
 *   are buffered in an {@link OverlayState} and made durable by periodic
 *   checkpoints; with exactly-once, outputs go into a Kafka transaction that
 *   commits with the checkpoint (the checkpoint is prepared first, the
 *   transaction commits, then the checkpoint completes; recovery decides a
 *   prepared checkpoint by the transaction's commit record).
 * @module
 */
import {
  type CheckpointInfo,
  type CheckpointStore,
  FsError,
  type Logger,
  type OutputRecord,
  type RestoredCheckpoint,
  type SourcePosition,
  type StateBackend,
  type TaskConfig,
} from "../core/mod.ts";
import {
  type KafkaLogFn,
  openTransactionalWriter,
  type SinkWriter,
  type TransactionalWriter,
} from "../connectors/mod.ts";
import type { BatchResult, CheckpointResult } from "../isolate/mod.ts";
import { type FunctionMetrics, noMetrics } from "../metrics/mod.ts";
import { OverlayState } from "../state/mod.ts";
import { sendByChannel } from "./runner_io.ts";

/** State that also keeps checkpoints: what the engine is given. */
export type CheckpointedState = StateBackend & CheckpointStore;

/** The input positions after a call. */
export interface Progress {
  /** The position of every partition read so far (start positions included). */
  positions: SourcePosition[];
  /** Whether the call consumed input (positions moved). */
  moved: boolean;
}

/** Where a runner commits the results of its calls. */
export interface ResultCommitter {
  /** The state the isolate reads (it sees every committed result). */
  readonly state: StateBackend;
  /** Stores one call's outputs and state changes, with the positions reached. */
  commit(result: BatchResult, progress: Progress): Promise<void>;
  /** Releases what the committer opened (an open transaction is aborted). */
  close(): Promise<void>;
}

/** Checkpoints off: outputs written at once, state committed per call. */
export class DirectCommitter implements ResultCommitter {
  readonly state: StateBackend;
  readonly #fn: string;
  readonly #sinks: SinkWriter[];

  /** Commits to `state` for function `fn`, writing outputs to `sinks`. */
  constructor(fn: string, parts: { state: StateBackend; sinks: SinkWriter[] }) {
    this.#fn = fn;
    this.state = parts.state;
    this.#sinks = parts.sinks;
  }

  /** Writes the outputs, then commits the state changes with the positions. */
  async commit(result: BatchResult, progress: Progress): Promise<void> {
    await sendByChannel(this.#sinks, result.outputs);
    if (result.mutations.length === 0 && !progress.moved) return;
    await this.state.commit(this.#fn, {
      mutations: result.mutations,
      positions: progress.positions,
    });
  }

  /** Nothing to release: the sinks belong to the runner. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What one checkpoint covers. */
export interface CheckpointOptions {
  /** The input position of every partition read so far. */
  positions: SourcePosition[];
  /** Calls the operator's `close` as part of the checkpoint (a stop's last one). */
  closing?: () => Promise<BatchResult>;
}

/** What a checkpoint needs from the isolate. */
export interface CheckpointTarget {
  /** Calls `take_checkpoint(ctx, id)`. */
  takeCheckpoint(checkpointId: number): Promise<CheckpointResult>;
}

/** Options for {@link openResultCommitter} and {@link CheckpointCommitter.open}. */
export interface CheckpointCommitterOptions {
  /** The function's config (name, outputs, checkpoint settings). */
  config: TaskConfig;
  /** Where checkpoints live. */
  store: CheckpointedState;
  /** The runner's sinks (used for at-least-once outputs). */
  sinks: SinkWriter[];
  /** The server log. */
  logger: Logger;
  /** Kafka client log lines. */
  kafkaLog: KafkaLogFn;
  /** Receives checkpoint durations and sizes. */
  metrics?: FunctionMetrics;
  /**
   * Opens the exactly-once writer (tests pass a fake).
   * @default openTransactionalWriter
   */
  openWriter?: typeof openTransactionalWriter;
  /**
   * Longest a checkpoint may take before the function fails.
   * @default 10 intervals, at least 120 s
   */
  deadlineMs?: number;
}

/** Most output writes a checkpointed function has outstanding at once. */
const MAX_SENDS_IN_FLIGHT = 8;

/** Checkpoints on: state buffered between checkpoints; outputs transactional with exactly-once. */
export class CheckpointCommitter implements ResultCommitter {
  readonly #options: CheckpointCommitterOptions;
  readonly #overlay: OverlayState;
  readonly #writer: TransactionalWriter | null;
  /** Output sends not yet acknowledged, oldest first. */
  #sending: Promise<void>[] = [];
  /** The first send that failed; later commits and the checkpoint throw it. */
  #sendFailure: { error: unknown } | null = null;

  private constructor(
    options: CheckpointCommitterOptions,
    writer: TransactionalWriter | null,
  ) {
    this.#options = options;
    this.#writer = writer;
    this.#overlay = new OverlayState(options.store, options.config.name);
  }

  /**
   * Recovers the function's checkpoints and opens its outputs: with
   * exactly-once, opening the transactional writer fences every earlier
   * writer of the function (its open transaction is aborted), and a prepared
   * checkpoint is completed only when its transaction committed. Returns the
   * committer and the latest complete checkpoint (null before the first).
   */
  static async open(
    options: CheckpointCommitterOptions,
  ): Promise<
    { committer: CheckpointCommitter; latest: RestoredCheckpoint | null }
  > {
    const { config, store } = options;
    const exactlyOnce = config.checkpoints.guarantee === "exactly_once" &&
      config.outputs.length > 0;
    const openWriter = options.openWriter ?? openTransactionalWriter;
    const writer = exactlyOnce
      ? openWriter(config.outputs, {
        transactionalId: `fs-${config.name}`,
        clientId: `fs-${config.name}`,
        logger: options.kafkaLog,
        transactionTimeoutMs: transactionTimeoutMs(config),
      })
      : null;
    try {
      const committedToken = writer ? await writer.open() : null;
      const prepared = await store.preparedCheckpoint(config.name);
      if (prepared !== null) {
        // Without a transaction the prepared checkpoint is as good as done:
        // its outputs were written before it was prepared.
        const committed = writer === null || committedToken === prepared.token;
        if (committed) await store.completeCheckpoint(config.name, prepared.id);
        else await store.abortCheckpoint(config.name, prepared.id);
        options.logger.log(
          "info",
          `checkpoint ${prepared.id} found prepared after a crash: ${
            committed ? "completed" : "discarded"
          }`,
          { function: config.name },
        );
      }
      const latest = await store.latestCheckpoint(config.name);
      return { committer: new CheckpointCommitter(options, writer), latest };
    } catch (error) {
      await writer?.close().catch(() => {});
      throw error;
    }
  }

  /** The state the isolate reads: the store under the changes since the last checkpoint. */
  get state(): StateBackend {
    return this.#overlay;
  }

  /** Buffers the state changes and writes the outputs (in the open transaction with exactly-once). */
  async commit(result: BatchResult, progress: Progress): Promise<void> {
    await this.#send(result.outputs);
    await this.#overlay.commit(this.#options.config.name, {
      mutations: result.mutations,
      positions: progress.positions,
    });
  }

  /**
   * Takes a checkpoint: calls `take_checkpoint`, then (when `closing` is
   * given) `close`, prepares the checkpoint, commits the transaction,
   * completes the checkpoint and prunes old ones. A failure after prepare
   * leaves the decision to recovery, which reads the transaction's outcome.
   */
  async checkpoint(
    target: CheckpointTarget,
    options: CheckpointOptions,
  ): Promise<CheckpointInfo> {
    // A checkpoint that hangs (a broker that never answers) must fail the
    // function, so the restart policy can recover it from the last one.
    const deadlineMs = this.#options.deadlineMs ??
      checkpointDeadlineMs(this.#options.config);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FsError(
              "UNAVAILABLE",
              `Cannot complete a checkpoint of function "${this.#options.config.name}" as it took longer than ${deadlineMs} ms: the function is restarted from its last checkpoint`,
            ),
          ),
        deadlineMs,
      );
    });
    try {
      return await Promise.race([this.#checkpoint(target, options), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #checkpoint(
    target: CheckpointTarget,
    options: CheckpointOptions,
  ): Promise<CheckpointInfo> {
    const { config, store } = this.#options;
    const fn = config.name;
    const progress = { positions: options.positions, moved: false };
    const started = performance.now();
    const id = await store.nextCheckpointId(fn);
    const taken = await target.takeCheckpoint(id);
    await this.commit(taken, progress);
    if (options.closing) await this.commit(await options.closing(), progress);
    // Every output the checkpoint covers is acknowledged before it counts.
    await this.#flush();
    const pending = this.#overlay.pending();
    const token = crypto.randomUUID();
    const info = await store.prepareCheckpoint(fn, {
      id,
      createdAtMs: Date.now(),
      token,
      mutations: pending.mutations,
      positions: options.positions,
      operatorData: taken.extra,
    });
    await this.#writer?.commit(token);
    await store.completeCheckpoint(fn, id);
    this.#overlay.clear();
    await store.pruneCheckpoints(fn, config.checkpoints.retained);
    (this.#options.metrics ?? noMetrics).checkpointTaken(fn, {
      seconds: (performance.now() - started) / 1000,
      bytes: info.sizeBytes,
    });
    return info;
  }

  /** Aborts the open transaction (its outputs are replayed from the last checkpoint) and disconnects. */
  async close(): Promise<void> {
    await this.#writer?.close();
  }

  /**
   * Starts writing outputs without waiting for the acknowledgement (the
   * checkpoint waits for all of them), so processing overlaps the writes;
   * at most {@link MAX_SENDS_IN_FLIGHT} are outstanding. Order is kept: the
   * writer and the sinks write in call order.
   */
  async #send(outputs: OutputRecord[]): Promise<void> {
    if (this.#sendFailure) throw this.#sendFailure.error;
    if (outputs.length === 0) return;
    const sent = this.#writer
      ? this.#writer.send(outputs)
      : sendByChannel(this.#options.sinks, outputs);
    sent.catch((error) => {
      this.#sendFailure ??= { error };
    });
    this.#sending.push(sent);
    if (this.#sending.length >= MAX_SENDS_IN_FLIGHT) {
      await this.#sending.shift();
    }
  }

  /** Waits until every output written so far is acknowledged. */
  async #flush(): Promise<void> {
    const sending = this.#sending;
    this.#sending = [];
    await Promise.all(sending);
    if (this.#sendFailure) throw this.#sendFailure.error;
  }
}

/** Whether a function writes its outputs through plain sinks (not in transactions). */
export function writesThroughSinks(config: TaskConfig): boolean {
  return !config.enableCheckpoint ||
    config.checkpoints.guarantee === "at_least_once";
}

/**
 * Opens the committer a function's config asks for: direct without
 * checkpoints, else a {@link CheckpointCommitter} (recovering the last
 * checkpoint). `sinks` are the function's outputs when
 * {@link writesThroughSinks}, else empty.
 */
export async function openResultCommitter(
  options: CheckpointCommitterOptions,
): Promise<{ committer: ResultCommitter; latest: RestoredCheckpoint | null }> {
  if (options.config.enableCheckpoint) {
    return await CheckpointCommitter.open(options);
  }
  const committer = new DirectCommitter(options.config.name, {
    state: options.store,
    sinks: options.sinks,
  });
  return { committer, latest: null };
}

/** Longest a checkpoint may take: generous, as it waits for the outputs' acks. */
function checkpointDeadlineMs(config: TaskConfig): number {
  return Math.max(120_000, config.checkpointIntervalSeconds * 10_000);
}

/** Long enough for a few checkpoint intervals, within Kafka's default 15 min cap. */
function transactionTimeoutMs(config: TaskConfig): number {
  const wanted = config.checkpointIntervalSeconds * 3_000 + 30_000;
  return Math.min(Math.max(wanted, 60_000), 900_000);
}
