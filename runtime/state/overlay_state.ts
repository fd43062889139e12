/**
 * The state a checkpointed function reads between checkpoints: its base
 * backend with the changes since the last checkpoint laid over it. Commits
 * only buffer in memory; the checkpoint writes {@link OverlayState.pending}
 * to the base and then calls {@link OverlayState.clear}.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type {
  ComplexPrefix,
  KeyRange,
  ListPageOptions,
  SourcePosition,
  StateBackend,
  StateCommit,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import {
  bytesId,
  compareBytes,
  complexPrefixId,
  complexPrefixKey,
  simplePrefixKey,
} from "./key_codec.ts";
import {
  checkCommit,
  checkFn,
  checkKey,
  checkNames,
  checkPrefix,
  type ResolvedList,
  resolveList,
} from "./_validate.ts";
import { copyPositions } from "./_positions.ts";

/** One buffered key: its latest value, or null when deleted. */
interface Op {
  key: Uint8Array;
  value: Uint8Array | null;
}

function byKey(a: Op, b: Op): number {
  return compareBytes(a.key, b.key);
}

/** The id of a store's simple key space (as in the memory backend). */
function simpleSpaceId(store: string): string {
  return `s${store.length}:${store}`;
}

/**
 * The buffered changes of one listable key space: the simple keys of a store,
 * or the user keys under one ComplexKey prefix. `cleared` means a prefix
 * delete came before every op here, so the base is hidden entirely.
 */
class Space {
  cleared = false;
  readonly ops = new Map<string, Op>();
  /** Ops in byte order, rebuilt lazily; listings keep the array they started with. */
  #sorted: Op[] = [];
  /** Ops added since #sorted was last built. */
  #added: Op[] = [];

  constructor(readonly store: string, readonly prefix: ComplexPrefix | null) {}

  /** Buffers a put (bytes) or delete (null); true when the key is new here. */
  set(key: Uint8Array, value: Uint8Array | null): boolean {
    const id = bytesId(key);
    const op = this.ops.get(id);
    if (op) {
      op.value = value;
      return false;
    }
    const fresh = { key: key.slice(), value };
    this.ops.set(id, fresh);
    this.#added.push(fresh);
    return true;
  }

  /** Records a prefix delete: every earlier op and every base entry is gone. */
  clear(): void {
    this.cleared = true;
    this.ops.clear();
    this.#sorted = [];
    this.#added = [];
  }

  /** The ops in byte order. */
  sorted(): Op[] {
    if (this.#added.length > 0) {
      this.#added.sort(byKey);
      this.#sorted = mergeSorted(this.#sorted, this.#added);
      this.#added = [];
    }
    return this.#sorted;
  }

  /** The full state key of a user key of this space. */
  keyOf(userKey: Uint8Array): StateKey {
    return this.prefix === null
      ? { kind: "simple", key: userKey }
      : { kind: "complex", ...this.prefix, userKey };
  }
}

function mergeSorted(a: Op[], b: Op[]): Op[] {
  if (a.length === 0) return b;
  const out: Op[] = new Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    out[k++] = byKey(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/** First index whose key is past the lower bound of `spec`. */
function firstIndex(ops: Op[], spec: ResolvedList): number {
  const lower = spec.lower;
  if (lower === undefined) return 0;
  let lo = 0, hi = ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(ops[mid].key, lower);
    if (c < 0 || (c === 0 && spec.lowerExclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is at or past `end` (ops.length when open). */
function endIndex(ops: Op[], end: Uint8Array | undefined): number {
  if (end === undefined) return ops.length;
  let lo = 0, hi = ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(ops[mid].key, end) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function entryOf(op: Op): StateEntry {
  return { key: op.key.slice(), value: op.value!.slice() };
}

/** Lists one page of base entries strictly after `after` (or from the range start). */
type BasePage = (after: Uint8Array | undefined, limit: number) => Promise<
  StateEntry[]
>;

/** Options for {@link OverlayState}. */
export interface OverlayStateOptions {
  /**
   * Extra base entries a listing asks for per base read, beyond what its page
   * still needs (at most one per buffered key in reach), so that base entries
   * hidden by buffered deletes are usually skipped within the same read.
   * @default 256
   */
  readAhead?: number;
}

/**
 * A {@link StateBackend} for one function that buffers commits in memory over
 * a base backend and reads the base merged with the buffer. Reads of buffered
 * keys never reach the base; listings page through the base only as far as
 * the page needs, so a big base is never copied.
 */
export class OverlayState implements StateBackend {
  readonly #base: StateBackend;
  readonly #fn: string;
  #spaces = new Map<string, Space>();
  #positions: SourcePosition[] | null = null;
  #changed = 0;
  readonly #readAhead: number;

  /** Lays an empty buffer for function `fn` over `base`. */
  constructor(
    base: StateBackend,
    fn: string,
    options: OverlayStateOptions = {},
  ) {
    checkFn(fn);
    const readAhead = options.readAhead ?? 256;
    if (!Number.isSafeInteger(readAhead) || readAhead < 0) {
      throw new FsError(
        "BAD_REQUEST",
        `Cannot create a state overlay as readAhead must be a non-negative integer: current value is ${readAhead}`,
      );
    }
    this.#base = base;
    this.#fn = fn;
    this.#readAhead = readAhead;
  }

  /** Keys with a buffered put or delete, plus one per buffered prefix delete. */
  get changedKeyCount(): number {
    return this.#changed;
  }

  /** Reads one value: the buffered one when the key was changed, else the base's. */
  async get(
    fn: string,
    store: string,
    key: StateKey,
  ): Promise<Uint8Array | null> {
    this.#own(fn, "read state");
    checkKey(fn, store, key);
    const simple = key.kind === "simple";
    const space = this.#spaces.get(
      simple ? simpleSpaceId(store) : complexPrefixId(store, key),
    );
    if (space !== undefined) {
      const op = space.ops.get(bytesId(simple ? key.key : key.userKey));
      if (op !== undefined) return op.value && op.value.slice();
      if (space.cleared) return null;
    }
    return await this.#base.get(fn, store, key);
  }

  /** Lists simple keys of a store in byte order: the base merged with the buffer. */
  async listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.#own(fn, "list state");
    checkNames(fn, store);
    const spec = resolveList(simplePrefixKey(fn, store), range, options);
    if (spec === null) return [];
    const space = this.#spaces.get(simpleSpaceId(store));
    if (space === undefined) {
      return await this.#base.listSimple(fn, store, range, options);
    }
    return await this.#merge(space, spec, {
      after: options?.after,
      page: (after, limit) =>
        this.#base.listSimple(fn, store, range, { after, limit }),
    });
  }

  /** Lists user keys under a ComplexKey prefix in byte order: the base merged with the buffer. */
  async listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.#own(fn, "list state");
    checkPrefix(fn, store, prefix);
    const spec = resolveList(
      complexPrefixKey(fn, store, prefix),
      range,
      options,
    );
    if (spec === null) return [];
    const space = this.#spaces.get(complexPrefixId(store, prefix));
    if (space === undefined) {
      return await this.#base.listComplex(fn, store, prefix, range, options);
    }
    return await this.#merge(space, spec, {
      after: options?.after,
      page: (after, limit) =>
        this.#base.listComplex(fn, store, prefix, range, { after, limit }),
    });
  }

  /**
   * Merges the buffered ops of a space with base pages. A base page shorter
   * than asked means the base has no more (as every backend pages), and a
   * base entry equal to a buffered key gives way to it.
   */
  async #merge(
    space: Space,
    spec: ResolvedList,
    base: { after: Uint8Array | undefined; page: BasePage },
  ): Promise<StateEntry[]> {
    const ops = space.sorted();
    let i = firstIndex(ops, spec);
    const stop = endIndex(ops, spec.end);
    const out: StateEntry[] = [];
    let page: StateEntry[] = [];
    let p = 0;
    let cursor = base.after;
    let baseDone = space.cleared;
    while (out.length < spec.limit) {
      if (p === page.length && !baseDone) {
        const need = spec.limit - out.length;
        // Each buffered key in reach can hide one base entry: ask for a few
        // more than needed so one base read usually fills this page.
        const extra = Math.min(stop - i, this.#readAhead);
        const want = Math.min(need + extra, Number.MAX_SAFE_INTEGER);
        page = await base.page(cursor, want);
        p = 0;
        baseDone = page.length < want;
        if (page.length > 0) cursor = page[page.length - 1].key;
      }
      const next = p < page.length ? page[p] : undefined;
      const op = i < stop ? ops[i] : undefined;
      if (next === undefined && op === undefined) break;
      const c = next === undefined
        ? 1
        : op === undefined
        ? -1
        : compareBytes(next.key, op.key);
      if (c <= 0) p++;
      if (c < 0) {
        out.push(next!);
        continue;
      }
      i++;
      if (op!.value !== null) out.push(entryOf(op!));
    }
    return out;
  }

  /** Buffers the mutations in order (nothing reaches the base); positions replace buffered ones. */
  commit(fn: string, commit: StateCommit): Promise<void> {
    try {
      this.#apply(fn, commit);
      return Promise.resolve();
    } catch (error) {
      // Rejects rather than throws, like every backend.
      return Promise.reject(error);
    }
  }

  #apply(fn: string, commit: StateCommit): void {
    this.#own(fn, "commit state");
    checkCommit(fn, commit);
    for (const m of commit.mutations) {
      if (m.op === "deletePrefix") {
        const id = complexPrefixId(m.store, m.prefix);
        const space = this.#space(id, m.store, m.prefix);
        this.#changed -= space.ops.size - (space.cleared ? 0 : 1);
        space.clear();
        continue;
      }
      const k = m.key;
      const space = k.kind === "simple"
        ? this.#space(simpleSpaceId(m.store), m.store, null)
        : this.#space(complexPrefixId(m.store, k), m.store, k);
      const value = m.op === "put" ? m.value.slice() : null;
      if (space.set(k.kind === "simple" ? k.key : k.userKey, value)) {
        this.#changed++;
      }
    }
    if (commit.positions) this.#positions = copyPositions(commit.positions);
  }

  /** The buffered positions when a commit carried some, else the base's. */
  async positions(fn: string): Promise<SourcePosition[]> {
    this.#own(fn, "read positions");
    if (this.#positions !== null) return copyPositions(this.#positions);
    return await this.#base.positions(fn);
  }

  /**
   * The net buffered changes: per key space, its prefix delete first, then at
   * most one put or delete per key; positions when a commit carried some.
   * Committed to the base, they make the base read exactly as this overlay
   * does. Values are shared with the buffer: do not modify them.
   */
  pending(): StateCommit {
    const mutations: StateMutation[] = [];
    for (const space of this.#spaces.values()) {
      const store = space.store;
      if (space.cleared) {
        mutations.push({ op: "deletePrefix", store, prefix: space.prefix! });
      }
      for (const op of space.ops.values()) {
        const key = space.keyOf(op.key);
        if (op.value !== null) {
          mutations.push({ op: "put", store, key, value: op.value });
        } else if (!space.cleared) {
          // After a prefix delete the key is already gone.
          mutations.push({ op: "delete", store, key });
        }
      }
    }
    return this.#positions === null
      ? { mutations }
      : { mutations, positions: copyPositions(this.#positions) };
  }

  /** Forgets the buffer, once the base has absorbed {@link pending}. */
  clear(): void {
    this.#spaces = new Map();
    this.#positions = null;
    this.#changed = 0;
  }

  /** Always rejects with INTERNAL: the engine drops a function in the base, not here. */
  dropFunction(fn: string): Promise<void> {
    return Promise.reject(
      new FsError(
        "INTERNAL",
        `Cannot drop function state through a checkpoint overlay as drops go to the base backend: ` +
          `current value is ${JSON.stringify(fn)}`,
      ),
    );
  }

  #space(id: string, store: string, prefix: ComplexPrefix | null): Space {
    let space = this.#spaces.get(id);
    if (space === undefined) {
      const copy = prefix && {
        keyGroup: prefix.keyGroup.slice(),
        key: prefix.key.slice(),
        namespace: prefix.namespace.slice(),
      };
      this.#spaces.set(id, space = new Space(store, copy));
    }
    return space;
  }

  #own(fn: string, what: string): void {
    if (fn !== this.#fn) {
      throw new FsError(
        "INTERNAL",
        `Cannot ${what} through the overlay of function ${
          JSON.stringify(this.#fn)
        } as it belongs to that function only: current value is ${
          JSON.stringify(fn)
        }`,
      );
    }
  }
}
