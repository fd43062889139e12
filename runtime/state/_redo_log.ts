/**
 * The redo log of one commit or checkpoint: its net effect (prefix deletes
 * first, then at most one put or delete per key, then positions). Every
 * entry is absolute (no read-modify-write), so applying a log again over a
 * partly applied state gives the same result. Its byte encoding is in
 * _redo_codec.ts.
 * @module
 */
import type {
  ComplexPrefix,
  SourcePosition,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import { bytesId, complexPrefixId, prefixOf } from "./key_codec.ts";
import { type LogIndex, rememberIndex } from "./_log_index.ts";

/** Sets (value) or deletes (null) one key. */
export interface RedoOp {
  /** Store name. */
  store: string;
  /** The key. */
  key: StateKey;
  /** New value, or null to delete. */
  value: Uint8Array | null;
}

/** Deletes every user key under a ComplexKey prefix. */
export interface RedoPrefixDelete {
  /** Store name. */
  store: string;
  /** The prefix. */
  prefix: ComplexPrefix;
}

/** The net effect of one commit. */
export interface RedoLog {
  /** Applied first. */
  prefixDeletes: RedoPrefixDelete[];
  /** Applied second; no key appears twice. */
  ops: RedoOp[];
  /** Applied last, when present. */
  positions: SourcePosition[] | null;
}

interface PrefixGroup {
  /** The space id (see _log_index.ts). */
  id: string;
  /** Sorts like the group's keys in Deno KV (see {@link spaceOrder}). */
  order: string;
  cleared: RedoPrefixDelete | null;
  ops: Map<string, RedoOp>;
}

/** Chars of a string or bytes shifted up by one, so "\0" can end a part. */
function shifted(part: string | Uint8Array): string {
  let s = "";
  if (typeof part === "string") {
    for (let i = 0; i < part.length; i++) {
      s += String.fromCharCode(part.charCodeAt(i) + 1);
    }
  } else {
    for (let i = 0; i < part.length; i++) {
      s += String.fromCharCode(part[i] + 1);
    }
  }
  return s + "\0";
}

/**
 * A string whose order is the Deno KV order of a key space (a store's simple
 * keys, or one ComplexKey prefix): part by part, a shorter part first. Only
 * speed depends on it (writes in key order touch far fewer SQLite pages).
 */
function spaceOrder(store: string, prefix: ComplexPrefix | null): string {
  if (prefix === null) return `${shifted(store)}t`;
  return `${shifted(store)}d${shifted(prefix.keyGroup)}${shifted(prefix.key)}${
    shifted(prefix.namespace)
  }`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether a key lies in the space of the previous mutation. */
function sameSpace(
  last: { store: string; prefix: ComplexPrefix | null },
  store: string,
  key: StateKey,
): boolean {
  if (last.store !== store) return false;
  const p = last.prefix;
  if (key.kind === "simple" || p === null) {
    return key.kind === "simple" && p === null;
  }
  return sameBytes(p.namespace, key.namespace) && sameBytes(p.key, key.key) &&
    sameBytes(p.keyGroup, key.keyGroup);
}

/**
 * Folds mutations into their net effect. A deletePrefix drops the earlier
 * ops under its prefix (the prefix delete, applied first, covers them).
 * Ops come out in Deno KV key order, key space by key space, so that
 * reading and writing them walks the keys in order.
 */
export function netEffect(
  mutations: StateMutation[],
  positions: SourcePosition[] | undefined,
): RedoLog {
  const groups = new Map<string, PrefixGroup>();
  const groupOf = (id: string, order: () => string) => {
    let g = groups.get(id);
    if (!g) {
      groups.set(
        id,
        g = { id, order: order(), cleared: null, ops: new Map() },
      );
    }
    return g;
  };
  // Mutations of one space tend to come together: skip the id then.
  let last:
    | { store: string; prefix: ComplexPrefix | null; g: PrefixGroup }
    | null = null;
  for (const m of mutations) {
    if (m.op === "deletePrefix") {
      const g = groupOf(
        complexPrefixId(m.store, m.prefix),
        () => spaceOrder(m.store, m.prefix),
      );
      g.cleared = { store: m.store, prefix: m.prefix };
      g.ops.clear();
      continue;
    }
    const k = m.key;
    let g: PrefixGroup;
    if (last !== null && sameSpace(last, m.store, k)) g = last.g;
    else if (k.kind === "simple") {
      g = groupOf(
        `s${m.store.length}:${m.store}`,
        () => spaceOrder(m.store, null),
      );
      last = { store: m.store, prefix: null, g };
    } else {
      g = groupOf(
        complexPrefixId(m.store, k),
        () => spaceOrder(m.store, prefixOf(k)),
      );
      last = { store: m.store, prefix: prefixOf(k), g };
    }
    g.ops.set(bytesId(k.kind === "simple" ? k.key : k.userKey), {
      store: m.store,
      key: k,
      value: m.op === "put" ? m.value : null,
    });
  }
  const log: RedoLog = {
    prefixDeletes: [],
    ops: [],
    positions: positions ?? null,
  };
  const sorted = [...groups.values()];
  if (sorted.length > 1) {
    sorted.sort((a, b) => a.order < b.order ? -1 : a.order > b.order ? 1 : 0);
  }
  const index: LogIndex = { ids: [], spaces: [] };
  for (const g of sorted) {
    if (g.cleared) log.prefixDeletes.push(g.cleared);
    if (g.ops.size === 0) continue;
    // bytesId keeps one char per byte, so the default string sort is byte order.
    const ids = [...g.ops.keys()];
    if (ids.length > 1) ids.sort();
    const start = log.ops.length;
    for (const id of ids) {
      log.ops.push(g.ops.get(id)!);
      index.ids.push(id);
    }
    index.spaces.push({ id: g.id, start, end: log.ops.length });
  }
  rememberIndex(log, index);
  return log;
}
