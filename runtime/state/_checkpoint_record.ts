/**
 * The record of one checkpoint in Deno KV (`["st", fn, "c", id]`) and the
 * I/O around it that every checkpoint step shares: listing records, reading
 * their parts, and deleting checkpoints crash-safely.
 *
 * A record moves through phases: `staging` (written before any data chunk,
 * so a crash leaves nothing unnamed), `prepared` (the prepare's commit
 * point), `complete` (the complete's commit point, written with the apply
 * marker) and `deleting` (written before its chunks go, so a crash in the
 * middle is finished by recovery).
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { CheckpointInfo } from "../core/mod.ts";
import { checkpointDataPrefix, checkpointKey } from "./key_codec.ts";
import {
  chunkDeletes,
  type ChunkHeader,
  isChunkHeader,
  readChunks,
} from "./_chunks.ts";
import type { AtomicBatcher } from "./_atomic_batcher.ts";
import { decodePositions } from "./_positions.ts";

/** Where a checkpoint is in its life. */
export type CheckpointPhase = "staging" | "prepared" | "complete" | "deleting";

/** The stored record of one checkpoint. */
export interface CheckpointRecord {
  /** Checkpoint id. */
  id: number;
  /** Where it is in its life. */
  phase: CheckpointPhase;
  /** When it was taken, in milliseconds since the epoch. */
  createdAtMs: number;
  /** The attempt's random token. */
  token: string;
  /** Bytes stored for it (all parts). */
  sizeBytes: number;
  /** Its data parts; null while staging. */
  parts: CheckpointParts | null;
}

/** The chunk headers of a checkpoint's data parts. */
export interface CheckpointParts {
  /** The redo log: its state changes and positions. */
  redo: ChunkHeader;
  /** The undo log: the values its changes replaced. */
  undo: ChunkHeader;
  /** Its input positions. */
  positions: ChunkHeader;
  /** The operator's bytes, or null. */
  operatorData: ChunkHeader | null;
}

/** Whether a stored value is a {@link CheckpointRecord}. */
export function isCheckpointRecord(value: unknown): value is CheckpointRecord {
  const r = value as CheckpointRecord | null;
  if (
    typeof r !== "object" || r === null || !Number.isSafeInteger(r.id) ||
    !["staging", "prepared", "complete", "deleting"].includes(r.phase) ||
    typeof r.token !== "string"
  ) {
    return false;
  }
  const p = r.parts;
  return p === null ||
    (isChunkHeader(p.redo) && isChunkHeader(p.undo) &&
      isChunkHeader(p.positions) &&
      (p.operatorData === null || isChunkHeader(p.operatorData)));
}

/** Every checkpoint record of a function, oldest first. */
export async function listRecords(
  kv: Deno.Kv,
  fn: string,
): Promise<CheckpointRecord[]> {
  const out: CheckpointRecord[] = [];
  const iter = kv.list<unknown>({ prefix: checkpointKey(fn) });
  for await (const entry of iter) {
    if (!isCheckpointRecord(entry.value)) {
      throw new FsError(
        "INTERNAL",
        `Cannot read the checkpoints of function "${fn}" as a record is malformed: ` +
          `current value is ${JSON.stringify(entry.key.map(String))}`,
      );
    }
    out.push(entry.value);
  }
  return out;
}

/** Reads one data part of a checkpoint; a missing or damaged chunk is an error. */
export async function readPart(
  kv: Deno.Kv,
  fn: string,
  where: { id: number; part: "r" | "u" | "p" | "o"; header: ChunkHeader },
): Promise<Uint8Array> {
  const { id, part, header } = where;
  const bytes = await readChunks(
    kv,
    checkpointDataPrefix(fn, id, part),
    header,
  );
  if (bytes) return bytes;
  throw new FsError(
    "INTERNAL",
    `Cannot read checkpoint ${id} of function "${fn}" as its "${part}" data is missing or damaged: ` +
      `current value is ${header.count} chunks of ${header.size} bytes expected`,
  );
}

/** What the control plane shows of a record (its positions are read from KV). */
export async function infoOf(
  kv: Deno.Kv,
  fn: string,
  record: CheckpointRecord,
): Promise<CheckpointInfo> {
  const positions = record.parts
    ? decodePositions(
      await readPart(kv, fn, {
        id: record.id,
        part: "p",
        header: record.parts.positions,
      }),
    )
    : [];
  return {
    id: record.id,
    createdAtMs: record.createdAtMs,
    sizeBytes: record.sizeBytes,
    positions,
    token: record.token,
  };
}

/**
 * Deletes checkpoints: one atomic write flips them all to `deleting`, then
 * their chunks go, then their records. A crash at any point leaves records
 * that recovery finishes with this same function.
 */
export async function deleteCheckpoints(
  kv: Deno.Kv,
  fn: string,
  options: { records: CheckpointRecord[]; batcher: AtomicBatcher },
): Promise<void> {
  const { records, batcher } = options;
  if (records.length === 0) return;
  for (const r of records) {
    if (r.phase === "deleting") continue;
    await batcher.add({
      type: "set",
      key: checkpointKey(fn, r.id),
      value: { ...r, phase: "deleting" },
    });
  }
  await batcher.flush();
  for (const r of records) {
    if (r.parts === null) {
      // Staging: which chunks were written is unknown, so list them.
      const iter = kv.list({ prefix: checkpointDataPrefix(fn, r.id) }, {
        batchSize: 100,
      });
      for await (const e of iter) {
        await batcher.add({ type: "delete", key: e.key });
      }
      continue;
    }
    const { redo, undo, positions, operatorData } = r.parts;
    const parts = [["r", redo], ["u", undo], ["p", positions]] as const;
    for (const [part, header] of parts) {
      const prefix = checkpointDataPrefix(fn, r.id, part);
      for (const m of chunkDeletes(prefix, header)) await batcher.add(m);
    }
    if (operatorData) {
      const prefix = checkpointDataPrefix(fn, r.id, "o");
      for (const m of chunkDeletes(prefix, operatorData)) await batcher.add(m);
    }
  }
  await batcher.drain();
  for (const r of records) {
    await batcher.add({ type: "delete", key: checkpointKey(fn, r.id) });
  }
  await batcher.flush();
}

/** Finishes what a crash left of checkpoint records: staging and deleting ones go. */
export async function collectCheckpoints(
  kv: Deno.Kv,
  fn: string,
  options: { batcher: AtomicBatcher },
): Promise<void> {
  const records = (await listRecords(kv, fn)).filter((r) =>
    r.phase === "staging" || r.phase === "deleting"
  );
  await deleteCheckpoints(kv, fn, { records, batcher: options.batcher });
}
