/**
 * Turns a run of messages of one fetched kafkajs batch into the runtime's
 * records, in one pass and with one allocation for all their bytes.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import type { InputRecord } from "../../core/mod.ts";
import { fromKafkaHeaders } from "./_records.ts";

/** Where the records come from and how many of them to take. */
export interface ToInputRecordsOptions {
  /** Index of the first message to convert. */
  from: number;
  /** Most records to return (at least one is returned if any is left). */
  maxRecords: number;
  /**
   * Most key+value bytes to return; the first record is returned even when
   * it alone is larger.
   */
  maxBytes: number;
  /** `sourceId` of every record. */
  sourceId: number;
  /** Topic of the batch. */
  topic: string;
  /** Partition of the batch. */
  partition: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Converts `messages[from..]` up to the limits. Keys and values are views
 * on one fresh ArrayBuffer per call: a per-record copy costs an allocation
 * per record, and a view on the fetch response would keep all of it alive
 * (nothing transfers these buffers: the isolate packs values anew).
 */
export function toInputRecords(
  messages: KafkaMessage[],
  options: ToInputRecordsOptions,
): InputRecord[] {
  const { from, sourceId, topic, partition } = options;
  let end = from;
  let bytes = 0;
  const last = Math.min(
    messages.length,
    from + Math.max(1, options.maxRecords),
  );
  while (end < last) {
    const message = messages[end];
    const size = (message.key?.byteLength ?? 0) +
      (message.value?.byteLength ?? 0);
    if (end > from && bytes + size > options.maxBytes) break;
    bytes += size;
    end++;
  }
  const slab = new Uint8Array(bytes);
  let at = 0;
  const copy = (source: Uint8Array): Uint8Array => {
    slab.set(source, at);
    const view = slab.subarray(at, at + source.byteLength);
    at += source.byteLength;
    return view;
  };
  const records: InputRecord[] = new Array(end - from);
  for (let i = from; i < end; i++) {
    const message = messages[i];
    const key = message.key;
    const value = message.value;
    records[i - from] = {
      sourceId,
      topic,
      partition,
      offset: BigInt(message.offset),
      key: key === null || key === undefined ? null : copy(key),
      value: value === null ? EMPTY : copy(value),
      headers: hasHeaders(message) ? fromKafkaHeaders(message.headers) : [],
      timestamp: Number(message.timestamp),
    };
  }
  return records;
}

function hasHeaders(message: KafkaMessage): boolean {
  for (const _ in message.headers) return true;
  return false;
}
