/**
 * The interfaces every connector implements. The engine reads inputs through
 * a {@link SourceReader} and writes outputs through a {@link SinkWriter}; it
 * never sees a Kafka (or any other) client directly.
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
