/**
 * Live values a Deno KV backend knows without reading them: the values a
 * checkpoint (or commit) just applied and the values `get()` just read, for
 * functions that take checkpoints. A checkpoint's undo images are the live
 * values of the keys it changes, so in the steady state (a keyed state
 * reads a key, then writes it) they come from here instead of Deno KV.
 *
 * It is only correct because every change to a function's live keys goes
 * through the backend, which updates it (complete, commit) or clears it
 * (restore, drop, recovery, any failure). Small values only, within a byte
 * budget shared by all functions; over the budget, new keys are not added.
 * Values are kept as one-char-per-byte strings (bytesId): a small
 * Uint8Array costs about 260 bytes of heap, such a string about 25, and
 * the garbage collector walks every one of them.
 * @module
 */
import type { ComplexPrefix, StateKey } from "../core/mod.ts";
import { bytesId, complexPrefixId } from "./key_codec.ts";
import type { RedoLog } from "./_redo_log.ts";
import { logIndex, spaceIdOf } from "./_log_index.ts";

/** Ops recorded between two yields of {@link KnownValues.appliedInSlices}. */
const SLICE = 4096;

/** Values larger than this are never kept. */
export const KNOWN_VALUE_MAX_BYTES = 1024;

/** Heap cost of one entry beyond its key and value chars (measured: about 60). */
const ENTRY_OVERHEAD = 100;

/** The budget shared by the caches of one backend. */
export interface KnownBudget {
  /** Most bytes (estimated) all caches may hold. */
  limit: number;
  /** Bytes held now. */
  used: number;
}

/** One key space's known values: by user key id, the value's bytesId or null when absent. */
export type KnownSpace = Map<string, string | null>;

function costOf(id: string, value: string | null): number {
  return ENTRY_OVERHEAD + id.length + (value?.length ?? 0);
}

/** The bytes of a string made by bytesId. */
export function bytesOfId(id: string): Uint8Array {
  const out = new Uint8Array(id.length);
  for (let i = 0; i < id.length; i++) out[i] = id.charCodeAt(i);
  return out;
}

/** The known live values of one function, by space id and user key id. */
export class KnownValues {
  readonly #budget: KnownBudget;
  readonly #spaces = new Map<string, KnownSpace>();
  #used = 0;

  /** Creates an empty cache charged to `budget`. */
  constructor(budget: KnownBudget) {
    this.#budget = budget;
  }

  /** What is known of one space, for lookups in a loop; undefined when nothing. */
  space(spaceId: string): KnownSpace | undefined {
    return this.#spaces.get(spaceId);
  }

  /** Records a value `get()` read. */
  read(store: string, key: StateKey, value: Uint8Array | null): void {
    const userKey = key.kind === "simple" ? key.key : key.userKey;
    this.#set(this.#space(spaceIdOf(store, key)), bytesId(userKey), value);
  }

  #space(spaceId: string): KnownSpace {
    let space = this.#spaces.get(spaceId);
    if (!space) this.#spaces.set(spaceId, space = new Map());
    return space;
  }

  /** Records the live value of a key, or forgets it when it is too large. */
  #set(space: KnownSpace, id: string, value: Uint8Array | null): void {
    const old = space.get(id);
    if (old !== undefined) this.#charge(-costOf(id, old));
    if (value !== null && value.length > KNOWN_VALUE_MAX_BYTES) {
      space.delete(id);
      return;
    }
    const text = value === null ? null : bytesId(value);
    const cost = costOf(id, text);
    if (old === undefined && this.#budget.used + cost > this.#budget.limit) {
      return;
    }
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
    const { ids, spaces } = logIndex(log);
    for (const s of spaces) {
      const space = this.#space(s.id);
      for (let i = s.start; i < s.end; i++) {
        this.#set(space, ids[i], log.ops[i].value);
      }
      if (space.size === 0) this.#spaces.delete(s.id);
    }
  }

  /**
   * Records an applied redo log a slice of ops at a time while `alongside`
   * (the apply) runs, yielding to the event loop between slices, so it
   * fills the time the apply waits for Deno KV; once the apply has settled
   * it finishes without yielding (a timer may wait 4 ms).
   */
  async appliedInSlices(
    log: RedoLog,
    options: { alongside: Promise<unknown> },
  ): Promise<void> {
    let running = true;
    const stop = () => {
      running = false;
    };
    options.alongside.then(stop, stop);
    for (const d of log.prefixDeletes) this.deletePrefix(d.store, d.prefix);
    const { ids, spaces } = logIndex(log);
    let sinceYield = 0;
    for (const s of spaces) {
      const space = this.#space(s.id);
      for (let i = s.start; i < s.end; i++) {
        if (++sinceYield === SLICE && running) {
          sinceYield = 0;
          await new Promise((wake) => setTimeout(wake, 0));
        }
        this.#set(space, ids[i], log.ops[i].value);
      }
      if (space.size === 0) this.#spaces.delete(s.id);
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
