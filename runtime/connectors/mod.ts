/**
 * Connectors: the registry that opens a reader for each input and a writer
 * for each output of a task. The engine only sees {@link SourceReader} and
 * {@link SinkWriter}.
 * @module
 */
import type { KafkaInputConfig, KafkaOutputConfig } from "../core/mod.ts";
import type { SinkWriter, SourceReader } from "./connector.ts";
import { type KafkaLogFn, KafkaSink, KafkaSource } from "./kafka/mod.ts";

export type {
  PartitionHighWatermark,
  PollOptions,
  SinkWriter,
  SourceReader,
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
   * Records buffered before reading pauses.
   * @default 2000
   */
  bufferRecords?: number;
  /**
   * Key+value bytes buffered before reading pauses.
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
