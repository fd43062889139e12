/**
 * The logs of a checkpoint, above all its undo images: for every key its redo log changes, the live
 * value it replaces (or its absence), and every entry its prefix deletes
 * remove. Restoring an older checkpoint writes them back.
 *
 * Reading them is most of a checkpoint's cost, so the keys (in Deno KV
 * order, as netEffect sorts them) are read in segments, several at once:
 * a segment first scans its key range, which costs about a third of point
 * reads per entry; when the range holds many more entries than the segment
 * changes, the rest of the segment falls back to `getMany` (10 keys a call).
 * Keys whose live value the backend already knows (see _known_values.ts)
 * are not read at all.
 * @module
 */
import {
  bytesId,
  compareBytes,
  complexPrefixId,
  complexPrefixKey,
  simplePrefixKey,
} from "./key_codec.ts";
import { decodeValue } from "./_kv_read.ts";
import type { RedoLog, RedoOp } from "./_redo_log.ts";
import type { KnownValues } from "./_known_values.ts";
import { prefixOfKey, RedoWriter } from "./_redo_codec.ts";
import { logIndex, userKeyOf } from "./_log_index.ts";

/** Keys per segment. */
const SEGMENT = 1000;
/** A segment's scan stops after this many entries per changed key. */
const SCAN_FACTOR = 2;
/** A segment's scan stops after this many bytes of values. */
const SCAN_BYTES = 4 * 1024 * 1024;
/** Segments read at once. */
const READERS = 4;
/** Most keys of one `getMany` call (a Deno KV limit). */
const GET_MANY = 10;

interface Segment {
  /** The listed prefix of the key space. */
  prefix: Deno.KvKey;
  /** Indexes into the log's ops, in key order. */
  ops: number[];
}

/** A stored value as bytes: inline bytes at once, a chunked one read from its chunks. */
function valueOf(
  kv: Deno.Kv,
  fn: string,
  value: unknown,
): Uint8Array | Promise<Uint8Array | null> {
  return value instanceof Uint8Array ? value : decodeValue(kv, fn, value);
}

function spacePrefix(fn: string, op: RedoOp): Deno.KvKey {
  return op.key.kind === "simple"
    ? simplePrefixKey(fn, op.store)
    : complexPrefixKey(fn, op.store, op.key);
}

/**
 * A checkpoint's two logs, encoded in one pass over its ops: the redo log
 * (exactly `encodeRedoLog(log)`) and the undo log against the current live
 * state: ops only (no prefix deletes, no positions), each setting a key
 * back to its value now. The undo log has the entries under prefix deletes
 * first, then one op per redo op in the redo log's order (skipping keys the
 * entries already hold), so every backend encodes it to the same bytes.
 */
export async function checkpointLogs(
  kv: Deno.Kv,
  fn: string,
  source: { log: RedoLog; known?: KnownValues | null },
): Promise<{ redo: Uint8Array; undo: Uint8Array }> {
  const { log, known } = source;
  const undo = new RedoWriter(1024 + log.ops.length * 24);
  const redo = new RedoWriter(1024 + log.ops.length * 24);
  // Entries under a deleted prefix, by space: ops there are answered from it.
  const cleared = new Map<string, Set<string>>();
  for (const d of log.prefixDeletes) {
    redo.prefixDelete(d.store, d.prefix);
    const seen = new Set<string>();
    const spaceId = complexPrefixId(d.store, d.prefix);
    const iter = kv.list<unknown>({
      prefix: complexPrefixKey(fn, d.store, d.prefix),
    }, { batchSize: 500 });
    for await (const entry of iter) {
      const userKey = entry.key[entry.key.length - 1] as Uint8Array;
      seen.add(bytesId(userKey));
      undo.space(spaceId, d.store, d.prefix);
      undo.op(userKey, await valueOf(kv, fn, entry.value));
    }
    cleared.set(spaceId, seen);
  }
  // Per op: its live value (bytes, or a known bytesId string), null when
  // absent, undefined when the prefix entries already hold it.
  const pre: (Uint8Array | string | null | undefined)[] = new Array(
    log.ops.length,
  );
  const segments: Segment[] = [];
  const { ids, spaces } = logIndex(log);
  for (const space of spaces) {
    const clearedHere = cleared.get(space.id);
    if (clearedHere) {
      for (let i = space.start; i < space.end; i++) {
        if (!clearedHere.has(ids[i])) pre[i] = null;
      }
      continue;
    }
    const knownHere = known?.space(space.id);
    const prefix = spacePrefix(fn, log.ops[space.start]);
    let current: Segment = { prefix, ops: [] };
    segments.push(current);
    for (let i = space.start; i < space.end; i++) {
      const value = knownHere?.get(ids[i]);
      if (value !== undefined) {
        pre[i] = value;
        continue;
      }
      pre[i] = null;
      if (current.ops.length === SEGMENT) {
        segments.push(current = { prefix, ops: [] });
      }
      current.ops.push(i);
    }
  }
  let next = 0;
  const reader = async () => {
    while (next < segments.length) {
      await readSegment(kv, fn, { segment: segments[next++], log, pre });
    }
  };
  await Promise.all(Array.from({ length: READERS }, reader));
  for (const space of spaces) {
    const first = log.ops[space.start];
    const prefix = prefixOfKey(first.key);
    redo.space(space.id, first.store, prefix);
    for (let i = space.start; i < space.end; i++) {
      const op = log.ops[i];
      const userKey = userKeyOf(op);
      redo.op(userKey, op.value);
      const value = pre[i];
      if (value === undefined) continue;
      undo.space(space.id, first.store, prefix);
      undo.op(userKey, value);
    }
  }
  if (log.positions !== null) redo.positions(log.positions);
  return { redo: redo.result(), undo: undo.result() };
}

/** Reads the live values of one segment's keys into `pre` (null when absent). */
async function readSegment(
  kv: Deno.Kv,
  fn: string,
  target: {
    segment: Segment;
    log: RedoLog;
    pre: (Uint8Array | string | null | undefined)[];
  },
): Promise<void> {
  const { segment: { prefix, ops }, log, pre } = target;
  if (ops.length === 0) return;
  const keyAt = (j: number) => userKeyOf(log.ops[ops[j]]);
  const last = keyAt(ops.length - 1);
  // The smallest byte string after `last`: nothing sorts in between.
  const end = new Uint8Array(last.length + 1);
  end.set(last);
  const limit = ops.length * SCAN_FACTOR + 16;
  const iter = kv.list<unknown>(
    { start: [...prefix, keyAt(0)], end: [...prefix, end] },
    { limit, batchSize: Math.min(limit, 1000) },
  );
  let j = 0;
  let scanned = 0;
  let bytes = 0;
  for await (const entry of iter) {
    scanned++;
    const key = entry.key[entry.key.length - 1] as Uint8Array;
    const value = entry.value;
    // Keys of the segment the scan went past are absent.
    while (j < ops.length && compareBytes(keyAt(j), key) < 0) j++;
    if (j < ops.length && compareBytes(keyAt(j), key) === 0) {
      // Inline bytes need no await (the hot path of a cold checkpoint).
      pre[ops[j++]] = value instanceof Uint8Array
        ? value
        : await decodeValue(kv, fn, value);
    }
    bytes += value instanceof Uint8Array ? value.length : 64;
    if (bytes > SCAN_BYTES) break;
  }
  if (scanned < limit && bytes <= SCAN_BYTES) return;
  // The range is sparse in changed keys: read the rest one by one.
  for (let at = j; at < ops.length; at += GET_MANY) {
    const slice = ops.slice(at, at + GET_MANY);
    const entries = await kv.getMany<unknown[]>(
      slice.map((i) => [...prefix, userKeyOf(log.ops[i])]),
    );
    for (const [n, e] of entries.entries()) {
      pre[slice[n]] = await valueOf(kv, fn, e.value);
    }
  }
}
