/**
 * What the engine and its runners report about each function, as one small
 * interface. The runtime only calls it; {@link MetricsRegistry} (or nothing,
 * {@link noMetrics}) listens.
 * @module
 */
import type { StateMutation } from "../core/mod.ts";

/** One batch a runner finished: handed to the operator, sent, committed. */
export interface BatchSample {
  /** Input records in the batch. */
  recordsIn: number;
  /** Records the operator emitted for it. */
  recordsOut: number;
  /** From handing the batch to the isolate until its outputs were acknowledged and its state committed. */
  seconds: number;
  /** The state changes committed with the batch. */
  mutations: StateMutation[];
}

/** One checkpoint a function took. */
export interface CheckpointSample {
  /** How long taking and storing it took. */
  seconds: number;
  /** Bytes stored for it. */
  bytes: number;
}

/** How far a function is behind the end of one input partition. */
export interface LagSample {
  /** Input topic. */
  topic: string;
  /** Partition of the topic. */
  partition: number;
  /** Records after the function's position, up to the partition's high watermark. */
  lag: number;
}

/** Receives what functions do; every method is cheap and never throws. */
export interface FunctionMetrics {
  /** A runner finished a batch. */
  batchProcessed(fn: string, sample: BatchSample): void;
  /** The function failed (while starting or while running). */
  functionFailed(fn: string): void;
  /** The function was started again after it had failed. */
  functionRestarted(fn: string): void;
  /** The function took a checkpoint. */
  checkpointTaken(fn: string, sample: CheckpointSample): void;
  /**
   * The function started: its series appear (at zero), and `readLag` tells
   * its consumer lag whenever metrics are scraped (replacing an earlier
   * reader of the same function).
   */
  functionStarted(fn: string, readLag: () => LagSample[]): void;
  /** Drops every series of the function (it was dropped). */
  forgetFunction(fn: string): void;
}

/** Metrics that go nowhere: the default when none are configured. */
export const noMetrics: FunctionMetrics = {
  batchProcessed() {},
  functionFailed() {},
  functionRestarted() {},
  checkpointTaken() {},
  functionStarted() {},
  forgetFunction() {},
};

function keyBytes(mutation: StateMutation): number {
  if (mutation.op === "deletePrefix") {
    const p = mutation.prefix;
    return p.keyGroup.length + p.key.length + p.namespace.length;
  }
  const k = mutation.key;
  return k.kind === "simple"
    ? k.key.length
    : k.keyGroup.length + k.key.length + k.namespace.length + k.userKey.length;
}

/**
 * Bytes a list of state changes writes: key and value bytes of every put,
 * key bytes of every delete (store names and encoding overhead left out).
 */
export function mutationBytes(mutations: StateMutation[]): number {
  let bytes = 0;
  for (const mutation of mutations) {
    bytes += keyBytes(mutation);
    if (mutation.op === "put") bytes += mutation.value.length;
  }
  return bytes;
}
