/**
 * Taking a checkpoint in Deno KV, in two phases:
 *
 * - prepare: a `staging` record, then the checkpoint's data as packed
 *   chunks (redo log, undo log, positions, operator bytes) in a few large
 *   atomic writes, then the record flipped to `prepared`: the commit point
 *   of the prepare. Live keys are untouched.
 * - complete: one atomic write flips the record to `complete` and sets the
 *   function's marker to `{ kind: "checkpoint", id }` (the commit point);
 *   the redo log is then applied to the live keys in atomic batches and the
 *   marker deleted last. A crash in between is finished by recovery from
 *   the stored redo log, exactly like a large commit.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { CheckpointData, CheckpointInfo } from "../core/mod.ts";
import {
  checkpointCounterKey,
  checkpointDataPrefix,
  checkpointKey,
  markerKey,
} from "./key_codec.ts";
import { AtomicBatcher } from "./_atomic_batcher.ts";
import { chunkHeader, chunkSets } from "./_chunks.ts";
import { copyPositions, encodePositions } from "./_positions.ts";
import { netEffect, type RedoLog } from "./_redo_log.ts";
import { decodeRedoLog } from "./_redo_codec.ts";
import { applyRedoLog, type FnCache, type Marker } from "./_kv_apply.ts";
import { APPLY_IN_FLIGHT, type FaultHook } from "./_kv_commit.ts";
import { checkpointLogs } from "./_preimages.ts";
import type { KnownValues } from "./_known_values.ts";
import {
  type CheckpointParts,
  type CheckpointRecord,
  deleteCheckpoints,
  isCheckpointRecord,
  listRecords,
  readPart,
} from "./_checkpoint_record.ts";

/** What every checkpoint step needs of one function. */
export interface CheckpointContext {
  /** The KV. */
  kv: Deno.Kv;
  /** Function name. */
  fn: string;
  /** The function's chunk cache (updated by applies). */
  cache: FnCache;
  /** Test-only crash injection. */
  fault?: FaultHook;
  /** Live values known without a read, or null. */
  known: KnownValues | null;
}

/** A prepared checkpoint's redo log kept in memory, so completing it needs no decode. */
export interface PreparedLog {
  /** Checkpoint id. */
  id: number;
  /** Its redo log. */
  log: RedoLog;
}

/** Reserves the next checkpoint id; the counter survives restores and prunes. */
export async function reserveCheckpointId(
  kv: Deno.Kv,
  fn: string,
): Promise<number> {
  const entry = await kv.get<unknown>(checkpointCounterKey(fn));
  const last = typeof entry.value === "number" ? entry.value : 0;
  const result = await kv.atomic().check(entry)
    .set(checkpointCounterKey(fn), last + 1).commit();
  if (!result.ok) {
    throw new FsError(
      "CONFLICT",
      `Cannot reserve a checkpoint id of function "${fn}" as another writer changed the counter: ` +
        `current value is ${last}`,
    );
  }
  return last + 1;
}

/** Makes a checkpoint durable and `prepared`; returns its info and redo log. */
export async function prepareKv(
  ctx: CheckpointContext,
  data: CheckpointData,
): Promise<{ info: CheckpointInfo; prepared: PreparedLog }> {
  const { kv, fn, fault } = ctx;
  const { id } = data;
  const records = await listRecords(kv, fn);
  const open = records.find((r) =>
    r.phase === "prepared" || r.phase === "staging"
  );
  if (open) {
    throw new FsError(
      "CONFLICT",
      `Cannot prepare checkpoint ${id} of function "${fn}" as checkpoint ${open.id} is prepared: ` +
        `current value is ${open.phase}`,
    );
  }
  const counter = (await kv.get<unknown>(checkpointCounterKey(fn))).value;
  const reserved = typeof counter === "number" ? counter : 0;
  const newest = records.at(-1)?.id ?? 0;
  if (id > reserved || id <= newest) {
    throw new FsError(
      "BAD_REQUEST",
      `Cannot prepare checkpoint ${id} of function "${fn}" as nextCheckpointId did not reserve it: ` +
        `current value is ${id} (last reserved ${reserved}, newest stored ${newest})`,
    );
  }
  const log = netEffect(data.mutations, data.positions);
  const record: CheckpointRecord = {
    id,
    phase: "staging",
    createdAtMs: data.createdAtMs,
    token: data.token,
    sizeBytes: 0,
    parts: null,
  };
  await kv.set(checkpointKey(fn, id), record);
  const logs = await checkpointLogs(kv, fn, { log, known: ctx.known });
  const bytes = {
    r: logs.redo,
    u: logs.undo,
    p: encodePositions(data.positions),
    o: data.operatorData,
  };
  const batcher = new AtomicBatcher(kv, {
    beforeCommit: () => fault?.("staging", fn),
    inFlight: APPLY_IN_FLIGHT,
  });
  for (const part of ["r", "u", "p", "o"] as const) {
    const b = bytes[part];
    if (!b) continue;
    for (const m of chunkSets(checkpointDataPrefix(fn, id, part), b)) {
      await batcher.add(m);
    }
  }
  await batcher.flush();
  const parts: CheckpointParts = {
    redo: chunkHeader(`${id}.r`, bytes.r.length),
    undo: chunkHeader(`${id}.u`, bytes.u.length),
    positions: chunkHeader(`${id}.p`, bytes.p.length),
    operatorData: bytes.o ? chunkHeader(`${id}.o`, bytes.o.length) : null,
  };
  record.phase = "prepared";
  record.parts = parts;
  record.sizeBytes = bytes.r.length + bytes.u.length + bytes.p.length +
    (bytes.o?.length ?? 0);
  await kv.set(checkpointKey(fn, id), record);
  await fault?.("prepared", fn);
  const info: CheckpointInfo = {
    id,
    createdAtMs: record.createdAtMs,
    sizeBytes: record.sizeBytes,
    positions: copyPositions(data.positions),
    token: record.token,
  };
  return { info, prepared: { id, log } };
}

/**
 * Completes a prepared checkpoint: marks it complete, then applies its redo
 * log, recording it in the known values as it goes. When the apply fails
 * the caller must clear the known values (recovery does).
 */
export async function completeKv(
  ctx: CheckpointContext,
  target: { id: number; prepared: PreparedLog | null },
): Promise<void> {
  const { kv, fn, cache, fault } = ctx;
  const { id } = target;
  const entry = await kv.get<unknown>(checkpointKey(fn, id));
  const record = entry.value;
  if (
    !isCheckpointRecord(record) || record.phase !== "prepared" || !record.parts
  ) {
    throw new FsError(
      "NOT_FOUND",
      `Cannot complete checkpoint ${id} of function "${fn}" as it is not prepared: ` +
        `current value is ${
          isCheckpointRecord(record) ? record.phase : "no such checkpoint"
        }`,
    );
  }
  const log = target.prepared?.id === id ? target.prepared.log : decodeRedoLog(
    await readPart(kv, fn, { id, part: "r", header: record.parts.redo }),
  );
  const marker: Marker = { kind: "checkpoint", id, header: record.parts.redo };
  const result = await kv.atomic().check(entry)
    .set(checkpointKey(fn, id), { ...record, phase: "complete" })
    .set(markerKey(fn), marker)
    .commit();
  if (!result.ok) {
    throw new FsError(
      "CONFLICT",
      `Cannot complete checkpoint ${id} of function "${fn}" as another writer changed it: ` +
        `current value is ok=false`,
    );
  }
  await fault?.("marked", fn);
  const batcher = new AtomicBatcher(kv, {
    beforeCommit: () => fault?.("applying", fn),
    inFlight: APPLY_IN_FLIGHT,
  });
  const apply = async () => {
    await applyRedoLog(kv, fn, { id: `c${id}`, log, cache, batcher });
    await batcher.add({ type: "delete", key: markerKey(fn) });
    await batcher.flush();
  };
  // The apply mostly waits for Deno KV: the known values are updated meanwhile.
  const applying = apply();
  const [applied] = await Promise.allSettled([
    applying,
    ctx.known?.appliedInSlices(log, { alongside: applying }),
  ]);
  if (applied.status === "rejected") throw applied.reason;
}

/** Discards a prepared (or half-prepared) checkpoint; anything else is left alone. */
export async function abortKv(
  ctx: CheckpointContext,
  id: number,
): Promise<void> {
  const { kv, fn, fault } = ctx;
  const record = (await kv.get<unknown>(checkpointKey(fn, id))).value;
  if (
    !isCheckpointRecord(record) ||
    (record.phase !== "prepared" && record.phase !== "staging")
  ) {
    return;
  }
  const batcher = new AtomicBatcher(kv, {
    beforeCommit: () => fault?.("deleting", fn),
  });
  await deleteCheckpoints(kv, fn, { records: [record], batcher });
}
