/**
 * Connectors: the registry that opens a reader for each input and a writer
 * for each output of a task (or one transactional writer for all outputs,
 * exactly-once). The engine only sees {@link SourceReader},
 * {@link SinkWriter} and {@link TransactionalWriter}.
 * @module
 */
import type { KafkaInputConfig, KafkaOutputConfig } from "../core/mod.ts";
import type {
  SinkWriter,
  SourceReader,
  TransactionalWriter,
} from "./connector.ts";
import {
  type KafkaLogFn,
  KafkaSink,
  KafkaSource,
  KafkaTransactionalWriter,
} from "./kafka/mod.ts";

export type {
  PartitionHighWatermark,
  PollOptions,
  SinkWriter,
  SourceReader,
  TransactionalWriter,
} from "./connector.ts";
export type { KafkaLogFn } from "./kafka/mod.ts";

/** Options for {@link openSource}. */
export interface OpenSourceOptions {
  /** Index of the input group; set as `sourceId` on every record. */
  sourceId: number;
  /** Client id reported to the external system (e.g. "fs-<function>"). */
  clientId: string;
  /**
   * Receives the client library's WARN and ERROR logs.
   * @default console.error with a "[kafka]" prefix
   */
  logger?: KafkaLogFn;
  /**
   * Records buffered before reading waits for `poll()` to make room.
   * @default 10000
   */
  bufferRecords?: number;
  /**
   * Key+value bytes buffered before reading waits for `poll()` to make room.
   * @default 16 MiB
   */
  bufferBytes?: number;
}

/** Options for {@link openSink}. */
export interface OpenSinkOptions {
  /** Client id reported to the external system (e.g. "fs-<function>"). */
  clientId: string;
  /**
   * Receives the client library's WARN and ERROR logs.
   * @default console.error with a "[kafka]" prefix
   */
  logger?: KafkaLogFn;
}

/**
 * Opens a reader for one input. Nothing connects until `start()`.
 *
 * @throws {FsError} BAD_REQUEST when a client setting of the input is bad.
 */
export function openSource(
  input: KafkaInputConfig,
  options: OpenSourceOptions,
): SourceReader {
  // Kafka is the only connector, and the resolved config carries no type.
  // A second connector adds a discriminant to the config types in
  // runtime/core and one `case` here.
  return new KafkaSource(input, options);
}

/**
 * Opens a writer for one output. Nothing connects until the first send.
 *
 * @throws {FsError} BAD_REQUEST when a client setting of the output is bad.
 */
export function openSink(
  output: KafkaOutputConfig,
  options: OpenSinkOptions,
): SinkWriter {
  // See openSource: a second connector is routed here the same way.
  return new KafkaSink(output, options);
}

/** Options for {@link openTransactionalWriter}. */
export interface OpenTransactionalWriterOptions {
  /**
   * Kafka transactional id; stable per function across restarts, since a
   * new writer fences and learns the last commit of those with the same id.
   * The commit record lives in consumer group `fs-eos.<transactionalId>`.
   */
  transactionalId: string;
  /** Client id reported to the external system (e.g. "fs-<function>"). */
  clientId: string;
  /** Receives the client library's WARN and ERROR logs. */
  logger: KafkaLogFn;
  /**
   * How long the broker lets a transaction stay open before it aborts it,
   * in milliseconds; must exceed the checkpoint interval plus a commit, and
   * not exceed the broker's `transaction.max.timeout.ms` (15 min default).
   * @default 60000
   */
  transactionTimeoutMs?: number;
}

/**
 * Opens one writer for every output of a function, writing in transactions
 * that commit with its checkpoints. Nothing connects until `open()`.
 *
 * @throws {FsError} BAD_REQUEST when there is no output, the outputs are on
 * several clusters or differ in client settings (other than
 * `compression.type`), or a setting or option is bad.
 */
export function openTransactionalWriter(
  outputs: KafkaOutputConfig[],
  options: OpenTransactionalWriterOptions,
): TransactionalWriter {
  // See openSource: a second connector is routed here the same way.
  return new KafkaTransactionalWriter(outputs, options);
}
