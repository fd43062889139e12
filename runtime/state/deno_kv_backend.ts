/**
 * Operator state in Deno KV. A commit that fits one atomic operation is
 * written as one; any larger commit goes through a redo log:
 *
 * 1. stage: the net effect of the commit is encoded and written in chunks
 *    under `["st", fn, "g", commitId]`, in as many atomic operations as needed;
 * 2. mark: one small atomic write of `["st", fn, "m"]` naming the log. This
 *    is the commit point: before it the commit never happened, after it it
 *    will be applied;
 * 3. apply: the live keys are written (prefix deletes page by page), and the
 *    last atomic operation also deletes the marker, then the staged chunks go.
 *
 * Recovery is automatic: the first call for a function (any method) re-applies
 * a marked log and removes unmarked staging; `recover(fn)` does it eagerly.
 * The backend assumes it is the only writer of its functions' state in this
 * KV (the server opens one KV and one backend).
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
} from "../core/mod.ts";
import {
  complexPrefixKey,
  liveKey,
  markerKey,
  positionsKey,
  simplePrefixKey,
} from "./key_codec.ts";
import { AtomicBatcher } from "./_atomic_batcher.ts";
import { netEffect } from "./_redo_log.ts";
import { decodePositions } from "./_positions.ts";
import { dropAll, type FnCache, type Marker } from "./_kv_apply.ts";
import {
  commitLogged,
  fastPath,
  type FaultHook,
  type FaultPoint,
  recoverFunction,
} from "./_kv_commit.ts";
import { decodeValue, listEntries } from "./_kv_read.ts";
import { RwLock } from "./_rw_lock.ts";
import {
  checkCommit,
  checkFn,
  checkKey,
  checkNames,
  checkPrefix,
  resolveList,
} from "./_validate.ts";

export type { FaultHook, FaultPoint };

/** Options for {@link DenoKvStateBackend}. */
export interface DenoKvStateBackendOptions {
  /**
   * Test-only hook called at each {@link FaultPoint}; throwing from it
   * simulates a crash there.
   */
  faultInjection?: FaultHook;
}

interface FnState {
  lock: RwLock;
  ready: boolean;
  cache: FnCache;
}

function unavailable(what: string, error: unknown): unknown {
  if (error instanceof FsError) return error;
  return new FsError(
    "UNAVAILABLE",
    `Cannot ${what} as Deno KV failed: current value is ${String(error)}`,
    { cause: error },
  );
}

/** A {@link StateBackend} over a Deno KV that the caller opens and closes. */
export class DenoKvStateBackend implements StateBackend {
  readonly #kv: Deno.Kv;
  readonly #fault?: FaultHook;
  readonly #fns = new Map<string, FnState>();

  /** Creates a backend over `kv`; it never closes `kv`. */
  constructor(kv: Deno.Kv, options: DenoKvStateBackendOptions = {}) {
    this.#kv = kv;
    this.#fault = options.faultInjection;
  }

  /** Reads one value, or null when the key is absent. */
  async get(
    fn: string,
    store: string,
    key: StateKey,
  ): Promise<Uint8Array | null> {
    checkKey(fn, store, key);
    return await this.#read(fn, async () => {
      const entry = await this.#kv.get<unknown>(liveKey(fn, store, key));
      return await decodeValue(this.#kv, fn, entry.value);
    });
  }

  /** Lists simple keys of a store in byte order, one page at a time. */
  async listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    checkNames(fn, store);
    const prefix = simplePrefixKey(fn, store);
    const spec = resolveList(prefix, range, options);
    return spec
      ? await this.#read(fn, () => listEntries(this.#kv, fn, { prefix, spec }))
      : [];
  }

  /** Lists user keys under a ComplexKey prefix in byte order, one page at a time. */
  async listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    checkPrefix(fn, store, prefix);
    const kvPrefix = complexPrefixKey(fn, store, prefix);
    const spec = resolveList(kvPrefix, range, options);
    return spec
      ? await this.#read(
        fn,
        () => listEntries(this.#kv, fn, { prefix: kvPrefix, spec }),
      )
      : [];
  }

  /** Makes mutations and positions durable together: all of them or none, whatever their size. */
  async commit(fn: string, commit: StateCommit): Promise<void> {
    checkCommit(fn, commit);
    const log = netEffect(commit.mutations, commit.positions);
    if (log.prefixDeletes.length + log.ops.length === 0 && !log.positions) {
      return;
    }
    await this.#write(fn, async (st) => {
      const fast = fastPath(fn, log, st.cache);
      if (!fast) {
        return await commitLogged(this.#kv, fn, {
          log,
          cache: st.cache,
          fault: this.#fault,
        });
      }
      const batcher = new AtomicBatcher(this.#kv);
      await batcher.group(fast);
      await batcher.flush();
    }, `commit state of function "${fn}"`);
  }

  /** Reads the input positions stored by the last commit that carried positions. */
  async positions(fn: string): Promise<SourcePosition[]> {
    checkFn(fn);
    return await this.#read(fn, async () => {
      const entry = await this.#kv.get<unknown>(positionsKey(fn));
      const bytes = await decodeValue(this.#kv, fn, entry.value);
      return bytes ? decodePositions(bytes) : [];
    });
  }

  /** Removes every key, chunk, staged log and position of a function, page by page. */
  async dropFunction(fn: string): Promise<void> {
    checkFn(fn);
    const st = this.#state(fn);
    await st.lock.write(async () => {
      st.ready = false;
      try {
        const marker: Marker = { kind: "drop" };
        await this.#kv.set(markerKey(fn), marker);
        await dropAll(this.#kv, fn, { batcher: new AtomicBatcher(this.#kv) });
      } catch (error) {
        throw unavailable(`drop the state of function "${fn}"`, error);
      }
      st.cache = { big: new Map(), positions: null };
      st.ready = true;
    });
  }

  /**
   * Finishes whatever a crash interrupted for a function: re-applies a
   * committed redo log, finishes a drop, removes uncommitted staging.
   * Every other method does this on its first call for a function.
   */
  async recover(fn: string): Promise<void> {
    checkFn(fn);
    const st = this.#state(fn);
    await st.lock.write(() => this.#recover(fn, st));
  }

  #state(fn: string): FnState {
    let st = this.#fns.get(fn);
    if (!st) {
      st = {
        lock: new RwLock(),
        ready: false,
        cache: { big: new Map(), positions: null },
      };
      this.#fns.set(fn, st);
    }
    return st;
  }

  async #recover(fn: string, st: FnState): Promise<void> {
    st.ready = false;
    try {
      st.cache = await recoverFunction(this.#kv, fn);
    } catch (error) {
      throw unavailable(`recover the state of function "${fn}"`, error);
    }
    st.ready = true;
  }

  /** Runs a write under the function's write lock, recovering first; a failure forces recovery next time. */
  async #write(
    fn: string,
    work: (st: FnState) => Promise<void>,
    what: string,
  ): Promise<void> {
    const st = this.#state(fn);
    await st.lock.write(async () => {
      if (!st.ready) await this.#recover(fn, st);
      try {
        await work(st);
      } catch (error) {
        st.ready = false;
        throw unavailable(what, error);
      }
    });
  }

  /** Runs a read under the function's read lock, once the function is recovered. */
  async #read<T>(fn: string, work: () => Promise<T>): Promise<T> {
    const st = this.#state(fn);
    for (;;) {
      if (!st.ready) {
        await st.lock.write(async () => {
          if (!st.ready) await this.#recover(fn, st);
        });
      }
      const result = await st.lock.read(async () =>
        st.ready ? { value: await work() } : null
      );
      if (result) return result.value;
    }
  }
}
