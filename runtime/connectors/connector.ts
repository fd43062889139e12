/**
 * The interfaces every connector implements. The engine reads inputs through
 * a {@link SourceReader} and writes outputs through a {@link SinkWriter}
 * (at-least-once) or one {@link TransactionalWriter} per function
 * (exactly-once); it never sees a Kafka (or any other) client directly.
 * @module
 */
import type { InputRecord, OutputRecord, SourcePosition } from "../core/mod.ts";

/** Options for {@link SourceReader.poll}. */
export interface PollOptions {
  /**
   * Largest number of records to return.
   * @default 500
   */
  maxRecords?: number;
  /**
   * How long to wait for the first record, in milliseconds.
   * @default 100
   */
  maxWaitMs?: number;
  /** Stops waiting early. */
  signal?: AbortSignal;
}

/** The end of one input partition, as the source last saw it. */
export interface PartitionHighWatermark {
  /** Topic of the partition. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset the next record written to the partition will get. */
  highWatermark: bigint;
}

/** Reads records of one input, in order per partition. */
export interface SourceReader {
  /**
   * Starts reading. Partitions listed in `positions` are read from the stored
   * `nextOffset`; other partitions follow the group's committed offset, then
   * `auto.offset.reset`.
   */
  start(positions: SourcePosition[]): Promise<void>;
  /** Returns the next records (possibly none) once some arrive or the wait ends. */
  poll(options?: PollOptions): Promise<InputRecord[]>;
  /** Records durable progress in the external system (for lag and tooling). */
  commit(positions: SourcePosition[]): Promise<void>;
  /** Stops reading and releases every resource. */
  close(): Promise<void>;
  /**
   * The last high watermark fetched for each partition being read (for
   * consumer lag); partitions not fetched yet are absent. Optional: sources
   * without such a notion leave it out.
   */
  highWatermarks?(): PartitionHighWatermark[];
  /**
   * The partitions currently assigned to this reader, sorted. Optional: the
   * engine uses it so that a partition without records holds back event
   * time until it goes idle; without it only partitions that delivered
   * records count.
   */
  assignedPartitions?(): number[];
}

/** Writes records to one output. */
export interface SinkWriter {
  /** Writes records in order; resolves once the external system acknowledged them. */
  send(records: OutputRecord[]): Promise<void>;
  /** Flushes and releases every resource. */
  close(): Promise<void>;
}

/**
 * Writes every output of one function in transactions that commit with its
 * checkpoints, so a `read_committed` reader sees only the outputs of
 * committed checkpoints. Calls run one after another in call order.
 *
 * Errors: FsError CONFLICT once another writer with the same transactional
 * id took over (this one can only be closed); UNAVAILABLE when the cluster
 * fails. After a failed `send()`, only `abort()` (or `close()`) is allowed.
 * After a failed `commit()` the outcome is unknown: close this writer and
 * open a new one, whose `open()` returns the token of what was committed.
 */
export interface TransactionalWriter {
  /**
   * Connects, fences earlier writers with the same id (their open
   * transaction is aborted; a commit in progress finishes first) and returns
   * the token of the last committed transaction, or null.
   */
  open(): Promise<string | null>;
  /**
   * Writes records (each has its `channel`) in the current transaction,
   * begun on first use; order kept per channel. Resolves once the brokers
   * acknowledged them (they stay invisible to `read_committed` readers until
   * the commit).
   */
  send(records: OutputRecord[]): Promise<void>;
  /**
   * Commits the current transaction with a commit record naming `token`
   * (also when nothing was sent); resolves once committed.
   */
  commit(token: string): Promise<void>;
  /** Aborts the current transaction, if any. */
  abort(): Promise<void>;
  /** Aborts what is open and releases everything. Idempotent. */
  close(): Promise<void>;
}
