/**
 * Checkpoints of the in-memory backend, the reference model of the Deno KV
 * ones: the same phases, undo images, errors and sizes, kept in plain
 * arrays. It reaches live state only through {@link LiveState}.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type {
  CheckpointData,
  CheckpointInfo,
  ComplexPrefix,
  RestoredCheckpoint,
  SourcePosition,
  StateCommit,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import { stateKeyId } from "./key_codec.ts";
import { copyPositions, encodePositions } from "./_positions.ts";
import { netEffect, type RedoLog, type RedoOp } from "./_redo_log.ts";
import { encodeRedoLog } from "./_redo_codec.ts";

/** What the checkpoints need of the live state of the memory backend. */
export interface LiveState {
  /** The live value of a key, or null. */
  get(fn: string, store: string, key: StateKey): Uint8Array | null;
  /** Every live entry under a ComplexKey prefix. */
  entries(fn: string, store: string, prefix: ComplexPrefix): StateEntry[];
  /** Applies a commit to live state. */
  apply(fn: string, commit: StateCommit): void;
}

interface Stored {
  info: CheckpointInfo;
  phase: "prepared" | "complete";
  log: RedoLog;
  undo: RedoOp[];
  operatorData: Uint8Array | null;
}

interface FnCheckpoints {
  /** Last id reserved. */
  reserved: number;
  /** Prepared and complete checkpoints, oldest first. */
  stored: Stored[];
}

function copyInfo(info: CheckpointInfo): CheckpointInfo {
  return { ...info, positions: copyPositions(info.positions) };
}

function toMutations(ops: RedoOp[]): StateMutation[] {
  return ops.map((op) =>
    op.value === null
      ? { op: "delete", store: op.store, key: op.key }
      : { op: "put", store: op.store, key: op.key, value: op.value }
  );
}

/** The checkpoints of every function of one memory backend. */
export class MemoryCheckpoints {
  readonly #live: LiveState;
  readonly #fns = new Map<string, FnCheckpoints>();

  /** Creates the store over the backend's live state. */
  constructor(live: LiveState) {
    this.#live = live;
  }

  #of(fn: string): FnCheckpoints {
    let c = this.#fns.get(fn);
    if (!c) this.#fns.set(fn, c = { reserved: 0, stored: [] });
    return c;
  }

  /** Reserves the next id. */
  nextId(fn: string): number {
    return ++this.#of(fn).reserved;
  }

  /** Stores a prepared checkpoint with the undo images of live state now. */
  prepare(fn: string, data: CheckpointData): CheckpointInfo {
    const c = this.#of(fn);
    const { id } = data;
    const open = c.stored.find((s) => s.phase === "prepared");
    if (open) {
      throw new FsError(
        "CONFLICT",
        `Cannot prepare checkpoint ${id} of function "${fn}" as checkpoint ${open.info.id} is prepared: ` +
          `current value is prepared`,
      );
    }
    const newest = c.stored.at(-1)?.info.id ?? 0;
    if (id > c.reserved || id <= newest) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot prepare checkpoint ${id} of function "${fn}" as nextCheckpointId did not reserve it: ` +
          `current value is ${id} (last reserved ${c.reserved}, newest stored ${newest})`,
      );
    }
    const log = netEffect(
      structuredClone(data.mutations),
      copyPositions(data.positions),
    );
    const undo = this.#undoOf(fn, log);
    const operatorData = data.operatorData?.slice() ?? null;
    const sizeBytes = encodeRedoLog(log).length +
      encodeRedoLog({ prefixDeletes: [], ops: undo, positions: null }).length +
      encodePositions(data.positions).length + (operatorData?.length ?? 0);
    const info: CheckpointInfo = {
      id,
      createdAtMs: data.createdAtMs,
      sizeBytes,
      positions: copyPositions(data.positions),
      token: data.token,
    };
    c.stored.push({ info, phase: "prepared", log, undo, operatorData });
    return copyInfo(info);
  }

  /** The values a log's changes replace: entries under its prefix deletes, then each key's value. */
  #undoOf(fn: string, log: RedoLog): RedoOp[] {
    const undo: RedoOp[] = [];
    const seen = new Set<string>();
    const idOf = stateKeyId;
    for (const d of log.prefixDeletes) {
      for (const e of this.#live.entries(fn, d.store, d.prefix)) {
        const key: StateKey = { kind: "complex", ...d.prefix, userKey: e.key };
        seen.add(idOf(d.store, key));
        undo.push({ store: d.store, key, value: e.value });
      }
    }
    for (const op of log.ops) {
      if (seen.has(idOf(op.store, op.key))) continue;
      undo.push({
        store: op.store,
        key: op.key,
        value: this.#live.get(fn, op.store, op.key),
      });
    }
    return undo;
  }

  /** Applies a prepared checkpoint to live state and marks it complete. */
  complete(fn: string, id: number): void {
    const s = this.#of(fn).stored.find((s) => s.info.id === id);
    if (s?.phase !== "prepared") {
      throw new FsError(
        "NOT_FOUND",
        `Cannot complete checkpoint ${id} of function "${fn}" as it is not prepared: ` +
          `current value is ${s ? s.phase : "no such checkpoint"}`,
      );
    }
    const { log } = s;
    this.#live.apply(fn, {
      mutations: [
        ...log.prefixDeletes.map((d): StateMutation => ({
          op: "deletePrefix",
          ...d,
        })),
        ...toMutations(log.ops),
      ],
      positions: log.positions ?? undefined,
    });
    s.phase = "complete";
  }

  /** Forgets a prepared checkpoint. */
  abort(fn: string, id: number): void {
    const c = this.#of(fn);
    c.stored = c.stored.filter((s) =>
      !(s.info.id === id && s.phase === "prepared")
    );
  }

  /** The prepared checkpoint, or null. */
  prepared(fn: string): CheckpointInfo | null {
    const s = this.#fns.get(fn)?.stored.find((s) => s.phase === "prepared");
    return s ? copyInfo(s.info) : null;
  }

  /** Complete checkpoints, oldest first. */
  list(fn: string): CheckpointInfo[] {
    return this.#complete(fn).map((s) => copyInfo(s.info));
  }

  /** The latest complete checkpoint with the operator's bytes, or null. */
  latest(fn: string): RestoredCheckpoint | null {
    const s = this.#complete(fn).at(-1);
    if (!s) return null;
    return {
      info: copyInfo(s.info),
      operatorData: s.operatorData?.slice() ?? null,
    };
  }

  #complete(fn: string): Stored[] {
    return (this.#fns.get(fn)?.stored ?? []).filter((s) =>
      s.phase === "complete"
    );
  }

  /** Rewinds live state and positions to checkpoint `id`; later checkpoints go. */
  restore(fn: string, id: number): void {
    const complete = this.#complete(fn);
    const target = complete.find((s) => s.info.id === id);
    if (!target) {
      throw new FsError(
        "NOT_FOUND",
        `Cannot restore checkpoint ${id} of function "${fn}" as it does not exist: ` +
          `current value is ${
            complete.length === 0
              ? "no checkpoints"
              : `checkpoints ${complete.map((s) => s.info.id).join(", ")}`
          }`,
      );
    }
    const later = complete.filter((s) => s.info.id > id).reverse();
    const positions: SourcePosition[] = copyPositions(target.info.positions);
    this.#live.apply(fn, {
      mutations: later.flatMap((s) => toMutations(s.undo)),
      positions,
    });
    const c = this.#of(fn);
    c.stored = c.stored.filter((s) => s.info.id <= id);
  }

  /** Keeps the newest `keep` complete checkpoints. */
  prune(fn: string, keep: number): void {
    const c = this.#fns.get(fn);
    if (!c) return;
    const complete = c.stored.filter((s) => s.phase === "complete");
    const gone = new Set(
      complete.slice(0, Math.max(0, complete.length - keep)),
    );
    c.stored = c.stored.filter((s) => !gone.has(s));
  }

  /** Forgets every checkpoint and the id counter of a function. */
  drop(fn: string): void {
    this.#fns.delete(fn);
  }
}
