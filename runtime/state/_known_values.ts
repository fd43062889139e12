/**
 * Live values a Deno KV backend knows without reading them: the values a
 * checkpoint just applied and the values `get()` just read, for functions
 * that take checkpoints. A checkpoint's undo images are the live values of
 * the keys it changes, so in the steady state (a keyed state reads a key,
 * then writes it) they come from here instead of Deno KV.
 *
 * It is only correct because every change to a function's live keys goes
 * through the backend, which updates it (complete, commit) or clears it
 * (restore, drop, recovery, any failure). Small values only, within a byte
 * budget shared by all functions; over the budget, new keys are not added.
 * Values are kept as one-char-per-byte strings: 100k small Uint8Arrays
 * would each hold an ArrayBuffer, which the garbage collector tracks one
 * by one.
 * @module
 */
import type { RedoLog } from "./_redo_log.ts";
import { bytesId, complexPrefixId } from "./key_codec.ts";
import type { ComplexPrefix, StateKey } from "../core/mod.ts";

/** Values larger than this are never kept. */
export const KNOWN_VALUE_MAX_BYTES = 1024;

/** Rough heap cost of one entry beyond its key and value bytes. */
const ENTRY_OVERHEAD = 120;

/** The budget shared by the caches of one backend. */
export interface KnownBudget {
  /** Most bytes (estimated) all caches may hold. */
  limit: number;
  /** Bytes held now. */
  used: number;
}

/** The id of a key's listable space: a store's simple keys or one ComplexKey prefix. */
export function spaceIdOf(store: string, key: StateKey): string {
  return key.kind === "simple"
    ? `s${store.length}:${store}`
    : complexPrefixId(store, key);
}

function costOf(id: string, value: string | null): number {
  return ENTRY_OVERHEAD + id.length + (value?.length ?? 0);
}

/** The bytes of a string made by bytesId. */
export function bytesOfId(id: string): Uint8Array {
  const out = new Uint8Array(id.length);
  for (let i = 0; i < id.length; i++) out[i] = id.charCodeAt(i);
  return out;
}

/**
 * The known live values of one function: by space, by user key id, the
 * value as a bytesId string; null means absent.
 */
export class KnownValues {
  readonly #budget: KnownBudget;
  readonly #spaces = new Map<string, Map<string, string | null>>();
  #used = 0;

  /** Creates an empty cache charged to `budget`. */
  constructor(budget: KnownBudget) {
    this.#budget = budget;
  }

  /** The space map of a space id, for lookups in a loop; undefined when nothing is known. */
  space(spaceId: string): Map<string, string | null> | undefined {
    return this.#spaces.get(spaceId);
  }

  /** Records the live value of a key, or forgets it when it is too large. */
  set(
    spaceId: string,
    userKey: Uint8Array,
    value: Uint8Array | null,
  ): void {
    const id = bytesId(userKey);
    let space = this.#spaces.get(spaceId);
    const old = space?.get(id);
    if (old !== undefined) this.#charge(-costOf(id, old));
    if (value !== null && value.length > KNOWN_VALUE_MAX_BYTES) {
      space?.delete(id);
      return;
    }
    const text = value === null ? null : bytesId(value);
    const cost = costOf(id, text);
    if (old === undefined && this.#budget.used + cost > this.#budget.limit) {
      return;
    }
    if (!space) this.#spaces.set(spaceId, space = new Map());
    space.set(id, text);
    this.#charge(cost);
  }

  /** Forgets everything under a ComplexKey prefix (it was deleted). */
  deletePrefix(store: string, prefix: ComplexPrefix): void {
    const id = complexPrefixId(store, prefix);
    const space = this.#spaces.get(id);
    if (!space) return;
    for (const [k, v] of space) this.#charge(-costOf(k, v));
    this.#spaces.delete(id);
  }

  /** Records the effect of an applied redo log. */
  applied(log: RedoLog): void {
    for (const d of log.prefixDeletes) this.deletePrefix(d.store, d.prefix);
    let spaceId = "";
    let prev: RedoLog["ops"][number] | null = null;
    for (const op of log.ops) {
      // Ops come space by space: build the space id once per run.
      if (
        prev === null || prev.store !== op.store ||
        prev.key.kind !== "simple" || op.key.kind !== "simple"
      ) {
        spaceId = spaceIdOf(op.store, op.key);
      }
      prev = op;
      const userKey = op.key.kind === "simple" ? op.key.key : op.key.userKey;
      this.set(spaceId, userKey, op.value);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#charge(-this.#used);
    this.#spaces.clear();
  }

  /** Estimated bytes held. */
  get usedBytes(): number {
    return this.#used;
  }

  #charge(bytes: number): void {
    this.#used += bytes;
    this.#budget.used += bytes;
  }
}
