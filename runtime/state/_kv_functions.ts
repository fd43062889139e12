/**
 * What the Deno KV backend keeps per function, and how every call runs
 * against it: recovery on first use, a readers-writer lock that orders
 * reads against writes, and a second lock that orders checkpoint steps.
 * @module
 */
import { FsError } from "../core/mod.ts";
import { RwLock } from "./_rw_lock.ts";
import type { FnCache } from "./_kv_apply.ts";
import { type FaultHook, recoverFunction } from "./_kv_commit.ts";
import type { CheckpointContext, PreparedLog } from "./_kv_checkpoint.ts";
import { type KnownBudget, KnownValues } from "./_known_values.ts";

/** The backend's state of one function. */
export interface FnState {
  /** Orders reads (read side) against commits, applies and recovery (write side). */
  lock: RwLock;
  /** Orders checkpoint steps of the function (taken before `lock`). */
  cpLock: RwLock;
  /** False until recovered, and again after a failed write. */
  ready: boolean;
  /** Chunked values and positions header. */
  cache: FnCache;
  /** The prepared checkpoint's redo log, while this instance prepared it. */
  prepared: PreparedLog | null;
  /** Known live values, once the function takes checkpoints. */
  known: KnownValues | null;
}

/** A refusal (bad id, conflict, unknown checkpoint) changed nothing: no recovery needed. */
function isRefusal(error: unknown): boolean {
  return error instanceof FsError &&
    ["BAD_REQUEST", "CONFLICT", "NOT_FOUND", "LIMIT_EXCEEDED"].includes(
      error.code,
    );
}

/** An FsError as it is; anything else (a Deno KV failure) as UNAVAILABLE. */
export function unavailable(what: string, error: unknown): unknown {
  if (error instanceof FsError) return error;
  return new FsError(
    "UNAVAILABLE",
    `Cannot ${what} as Deno KV failed: current value is ${String(error)}`,
    { cause: error },
  );
}

/** The per-function states of one backend and the way calls run against them. */
export class KvFunctions {
  readonly #kv: Deno.Kv;
  readonly #fault?: FaultHook;
  readonly #budget: KnownBudget;
  readonly #fns = new Map<string, FnState>();

  /** Creates the registry over `kv`; `knownBytes` bounds every function's known values together. */
  constructor(
    kv: Deno.Kv,
    options: { fault?: FaultHook; knownBytes: number },
  ) {
    this.#kv = kv;
    this.#fault = options.fault;
    this.#budget = { limit: options.knownBytes, used: 0 };
  }

  /** The state of a function, created on first use (not yet recovered). */
  state(fn: string): FnState {
    let st = this.#fns.get(fn);
    if (!st) {
      st = {
        lock: new RwLock(),
        cpLock: new RwLock(),
        ready: false,
        cache: { big: new Map(), positions: null },
        prepared: null,
        known: null,
      };
      this.#fns.set(fn, st);
    }
    return st;
  }

  /** Recovers a function now (the caller holds its write lock). */
  async recover(fn: string, st: FnState): Promise<void> {
    st.ready = false;
    st.prepared = null;
    st.known?.clear();
    try {
      st.cache = await recoverFunction(this.#kv, fn);
    } catch (error) {
      throw unavailable(`recover the state of function "${fn}"`, error);
    }
    st.ready = true;
  }

  /** Runs a write under the function's write lock, recovering first; a failure forces recovery next time. */
  async write<T>(
    fn: string,
    what: string,
    work: (st: FnState) => Promise<T>,
  ): Promise<T> {
    const st = this.state(fn);
    return await st.lock.write(async () => {
      if (!st.ready) await this.recover(fn, st);
      try {
        return await work(st);
      } catch (error) {
        if (!isRefusal(error)) {
          st.ready = false;
          st.known?.clear();
        }
        throw unavailable(what, error);
      }
    });
  }

  /** Runs a read under the function's read lock, once the function is recovered. */
  async read<T>(fn: string, work: (st: FnState) => Promise<T>): Promise<T> {
    const st = this.state(fn);
    for (;;) {
      if (!st.ready) {
        await st.lock.write(async () => {
          if (!st.ready) await this.recover(fn, st);
        });
      }
      const result = await st.lock.read(async () =>
        st.ready ? { value: await work(st) } : null
      );
      if (result) return result.value;
    }
  }

  /**
   * Runs a checkpoint step under the function's checkpoint lock: `write`
   * steps (they change live keys) also hold the write lock; the others hold
   * the read lock, so reads of live state go on meanwhile. A failure other
   * than a refusal (which wrote nothing) forces recovery next time. The
   * function keeps known values from its first checkpoint step on.
   */
  async checkpoint<T>(
    fn: string,
    step: { write: boolean; what: string },
    work: (ctx: CheckpointContext, st: FnState) => Promise<T>,
  ): Promise<T> {
    const st = this.state(fn);
    st.known ??= new KnownValues(this.#budget);
    const ctx = (): CheckpointContext => ({
      kv: this.#kv,
      fn,
      cache: st.cache,
      fault: this.#fault,
      known: st.known,
    });
    return await st.cpLock.write(async () => {
      if (step.write) {
        return await this.write(fn, step.what, () => work(ctx(), st));
      }
      return await this.read(fn, async () => {
        try {
          return await work(ctx(), st);
        } catch (error) {
          if (!isRefusal(error)) st.ready = false;
          throw unavailable(step.what, error);
        }
      });
    });
  }

  /** Forgets a function's in-memory state (after a drop). */
  reset(st: FnState): void {
    st.cache = { big: new Map(), positions: null };
    st.prepared = null;
    st.known?.clear();
  }
}
