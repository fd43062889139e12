/**
 * Chunking of byte strings larger than one Deno KV value. A chunked value is
 * a small header (stored where the value would be) naming an id; its chunks
 * live at `[...chunkPrefix, i]` for i in 0..count-1. Used by state values,
 * the staged redo log and the blob store.
 * @module
 */
import { CHUNK_BYTES } from "./limits.ts";
import type { KvMutation } from "./_atomic_batcher.ts";

/** The header of a chunked value. */
export interface ChunkHeader {
  /** Marks the object as a header (values themselves are Uint8Array). */
  chunked: true;
  /** Names the chunks; a new id for every write, so old and new chunks never mix. */
  id: string;
  /** Number of chunks. */
  count: number;
  /** Total size in bytes. */
  size: number;
}

/** Whether a stored Deno KV value is a chunk header. */
export function isChunkHeader(value: unknown): value is ChunkHeader {
  if (typeof value !== "object" || value === null) return false;
  const h = value as Record<string, unknown>;
  return h.chunked === true && typeof h.id === "string" &&
    typeof h.count === "number" && typeof h.size === "number";
}

/** The header for `size` bytes stored under `id`. */
export function chunkHeader(id: string, size: number): ChunkHeader {
  return { chunked: true, id, count: Math.ceil(size / CHUNK_BYTES), size };
}

/** The `set` mutations that store the chunks of `bytes` under `prefix` (views, no copies). */
export function chunkSets(prefix: Deno.KvKey, bytes: Uint8Array): KvMutation[] {
  const sets: KvMutation[] = [];
  for (let i = 0, at = 0; at < bytes.length; i++, at += CHUNK_BYTES) {
    sets.push({
      type: "set",
      key: [...prefix, i],
      value: bytes.subarray(at, at + CHUNK_BYTES),
    });
  }
  return sets;
}

/** The `delete` mutations that remove the chunks a header names. */
export function chunkDeletes(
  prefix: Deno.KvKey,
  header: ChunkHeader,
): KvMutation[] {
  const deletes: KvMutation[] = [];
  for (let i = 0; i < header.count; i++) {
    deletes.push({ type: "delete", key: [...prefix, i] });
  }
  return deletes;
}

/**
 * Reads and joins the chunks a header names. Returns null when a chunk is
 * missing or the sizes disagree, so a damaged value is never returned.
 */
export async function readChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  header: ChunkHeader,
): Promise<Uint8Array | null> {
  const out = new Uint8Array(header.size);
  let next = 0;
  let at = 0;
  const iter = kv.list<unknown>({ prefix }, {
    batchSize: Math.max(1, Math.min(header.count, 500)),
  });
  for await (const entry of iter) {
    const index = entry.key[entry.key.length - 1];
    if (index !== next || next >= header.count) break;
    const value = entry.value;
    if (!(value instanceof Uint8Array) || at + value.length > header.size) {
      return null;
    }
    out.set(value, at);
    at += value.length;
    next++;
  }
  return next === header.count && at === header.size ? out : null;
}
