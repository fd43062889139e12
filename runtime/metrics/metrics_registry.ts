/**
 * {@link MetricsRegistry}: the per-function metrics in a prom-client
 * registry, rendered in the Prometheus text format.
 *
 * Every series carries a `function` label; consumer lag also `topic` and
 * `partition`. Latency is measured per batch (see {@link BatchSample}); the
 * mean time per record is `rate(fs_function_batch_duration_seconds_sum) /
 * rate(fs_function_records_in_total)`.
 * @module
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from "prom-client";
import {
  type BatchSample,
  type CheckpointSample,
  type FunctionMetrics,
  type LagSample,
  mutationBytes,
} from "./function_metrics.ts";

/** Default histogram buckets of batch latency, in seconds (1 ms .. 30 s). */
export const BATCH_SECONDS_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** Default histogram buckets of checkpoint duration, in seconds. */
export const CHECKPOINT_SECONDS_BUCKETS = [
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
  10,
  30,
  60,
  300,
];

/** Options for {@link MetricsRegistry}. */
export interface MetricsRegistryOptions {
  /**
   * Also export prom-client's process metrics (`process_cpu_seconds_total`,
   * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, ...).
   * @default true
   */
  processMetrics?: boolean;
  /**
   * Buckets of `fs_function_batch_duration_seconds`.
   * @default BATCH_SECONDS_BUCKETS
   */
  batchBuckets?: number[];
}

const FN = ["function"] as const;

/** The server's metrics; pass it to the engine and serve {@link render}. */
export class MetricsRegistry implements FunctionMetrics {
  /** The underlying prom-client registry (to add metrics of other layers). */
  readonly registry: Registry = new Registry();
  readonly #recordsIn: Counter<"function">;
  readonly #recordsOut: Counter<"function">;
  readonly #errors: Counter<"function">;
  readonly #restarts: Counter<"function">;
  readonly #batchSeconds: Histogram<"function">;
  readonly #checkpointSeconds: Histogram<"function">;
  readonly #checkpointBytes: Gauge<"function">;
  readonly #stateMutations: Counter<"function">;
  readonly #stateBytes: Counter<"function">;
  readonly #lag: Gauge<"function" | "topic" | "partition">;
  readonly #lagReaders = new Map<string, () => LagSample[]>();

  /** Registers every metric (at zero until something happens). */
  constructor(options: MetricsRegistryOptions = {}) {
    const registers = [this.registry];
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: FN, registers });
    this.#recordsIn = counter(
      "fs_function_records_in_total",
      "Input records handed to the function's operator.",
    );
    this.#recordsOut = counter(
      "fs_function_records_out_total",
      "Records the function's operator emitted (written to its outputs).",
    );
    this.#errors = counter(
      "fs_function_errors_total",
      "Times the function failed, while starting or while running.",
    );
    this.#restarts = counter(
      "fs_function_restarts_total",
      "Times the function was started again after it had failed.",
    );
    this.#batchSeconds = new Histogram({
      name: "fs_function_batch_duration_seconds",
      help:
        "Per batch: from handing the records to the operator until its outputs were acknowledged and its state committed.",
      labelNames: FN,
      buckets: options.batchBuckets ?? BATCH_SECONDS_BUCKETS,
      registers,
    });
    this.#checkpointSeconds = new Histogram({
      name: "fs_function_checkpoint_duration_seconds",
      help:
        "Time to take and store a checkpoint (no samples until the server takes checkpoints).",
      labelNames: FN,
      buckets: CHECKPOINT_SECONDS_BUCKETS,
      registers,
    });
    this.#checkpointBytes = new Gauge({
      name: "fs_function_checkpoint_size_bytes",
      help:
        "Bytes stored for the last checkpoint (0 until the server takes checkpoints).",
      labelNames: FN,
      registers,
    });
    this.#stateMutations = counter(
      "fs_function_state_mutations_total",
      "State changes (put, delete, delete prefix) committed by the function.",
    );
    this.#stateBytes = counter(
      "fs_function_state_written_bytes_total",
      "Key and value bytes of the state changes committed by the function.",
    );
    const readers = this.#lagReaders;
    this.#lag = new Gauge({
      name: "fs_function_consumer_lag",
      help:
        "Records between the function's committed position and the partition's high watermark, as last fetched (absent until a batch of the partition was fetched).",
      labelNames: ["function", "topic", "partition"],
      registers,
      collect() {
        this.reset();
        for (const [fn, read] of readers) {
          for (const sample of readLag(read)) {
            this.set({
              function: fn,
              topic: sample.topic,
              partition: String(sample.partition),
            }, sample.lag);
          }
        }
      },
    });
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** Content type of {@link render}'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Renders every metric in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Counts a batch: records in and out, its latency and its state writes. */
  batchProcessed(fn: string, sample: BatchSample): void {
    const labels = { function: fn };
    this.#recordsIn.inc(labels, sample.recordsIn);
    this.#recordsOut.inc(labels, sample.recordsOut);
    this.#batchSeconds.observe(labels, sample.seconds);
    this.#stateMutations.inc(labels, sample.mutations.length);
    this.#stateBytes.inc(labels, mutationBytes(sample.mutations));
  }

  /** Counts a failure. */
  functionFailed(fn: string): void {
    this.#errors.inc({ function: fn });
  }

  /** Counts a restart after a failure. */
  functionRestarted(fn: string): void {
    this.#restarts.inc({ function: fn });
  }

  /** Records a checkpoint's duration and size. */
  checkpointTaken(fn: string, sample: CheckpointSample): void {
    this.#checkpointSeconds.observe({ function: fn }, sample.seconds);
    this.#checkpointBytes.set({ function: fn }, sample.bytes);
  }

  /** Creates the function's series at zero and sets its lag reader. */
  functionStarted(fn: string, readLag: () => LagSample[]): void {
    const labels = { function: fn };
    for (const metric of this.#counters()) metric.inc(labels, 0);
    this.#checkpointBytes.inc(labels, 0); // keeps the last size after a restart
    this.#lagReaders.set(fn, readLag);
  }

  /** Removes every series of the function and its lag reader. */
  forgetFunction(fn: string): void {
    const labels = { function: fn };
    for (const metric of this.#counters()) metric.remove(labels);
    this.#checkpointBytes.remove(labels);
    this.#batchSeconds.remove(labels);
    this.#checkpointSeconds.remove(labels);
    this.#lagReaders.delete(fn);
  }

  #counters(): Counter<"function">[] {
    return [
      this.#recordsIn,
      this.#recordsOut,
      this.#errors,
      this.#restarts,
      this.#stateMutations,
      this.#stateBytes,
    ];
  }
}

function readLag(read: () => LagSample[]): LagSample[] {
  try {
    return read();
  } catch {
    return []; // a runner being torn down; the next scrape asks again
  }
}
