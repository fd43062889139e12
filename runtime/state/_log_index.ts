/**
 * What a checkpoint needs to know about a redo log's ops beyond the ops
 * themselves: the id of each op's user key and the runs of ops that share a
 * key space. netEffect computes both while it folds, and keeps them here so
 * that taking undo images and recording known values never rebuild them
 * (100k string builds each time). A decoded log gets them on demand.
 * @module
 */
import type { StateKey } from "../core/mod.ts";
import { bytesId, compareBytes, complexPrefixId } from "./key_codec.ts";
import type { RedoLog, RedoOp } from "./_redo_log.ts";

/** A run of ops in one key space: ops[start] to ops[end - 1]. */
export interface LogSpace {
  /** The space id ({@link spaceIdOf}). */
  id: string;
  /** First op. */
  start: number;
  /** One past the last op. */
  end: number;
}

/** The ids and spaces of a log's ops. */
export interface LogIndex {
  /** bytesId of each op's user key (the simple key or the ComplexKey's user key). */
  ids: string[];
  /** The runs of ops per key space, in op order. */
  spaces: LogSpace[];
}

const spacesOf = new WeakMap<RedoLog, LogSpace[]>();
const idsOf = new WeakMap<RedoLog, string[]>();

/** The id of a key's listable space: a store's simple keys or one ComplexKey prefix. */
export function spaceIdOf(store: string, key: StateKey): string {
  return key.kind === "simple"
    ? `s${store.length}:${store}`
    : complexPrefixId(store, key);
}

/** The user key of an op. */
export function userKeyOf(op: RedoOp): Uint8Array {
  return op.key.kind === "simple" ? op.key.key : op.key.userKey;
}

/** Whether two ops are in the same key space (store and prefix). */
export function sameSpace(a: RedoOp, b: RedoOp): boolean {
  if (a.store !== b.store || a.key.kind !== b.key.kind) return false;
  if (a.key.kind === "simple" || b.key.kind === "simple") return true;
  return compareBytes(a.key.keyGroup, b.key.keyGroup) === 0 &&
    compareBytes(a.key.key, b.key.key) === 0 &&
    compareBytes(a.key.namespace, b.key.namespace) === 0;
}

/** Records the index netEffect built for a log. */
export function rememberIndex(log: RedoLog, index: LogIndex): void {
  spacesOf.set(log, index.spaces);
  idsOf.set(log, index.ids);
}

/** The runs of a log's ops per key space: the ones netEffect found, else found now. */
export function logSpaces(log: RedoLog): LogSpace[] {
  let spaces = spacesOf.get(log);
  if (spaces) return spaces;
  spaces = [];
  for (let i = 0; i < log.ops.length; i++) {
    const op = log.ops[i];
    if (i === 0 || !sameSpace(log.ops[i - 1], op)) {
      spaces.push({ id: spaceIdOf(op.store, op.key), start: i, end: i + 1 });
    } else spaces[spaces.length - 1].end = i + 1;
  }
  spacesOf.set(log, spaces);
  return spaces;
}

/** The index of a log: the one netEffect built, else built now (one pass over the ops each). */
export function logIndex(log: RedoLog): LogIndex {
  const spaces = logSpaces(log);
  let ids = idsOf.get(log);
  if (!ids) {
    ids = log.ops.map((op) => bytesId(userKeyOf(op)));
    idsOf.set(log, ids);
  }
  return { ids, spaces };
}
