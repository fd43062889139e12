/**
 * Records as they flow between connectors, the engine and the isolate.
 * @module
 */

/** One header of a Kafka record; values are raw bytes. */
export interface RecordHeader {
  /** Header name. */
  key: string;
  /** Header value, or null when the header has no value. */
  value: Uint8Array | null;
}

/** A record read from an input, with everything the source knew about it. */
export interface InputRecord {
  /** Index of the input group the record came from (`source_id` in Python). */
  sourceId: number;
  /** Topic the record was read from. */
  topic: string;
  /** Partition the record was read from. */
  partition: number;
  /** Offset of the record in its partition. */
  offset: bigint;
  /** Record key, or null. */
  key: Uint8Array | null;
  /** Record value; an empty array for a null (tombstone) value. */
  value: Uint8Array;
  /** Record headers, in order. */
  headers: RecordHeader[];
  /** Record timestamp in milliseconds since the epoch. */
  timestamp: number;
}

/** A record emitted by an operator with `ctx.emit(data, channel)`. */
export interface OutputRecord {
  /** Index into the task's `outputs` list. */
  channel: number;
  /** Record value. */
  value: Uint8Array;
  /** Record key, or null. */
  key?: Uint8Array | null;
  /** Record headers, if any. */
  headers?: RecordHeader[];
}

/**
 * How far a function has read one partition: the offset of the next record
 * it will read. Stored with state so that a restart resumes exactly there.
 */
export interface SourcePosition {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset of the next record to read. */
  nextOffset: bigint;
}
