/**
 * Writes to the live keys of one function in Deno KV: applying a redo log,
 * deleting prefixes page by page, replacing chunked values, dropping all.
 * Every write here is idempotent, so a crashed apply can simply run again.
 * @module
 */
import { FsError } from "../core/mod.ts";
import {
  bigIndexKey,
  bigIndexPrefix,
  bytesPartSize,
  chunkPrefix,
  complexPrefixKey,
  encodedKeySize,
  functionPrefix,
  liveKey,
  markerKey,
  parseStateKey,
  positionsKey,
  stateKeyId,
} from "./key_codec.ts";
import { CHUNK_BYTES } from "./limits.ts";
import {
  chunkDeletes,
  type ChunkHeader,
  chunkHeader,
  chunkSets,
  isChunkHeader,
} from "./_chunks.ts";
import type { AtomicBatcher, KvMutation } from "./_atomic_batcher.ts";
import type { RedoLog } from "./_redo_log.ts";
import { sameSpace } from "./_log_index.ts";
import { encodePositions } from "./_positions.ts";

/** What the backend remembers about a function's chunked values (rebuilt from KV on recovery). */
export interface FnCache {
  /** Header of every chunked state value, by {@link stateKeyId}. */
  big: Map<string, ChunkHeader>;
  /** Header of the positions record when it is chunked. */
  positions: ChunkHeader | null;
}

/**
 * The marker at `markerKey(fn)`: a commit to apply (a restore also drops the
 * checkpoints after `truncateAfter`), a completed checkpoint whose redo log
 * is still to apply, or a drop to finish.
 */
export type Marker =
  | { kind: "commit"; header: ChunkHeader; truncateAfter?: number }
  | { kind: "checkpoint"; id: number; header: ChunkHeader }
  | { kind: "drop" };

/** Whether a stored value is a {@link Marker}. */
export function isMarker(value: unknown): value is Marker {
  const m = value as Marker | null;
  if (m?.kind === "drop") return true;
  if (m?.kind === "checkpoint") {
    return Number.isSafeInteger(m.id) && isChunkHeader(m.header);
  }
  return m?.kind === "commit" && isChunkHeader(m.header) &&
    (m.truncateAfter === undefined || Number.isSafeInteger(m.truncateAfter));
}

const PAGE = 200;

/** Loads the index of chunked values and the positions header of a function. */
export async function loadFnCache(kv: Deno.Kv, fn: string): Promise<FnCache> {
  const big = new Map<string, ChunkHeader>();
  const iter = kv.list<unknown>({ prefix: bigIndexPrefix(fn) }, {
    batchSize: 1000,
  });
  for await (const entry of iter) {
    const parsed = parseStateKey(entry.key);
    if (!parsed || !isChunkHeader(entry.value)) {
      throw new FsError(
        "INTERNAL",
        `Cannot load the chunk index of function "${fn}" as an entry is malformed: ` +
          `current value is ${JSON.stringify(entry.key.map(String))}`,
      );
    }
    big.set(stateKeyId(parsed.store, parsed.key), entry.value);
  }
  const pos = await kv.get<unknown>(positionsKey(fn));
  return { big, positions: isChunkHeader(pos.value) ? pos.value : null };
}

/**
 * Applies a redo log to the live keys. Chunked values get the id
 * `${commitId}.${index}`, the same on every run, so a re-run rewrites the
 * same chunks instead of leaking new ones. On return every operation but the
 * batcher's pending one has landed.
 */
export async function applyRedoLog(
  kv: Deno.Kv,
  fn: string,
  commit: { id: string; log: RedoLog; cache: FnCache; batcher: AtomicBatcher },
): Promise<void> {
  const { id, log, cache, batcher } = commit;
  for (const d of log.prefixDeletes) {
    await deleteLivePrefix(
      kv,
      fn,
      { prefix: complexPrefixKey(fn, d.store, d.prefix), cache, batcher },
    );
  }
  // With several operations in flight, the prefix deletes must land before
  // any put under their prefix.
  if (log.prefixDeletes.length > 0) await batcher.drain();
  let spaceBytes = 0;
  for (let i = 0; i < log.ops.length; i++) {
    const op = log.ops[i];
    const live = liveKey(fn, op.store, op.key);
    if (i === 0 || !sameSpace(log.ops[i - 1], op)) {
      spaceBytes = encodedKeySize(live.slice(0, -1));
    }
    const big = op.value !== null && op.value.length > CHUNK_BYTES;
    // Most functions have no chunked value: skip the id then (hot loop).
    if (!big && cache.big.size === 0) {
      await batcher.add(
        op.value === null
          ? { type: "delete", key: live }
          : { type: "set", key: live, value: op.value },
        spaceBytes + bytesPartSize(live[live.length - 1] as Uint8Array),
      );
      continue;
    }
    const keyId = stateKeyId(op.store, op.key);
    const header = await writeSlot(fn, batcher, {
      live,
      index: bigIndexKey(fn, op.store, op.key),
      old: cache.big.get(keyId) ?? null,
      value: op.value,
      valueId: `${id}.${i}`,
    });
    if (header) cache.big.set(keyId, header);
    else cache.big.delete(keyId);
  }
  if (log.positions !== null) {
    cache.positions = await writeSlot(fn, batcher, {
      live: positionsKey(fn),
      index: null,
      old: cache.positions,
      value: encodePositions(log.positions),
      valueId: `${id}.p`,
    });
  }
  // Whatever the caller adds next (the marker's delete) lands after all of it.
  await batcher.drain();
}

interface Slot {
  live: Deno.KvKey;
  index: Deno.KvKey | null;
  old: ChunkHeader | null;
  value: Uint8Array | null;
  valueId: string;
}

/**
 * Sets or deletes one value. The live key, its index entry and the deletes
 * of the old chunks go in one atomic operation, so they never disagree.
 * Returns the new header when the value is chunked.
 */
async function writeSlot(
  fn: string,
  batcher: AtomicBatcher,
  slot: Slot,
): Promise<ChunkHeader | null> {
  const { live, index, old, value } = slot;
  const group: KvMutation[] = [];
  let header: ChunkHeader | null = null;
  if (value === null) group.push({ type: "delete", key: live });
  else if (value.length <= CHUNK_BYTES) {
    group.push({ type: "set", key: live, value });
  } else {
    header = chunkHeader(slot.valueId, value.length);
    for (const m of chunkSets(chunkPrefix(fn, header.id), value)) {
      await batcher.add(m);
    }
    group.push({ type: "set", key: live, value: header });
    if (index) group.push({ type: "set", key: index, value: header });
  }
  if (old && old.id !== header?.id) {
    if (index && !header) group.push({ type: "delete", key: index });
    group.push(...chunkDeletes(chunkPrefix(fn, old.id), old));
  }
  await batcher.group(group);
  return header;
}

/** Deletes every live key under a prefix, page by page, with the chunks of chunked values. */
async function deleteLivePrefix(
  kv: Deno.Kv,
  fn: string,
  target: { prefix: Deno.KvKey; cache: FnCache; batcher: AtomicBatcher },
): Promise<void> {
  const { prefix, cache, batcher } = target;
  const iter = kv.list<unknown>({ prefix }, { batchSize: PAGE });
  for await (const entry of iter) {
    const parsed = parseStateKey(entry.key);
    if (!isChunkHeader(entry.value) || !parsed) {
      await batcher.add({ type: "delete", key: entry.key });
      continue;
    }
    await batcher.group([
      { type: "delete", key: entry.key },
      { type: "delete", key: bigIndexKey(fn, parsed.store, parsed.key) },
      ...chunkDeletes(chunkPrefix(fn, entry.value.id), entry.value),
    ]);
    cache.big.delete(stateKeyId(parsed.store, parsed.key));
  }
}

/** Deletes every key of a function but its marker, then the marker (the drop's commit point is the marker's write). */
export async function dropAll(
  kv: Deno.Kv,
  fn: string,
  options: { batcher: AtomicBatcher },
): Promise<void> {
  const { batcher } = options;
  const marker = markerKey(fn);
  const iter = kv.list({ prefix: functionPrefix(fn) }, { batchSize: PAGE });
  for await (const entry of iter) {
    if (entry.key.length === marker.length && entry.key[2] === marker[2]) {
      continue;
    }
    await batcher.add({ type: "delete", key: entry.key });
  }
  await batcher.add({ type: "delete", key: marker });
  await batcher.flush();
}
