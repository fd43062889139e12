/**
 * A function's checkpoint history in Deno KV: listing, the latest and the
 * prepared checkpoint, pruning, and restoring an older checkpoint.
 *
 * A restore folds the undo logs of every later checkpoint (newest first, so
 * the oldest image of each key wins) into one redo log with the target's
 * positions, and commits it through the commit protocol with
 * `truncateAfter`: the later checkpoints are deleted before its marker, so a
 * crash leaves either the old history or the restored one.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type {
  CheckpointInfo,
  RestoredCheckpoint,
  StateMutation,
} from "../core/mod.ts";
import { AtomicBatcher } from "./_atomic_batcher.ts";
import { decodePositions } from "./_positions.ts";
import { netEffect } from "./_redo_log.ts";
import { decodeRedoLog } from "./_redo_codec.ts";
import { commitLogged } from "./_kv_commit.ts";
import type { CheckpointContext } from "./_kv_checkpoint.ts";
import {
  type CheckpointRecord,
  deleteCheckpoints,
  infoOf,
  listRecords,
  readPart,
} from "./_checkpoint_record.ts";

async function completeRecords(
  kv: Deno.Kv,
  fn: string,
): Promise<CheckpointRecord[]> {
  return (await listRecords(kv, fn)).filter((r) => r.phase === "complete");
}

/** The complete checkpoints of a function, oldest first. */
export async function listKv(
  kv: Deno.Kv,
  fn: string,
): Promise<CheckpointInfo[]> {
  const out: CheckpointInfo[] = [];
  for (const r of await completeRecords(kv, fn)) {
    out.push(await infoOf(kv, fn, r));
  }
  return out;
}

/** The prepared checkpoint of a function, or null. */
export async function preparedKv(
  kv: Deno.Kv,
  fn: string,
): Promise<CheckpointInfo | null> {
  const record = (await listRecords(kv, fn)).find((r) =>
    r.phase === "prepared"
  );
  return record ? await infoOf(kv, fn, record) : null;
}

/** The latest complete checkpoint with the operator's bytes, or null. */
export async function latestKv(
  kv: Deno.Kv,
  fn: string,
): Promise<RestoredCheckpoint | null> {
  const record = (await completeRecords(kv, fn)).at(-1);
  if (!record?.parts) return null;
  const header = record.parts.operatorData;
  return {
    info: await infoOf(kv, fn, record),
    operatorData: header
      ? await readPart(kv, fn, { id: record.id, part: "o", header })
      : null,
  };
}

/** Deletes all but the newest `keep` complete checkpoints. */
export async function pruneKv(
  ctx: CheckpointContext,
  keep: number,
): Promise<void> {
  const { kv, fn, fault } = ctx;
  const complete = await completeRecords(kv, fn);
  const records = complete.slice(0, Math.max(0, complete.length - keep));
  const batcher = new AtomicBatcher(kv, {
    beforeCommit: () => fault?.("deleting", fn),
  });
  await deleteCheckpoints(kv, fn, { records, batcher });
}

/**
 * Rewinds live state and positions to complete checkpoint `id` and deletes
 * every checkpoint after it (a prepared one included).
 */
export async function restoreKv(
  ctx: CheckpointContext,
  id: number,
): Promise<void> {
  const { kv, fn, cache, fault } = ctx;
  const complete = await completeRecords(kv, fn);
  const target = complete.find((r) => r.id === id);
  if (!target?.parts) {
    throw new FsError(
      "NOT_FOUND",
      `Cannot restore checkpoint ${id} of function "${fn}" as it does not exist: ` +
        `current value is ${
          complete.length === 0
            ? "no checkpoints"
            : `checkpoints ${complete.map((r) => r.id).join(", ")}`
        }`,
    );
  }
  const mutations: StateMutation[] = [];
  for (const r of complete.filter((r) => r.id > id).reverse()) {
    const bytes = await readPart(kv, fn, {
      id: r.id,
      part: "u",
      header: r.parts!.undo,
    });
    for (const op of decodeRedoLog(bytes).ops) {
      mutations.push(
        op.value === null
          ? { op: "delete", store: op.store, key: op.key }
          : { op: "put", store: op.store, key: op.key, value: op.value },
      );
    }
  }
  const positions = decodePositions(
    await readPart(kv, fn, { id, part: "p", header: target.parts.positions }),
  );
  // Newest first: the oldest image of a key (its value at `id`) is applied last and wins.
  const log = netEffect(mutations, positions);
  await commitLogged(kv, fn, { log, cache, fault, truncateAfter: id });
}
