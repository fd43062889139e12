/**
 * Conversions between kafkajs messages (Node Buffers, header objects) and the
 * runtime's records (plain Uint8Arrays, ordered header lists).
 * @module
 */
import { Buffer } from "node:buffer";
import type { IHeaders, Message, TopicMessages } from "kafkajs";
import { FsError } from "../../core/mod.ts";
import type {
  KafkaOutputConfig,
  OutputRecord,
  RecordHeader,
} from "../../core/mod.ts";

/**
 * Copies bytes into a plain Uint8Array that owns its ArrayBuffer, so the
 * record can be transferred to a worker without detaching a whole fetch
 * response that other records still view.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Wraps bytes as a Buffer for kafkajs without copying them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const encoder = new TextEncoder();

function headerValue(
  value: Buffer | string | undefined | null,
): Uint8Array | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? encoder.encode(value) : copyBytes(value);
}

/**
 * Converts kafkajs headers to a list; a repeated key (an array in kafkajs)
 * becomes several entries in the order they were read.
 */
export function fromKafkaHeaders(
  headers: IHeaders | undefined,
): RecordHeader[] {
  const list: RecordHeader[] = [];
  if (headers === undefined) return list;
  for (const [key, value] of Object.entries(headers)) {
    if (Array.isArray(value)) {
      for (const item of value) list.push({ key, value: headerValue(item) });
    } else {
      list.push({ key, value: headerValue(value) });
    }
  }
  return list;
}

/**
 * Converts a header list to kafkajs headers; repeated keys become arrays
 * (kafkajs writes their values in order, as separate headers). kafkajs 2.2.4
 * cannot write a header without value (it crashes sizing it), so a null
 * value is written as an empty one.
 */
export function toKafkaHeaders(
  headers: RecordHeader[] | undefined,
): IHeaders | undefined {
  if (headers === undefined || headers.length === 0) return undefined;
  const grouped = new Map<string, Buffer[]>();
  for (const { key, value } of headers) {
    const list = grouped.get(key) ?? [];
    list.push(value === null ? Buffer.alloc(0) : asBuffer(value));
    grouped.set(key, list);
  }
  const result: IHeaders = {};
  for (const [key, values] of grouped) {
    result[key] = values.length === 1 ? values[0] : values;
  }
  return result;
}

/**
 * Converts an output record to a kafkajs message. A fixed `partition` (the
 * output's) wins; otherwise the producer's partitioner picks one (murmur2
 * on the key, as Java producers do).
 */
export function toKafkaMessage(
  record: OutputRecord,
  partition: number | null,
): Message {
  const message: Message = {
    key: record.key ? asBuffer(record.key) : null,
    value: asBuffer(record.value),
    headers: toKafkaHeaders(record.headers),
  };
  if (partition !== null) message.partition = partition;
  return message;
}

/** Messages for one kafkajs `sendBatch` call: topics sharing a codec. */
export interface SendBatch {
  /** kafkajs compression codec. */
  compression: number;
  /** Messages per topic, in record order. */
  topicMessages: TopicMessages[];
}

/** Options for {@link toSendBatches}. */
export interface ToSendBatchesOptions {
  /** The outputs, by channel. */
  outputs: KafkaOutputConfig[];
  /** kafkajs compression codec of each output, by channel. */
  compressions: number[];
}

/**
 * Routes records to their output (by `channel`) and groups them into one
 * batch per compression codec, one message list per topic. Record order is
 * kept within each topic, hence within each channel.
 *
 * @throws {FsError} INTERNAL for a channel without output.
 */
export function toSendBatches(
  records: OutputRecord[],
  options: ToSendBatchesOptions,
): SendBatch[] {
  const byCompression = new Map<number, Map<string, Message[]>>();
  for (const record of records) {
    const output = options.outputs[record.channel];
    if (output === undefined) {
      throw new FsError(
        "INTERNAL",
        `Cannot send a record to output channel ${record.channel} as the function has ${options.outputs.length} outputs: current value is ${record.channel}`,
      );
    }
    const compression = options.compressions[record.channel];
    const topics = byCompression.get(compression) ?? new Map();
    byCompression.set(compression, topics);
    const list = topics.get(output.topic) ?? [];
    topics.set(output.topic, list);
    list.push(toKafkaMessage(record, output.partition));
  }
  return [...byCompression].map(([compression, topics]) => ({
    compression,
    topicMessages: [...topics].map(([topic, messages]) => ({
      topic,
      messages,
    })),
  }));
}
