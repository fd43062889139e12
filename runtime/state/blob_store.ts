/**
 * Byte blobs of any size (up to a limit) under a caller-given key prefix in
 * Deno KV, for data such as uploaded module sources that may exceed one KV
 * value. Layout under `prefix`:
 *
 * ```
 * [...prefix, "h"]          header: { chunked, id, count, size } of the current blob
 * [...prefix, "k", id, i]   chunk i of the blob written with `id`
 * [...prefix, "w", id]      a write in progress (its chunks are not current yet)
 * ```
 *
 * A write stores its chunks under a fresh id, then flips the header in one
 * atomic operation: readers see the old blob or the new one, never a mix.
 * Chunks left by a crashed write are collected by the next write or delete.
 * @module
 */
import { FsError } from "../core/mod.ts";
import {
  AtomicBatcher,
  fitsOneAtomic,
  type KvMutation,
} from "./_atomic_batcher.ts";
import {
  chunkDeletes,
  type ChunkHeader,
  chunkHeader,
  chunkSets,
  isChunkHeader,
  readChunks,
} from "./_chunks.ts";
import { checkKeySize } from "./key_codec.ts";

/** Largest blob accepted by default: 64 MiB. */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;

/** Options for {@link writeBlob}. */
export interface WriteBlobOptions {
  /**
   * Largest blob accepted, in bytes.
   * @default MAX_BLOB_BYTES
   */
  maxBytes?: number;
}

const RETRIES = 8;

const headerKey = (prefix: Deno.KvKey): Deno.KvKey => [...prefix, "h"];
const chunksOf = (
  prefix: Deno.KvKey,
  id: string,
): Deno.KvKey => [...prefix, "k", id];
const pendingKey = (
  prefix: Deno.KvKey,
  id: string,
): Deno.KvKey => [...prefix, "w", id];

/**
 * Stores `bytes` as the blob at `prefix`, replacing any previous blob
 * atomically as seen by readers. Of concurrent writers the last flip wins.
 */
export async function writeBlob(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  bytes: Uint8Array,
  options: WriteBlobOptions = {},
): Promise<void> {
  const maxBytes = options.maxBytes ?? MAX_BLOB_BYTES;
  if (!(bytes instanceof Uint8Array)) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot store blob as it is not a Uint8Array: current value is ${typeof bytes}`,
    );
  }
  if (bytes.length > maxBytes) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot store blob as it exceeds the ${maxBytes}-byte blob limit: current value is ${bytes.length} bytes`,
    );
  }
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const id = crypto.randomUUID();
    checkKeySize([...chunksOf(prefix, id), 0], "a blob key prefix");
    const batcher = new AtomicBatcher(kv);
    await batcher.add({
      type: "set",
      key: pendingKey(prefix, id),
      value: Date.now(),
    });
    for (const m of chunkSets(chunksOf(prefix, id), bytes)) {
      await batcher.add(m);
    }
    await batcher.flush();
    const header = chunkHeader(id, bytes.length);
    const flipped = await flip(kv, prefix, header);
    if (flipped === undefined) continue;
    if (flipped.old && !flipped.inlined) {
      await deleteChunks(kv, prefix, flipped.old);
    }
    await collectPending(kv, prefix, id);
    return;
  }
  throw new FsError(
    "UNAVAILABLE",
    `Cannot store blob as concurrent writers kept replacing it: current value is ${RETRIES} attempts`,
  );
}

interface Replaced {
  /** The header replaced, or null. */
  old: ChunkHeader | null;
  /** Whether the old chunks were deleted together with the header change. */
  inlined: boolean;
}

/**
 * Commits `mutations` (which change the header) if the header and the
 * `pending` record are unchanged, deleting the old chunks in the same
 * operation when they fit. Returns "gone" when `pending` no longer exists
 * and null when another writer got in first (try again).
 */
async function replaceHeader(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  change: { mutations: KvMutation[]; pending?: Deno.KvKey },
): Promise<Replaced | "gone" | null> {
  const keys = change.pending
    ? [headerKey(prefix), change.pending]
    : [headerKey(prefix)];
  const entries = await kv.getMany<unknown[]>(keys);
  if (change.pending && entries[1].versionstamp === null) return "gone";
  const old = isChunkHeader(entries[0].value) ? entries[0].value : null;
  let mutations = change.mutations;
  const withDeletes = old
    ? [...mutations, ...chunkDeletes(chunksOf(prefix, old.id), old)]
    : mutations;
  const inlined = fitsOneAtomic(withDeletes);
  if (inlined) mutations = withDeletes;
  const op = kv.atomic().check(...entries);
  for (const m of mutations) {
    if (m.type === "set") op.set(m.key, m.value);
    else op.delete(m.key);
  }
  return (await op.commit()).ok ? { old, inlined } : null;
}

/**
 * Makes `header` current. Returns what it replaced, or undefined when this
 * write's pending record was collected (the write must restart).
 */
async function flip(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  header: ChunkHeader,
): Promise<Replaced | undefined> {
  const pending = pendingKey(prefix, header.id);
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const replaced = await replaceHeader(kv, prefix, {
      mutations: [{ type: "set", key: headerKey(prefix), value: header }, {
        type: "delete",
        key: pending,
      }],
      pending,
    });
    if (replaced === "gone") return undefined;
    if (replaced) return replaced;
  }
  return undefined;
}

/** Deletes the chunks a replaced header named. */
async function deleteChunks(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  old: ChunkHeader,
): Promise<void> {
  const batcher = new AtomicBatcher(kv);
  for (const m of chunkDeletes(chunksOf(prefix, old.id), old)) {
    await batcher.add(m);
  }
  await batcher.flush();
}

/** Removes chunks of writes that never flipped (crashed or lost), except `keepId`'s. */
async function collectPending(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  keepId?: string,
): Promise<void> {
  for await (const entry of kv.list({ prefix: [...prefix, "w"] })) {
    const id = entry.key[entry.key.length - 1];
    if (typeof id !== "string" || id === keepId) continue;
    // Claim the record first: a writer whose record is gone can no longer flip.
    const claimed = await kv.atomic().check(entry).delete(entry.key).commit();
    if (!claimed.ok) continue;
    const batcher = new AtomicBatcher(kv);
    for await (const chunk of kv.list({ prefix: chunksOf(prefix, id) })) {
      const m: KvMutation = { type: "delete", key: chunk.key };
      await batcher.add(m);
    }
    await batcher.flush();
  }
}

/** Reads the blob at `prefix`, or null when there is none. A damaged blob is an FsError("INTERNAL"). */
export async function readBlob(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
): Promise<Uint8Array | null> {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const current = await kv.get<unknown>(headerKey(prefix));
    if (current.value === null) return null;
    if (!isChunkHeader(current.value)) {
      throw new FsError(
        "INTERNAL",
        `Cannot read blob as its header is malformed: current value is ${typeof current
          .value}`,
      );
    }
    const bytes = await readChunks(
      kv,
      chunksOf(prefix, current.value.id),
      current.value,
    );
    if (bytes) return bytes;
    // A writer may have replaced the blob (and deleted these chunks) meanwhile.
    const again = await kv.get(headerKey(prefix));
    if (again.versionstamp === current.versionstamp) {
      throw new FsError(
        "INTERNAL",
        `Cannot read blob as its chunks are missing or damaged: current value is ${current.value.count} chunks of ${current.value.size} bytes expected`,
      );
    }
  }
  throw new FsError(
    "UNAVAILABLE",
    `Cannot read blob as writers kept replacing it: current value is ${RETRIES} attempts`,
  );
}

/** Deletes the blob at `prefix` (and chunks of crashed writes); deleting a missing blob is a no-op. */
export async function deleteBlob(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
): Promise<void> {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const replaced = await replaceHeader(kv, prefix, {
      mutations: [{ type: "delete", key: headerKey(prefix) }],
    });
    if (replaced === null || replaced === "gone") continue;
    if (replaced.old && !replaced.inlined) {
      await deleteChunks(kv, prefix, replaced.old);
    }
    await collectPending(kv, prefix);
    return;
  }
  throw new FsError(
    "UNAVAILABLE",
    `Cannot delete blob as writers kept replacing it: current value is ${RETRIES} attempts`,
  );
}
