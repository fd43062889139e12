/**
 * Packing of records, outputs, mutations and state pages into a few flat
 * buffers (the layouts of fs_runtime/_codec.py), so that a batch crosses the
 * worker boundary in one message and Python converts a handful of arrays per
 * batch instead of several objects per record.
 * @module
 */
import type {
  InputRecord,
  OutputRecord,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import { FsError } from "../core/mod.ts";
import type { HookCall, PackedResult } from "./protocol.ts";

/** The header that marks a watermark output; its value is the decimal watermark. */
export const WATERMARK_HEADER = "fs-watermark";

const OP_PUT = 0;
const OP_DELETE = 1;
const OP_DELETE_PREFIX = 2;
const KIND_SIMPLE = 0;

/** Packs record values and source ids for one `process` call. */
export function packRecords(
  records: InputRecord[],
): Extract<HookCall, { hook: "process" }> {
  let total = 0;
  for (const record of records) total += record.value.byteLength;
  const data = new Uint8Array(total);
  const ends = new Int32Array(records.length);
  const sources = new Int32Array(records.length);
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    data.set(record.value, offset);
    offset += record.value.byteLength;
    ends[i] = offset;
    sources[i] = record.sourceId;
  }
  return { hook: "process", data, ends, sources };
}

/** Unpacks emitted records; values are views on the transferred buffer. */
export function decodeOutputs(result: PackedResult): OutputRecord[] {
  const outputs: OutputRecord[] = new Array(result.outLens.length);
  let offset = 0;
  for (let i = 0; i < result.outLens.length; i++) {
    const value = result.outData.subarray(offset, offset + result.outLens[i]);
    offset += result.outLens[i];
    const channel = result.outChannels[i];
    outputs[i] = channel >= 0 ? { channel, value } : {
      channel: -1 - channel,
      value: new Uint8Array(0),
      headers: [{ key: WATERMARK_HEADER, value }],
    };
  }
  return outputs;
}

/** Unpacks state mutations; keys and values are views on the transferred buffer. */
export function decodeMutations(result: PackedResult): StateMutation[] {
  const bytes = result.mutations;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mutations: StateMutation[] = [];
  let pos = 0;
  const part = (): Uint8Array => {
    const length = view.getUint32(pos, true);
    const value = bytes.subarray(pos + 4, pos + 4 + length);
    pos += 4 + length;
    return value;
  };
  while (pos < bytes.byteLength) {
    const op = view.getUint8(pos);
    const kind = view.getUint8(pos + 1);
    const store = result.stores[view.getUint32(pos + 2, true)];
    pos += 6;
    if (store === undefined) {
      throw new FsError(
        "INTERNAL",
        "Cannot decode state mutations as a store index is out of range",
      );
    }
    if (op === OP_DELETE_PREFIX) {
      const prefix = { keyGroup: part(), key: part(), namespace: part() };
      mutations.push({ op: "deletePrefix", store, prefix });
      continue;
    }
    const key: StateKey = kind === KIND_SIMPLE
      ? { kind: "simple", key: part() }
      : {
        kind: "complex",
        keyGroup: part(),
        key: part(),
        namespace: part(),
        userKey: part(),
      };
    if (op === OP_PUT) {
      mutations.push({ op: "put", store, key, value: part() });
    } else if (op === OP_DELETE) {
      mutations.push({ op: "delete", store, key });
    } else {
      throw new FsError(
        "INTERNAL",
        `Cannot decode state mutations as an op is unknown: current value is ${op}`,
      );
    }
  }
  return mutations;
}

/** Packs a page of entries (keys, or key/value pairs) for Python. */
export function packEntries(
  entries: StateEntry[],
  withValues: boolean,
): { data: Uint8Array<ArrayBuffer>; lens: Int32Array<ArrayBuffer> } {
  const items = withValues
    ? entries.flatMap((entry) => [entry.key, entry.value])
    : entries.map((entry) => entry.key);
  let total = 0;
  for (const item of items) total += item.byteLength;
  const data = new Uint8Array(total);
  const lens = new Int32Array(items.length);
  let offset = 0;
  items.forEach((item, i) => {
    data.set(item, offset);
    offset += item.byteLength;
    lens[i] = item.byteLength;
  });
  return { data, lens };
}
