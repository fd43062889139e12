/**
 * The commit protocol of the Deno KV backend: the one-operation fast path,
 * the staged redo log with its marker (the commit point), and recovery of
 * whatever a crash interrupted (commits, checkpoints, restores, drops).
 * @module
 */
import { FsError } from "../core/mod.ts";
import {
  checkpointDataPrefix,
  liveKey,
  markerKey,
  positionsKey,
  stagingPrefix,
  stateKeyId,
} from "./key_codec.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { chunkDeletes, chunkHeader, chunkSets, readChunks } from "./_chunks.ts";
import {
  AtomicBatcher,
  fitsOneAtomic,
  type KvMutation,
} from "./_atomic_batcher.ts";
import type { RedoLog } from "./_redo_log.ts";
import { decodeRedoLog, encodeRedoLog } from "./_redo_codec.ts";
import { encodePositions } from "./_positions.ts";
import {
  applyRedoLog,
  dropAll,
  type FnCache,
  isMarker,
  loadFnCache,
  type Marker,
} from "./_kv_apply.ts";
import {
  collectCheckpoints,
  deleteCheckpoints,
  listRecords,
} from "./_checkpoint_record.ts";

/** A point of the commit and checkpoint protocols where tests may inject a crash. */
export type FaultPoint =
  /** The redo log is staged; the marker is not written yet. */
  | "staged"
  /** The marker is written; nothing is applied yet. */
  | "marked"
  /** Before each atomic operation of the apply step. */
  | "applying"
  /** Before each atomic operation that stages a checkpoint's data. */
  | "staging"
  /** A checkpoint is prepared (its record says so); it is not complete. */
  | "prepared"
  /** Before each atomic operation that deletes checkpoints (prune, abort). */
  | "deleting";

/** A hook called at each {@link FaultPoint}; throwing from it simulates a crash. */
export type FaultHook = (point: FaultPoint, fn: string) => void | Promise<void>;

/**
 * The mutations of a commit that fits one atomic operation and touches no
 * chunked value, or null when it needs the redo log.
 */
export function fastPath(
  fn: string,
  log: RedoLog,
  cache: FnCache,
): KvMutation[] | null {
  if (log.prefixDeletes.length > 0 || log.ops.length >= 1000) return null;
  const mutations: KvMutation[] = [];
  for (const op of log.ops) {
    if (op.value && op.value.length > CHUNK_BYTES) return null;
    if (cache.big.size > 0 && cache.big.has(stateKeyId(op.store, op.key))) {
      return null;
    }
    const key = liveKey(fn, op.store, op.key);
    mutations.push(
      op.value
        ? { type: "set", key, value: op.value }
        : { type: "delete", key },
    );
  }
  if (log.positions) {
    const value = encodePositions(log.positions);
    if (value.length > CHUNK_BYTES || cache.positions) return null;
    mutations.push({ type: "set", key: positionsKey(fn), value });
  }
  return fitsOneAtomic(mutations) ? mutations : null;
}

/** Atomic operations of an apply step committing at once (see AtomicBatcher); 3 measured best of 1-4. */
export const APPLY_IN_FLIGHT = 3;

/**
 * Commits a redo log of any size: stage, mark (the commit point), apply,
 * clean up. With `truncateAfter` (a restore), the checkpoints after that id
 * are deleted before the marker goes, so a crash cannot keep them.
 */
export async function commitLogged(
  kv: Deno.Kv,
  fn: string,
  commit: {
    log: RedoLog;
    cache: FnCache;
    fault?: FaultHook;
    truncateAfter?: number;
  },
): Promise<void> {
  const { log, cache, fault, truncateAfter } = commit;
  const id = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const bytes = encodeRedoLog(log);
  const header = chunkHeader(id, bytes.length);
  const stage = new AtomicBatcher(kv);
  for (const m of chunkSets(stagingPrefix(fn, id), bytes)) await stage.add(m);
  await stage.flush();
  await fault?.("staged", fn);
  const marker: Marker = truncateAfter === undefined
    ? { kind: "commit", header }
    : { kind: "commit", header, truncateAfter };
  await kv.set(markerKey(fn), marker);
  await fault?.("marked", fn);
  const batcher = new AtomicBatcher(kv, {
    beforeCommit: () => fault?.("applying", fn),
    inFlight: APPLY_IN_FLIGHT,
  });
  await applyRedoLog(kv, fn, { id, log, cache, batcher });
  if (truncateAfter !== undefined) {
    await truncateCheckpoints(kv, fn, { after: truncateAfter, batcher });
  }
  // The marker goes with (or after) the last applied change, then the log.
  await batcher.add({ type: "delete", key: markerKey(fn) });
  for (const m of chunkDeletes(stagingPrefix(fn, id), header)) {
    await batcher.add(m);
  }
  await batcher.flush();
}

/** Deletes every checkpoint (of any phase) whose id is greater than `after`. */
export async function truncateCheckpoints(
  kv: Deno.Kv,
  fn: string,
  options: { after: number; batcher: AtomicBatcher },
): Promise<void> {
  const records = (await listRecords(kv, fn)).filter((r) =>
    r.id > options.after
  );
  await deleteCheckpoints(kv, fn, { records, batcher: options.batcher });
}

/**
 * Brings a function's keys to a committed state after a crash: finishes a
 * drop, re-applies a marked redo log (of a commit, restore or completed
 * checkpoint), deletes unmarked staging and half-written or half-deleted
 * checkpoints. Returns the function's chunk cache, loaded from KV.
 */
export async function recoverFunction(
  kv: Deno.Kv,
  fn: string,
): Promise<FnCache> {
  const marker = (await kv.get<unknown>(markerKey(fn))).value;
  if (marker !== null && !isMarker(marker)) {
    throw new FsError(
      "INTERNAL",
      `Cannot recover the state of function "${fn}" as its marker is unknown: ` +
        `current value is ${JSON.stringify(marker)}`,
    );
  }
  const batcher = new AtomicBatcher(kv);
  if (marker?.kind === "drop") {
    await dropAll(kv, fn, { batcher });
    return { big: new Map(), positions: null };
  }
  const cache = await loadFnCache(kv, fn);
  if (marker?.kind === "commit") {
    const { header } = marker;
    const bytes = await readChunks(kv, stagingPrefix(fn, header.id), header);
    if (!bytes) throw incomplete(fn, `commit ${header.id}`, header.count);
    const log = decodeRedoLog(bytes);
    await applyRedoLog(kv, fn, { id: header.id, log, cache, batcher });
    if (marker.truncateAfter !== undefined) {
      await truncateCheckpoints(kv, fn, {
        after: marker.truncateAfter,
        batcher,
      });
    }
    await batcher.add({ type: "delete", key: markerKey(fn) });
  }
  if (marker?.kind === "checkpoint") {
    const { id, header } = marker;
    const prefix = checkpointDataPrefix(fn, id, "r");
    const bytes = await readChunks(kv, prefix, header);
    if (!bytes) throw incomplete(fn, `checkpoint ${id}`, header.count);
    const log = decodeRedoLog(bytes);
    await applyRedoLog(kv, fn, { id: `c${id}`, log, cache, batcher });
    await batcher.add({ type: "delete", key: markerKey(fn) });
  }
  const staged = kv.list({ prefix: stagingPrefix(fn) }, { batchSize: 100 });
  for await (const entry of staged) {
    await batcher.add({ type: "delete", key: entry.key });
  }
  await batcher.flush();
  await collectCheckpoints(kv, fn, { batcher });
  return cache;
}

function incomplete(fn: string, what: string, count: number): FsError {
  return new FsError(
    "INTERNAL",
    `Cannot re-apply ${what} of function "${fn}" as its staged log is incomplete: ` +
      `current value is ${count} chunks expected`,
  );
}
