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
 * Checkpoints (the {@link CheckpointStore} side) store their redo and undo
 * logs as packed chunks and reuse the same marker and apply step: see
 * _kv_checkpoint.ts and _kv_checkpoint_history.ts.
 *
 * Recovery is automatic: the first call for a function (any method) re-applies
 * a marked log (of a commit, restore or completed checkpoint), removes
 * unmarked staging and half-written checkpoints; `recover(fn)` does it eagerly.
 * The backend assumes it is the only writer of its functions' state in this
 * KV (the server opens one KV and one backend).
 * @module
 */
import type {
  CheckpointData,
  CheckpointInfo,
  CheckpointStore,
  ComplexPrefix,
  KeyRange,
  ListPageOptions,
  RestoredCheckpoint,
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
import { dropAll, type Marker } from "./_kv_apply.ts";
import {
  commitLogged,
  fastPath,
  type FaultHook,
  type FaultPoint,
} from "./_kv_commit.ts";
import { decodeValue, listEntries } from "./_kv_read.ts";
import { KvFunctions, unavailable } from "./_kv_functions.ts";
import {
  abortKv,
  completeKv,
  prepareKv,
  reserveCheckpointId,
} from "./_kv_checkpoint.ts";
import {
  latestKv,
  listKv,
  preparedKv,
  pruneKv,
  restoreKv,
} from "./_kv_checkpoint_history.ts";
import {
  checkCheckpoint,
  checkCheckpointId,
  checkCommit,
  checkFn,
  checkKeep,
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
  /**
   * Most bytes (estimated) of live values kept in memory for functions that
   * take checkpoints, so that a checkpoint's undo images need no read; 0
   * turns it off.
   * @default 67108864 (64 MiB)
   */
  knownValuesBytes?: number;
}

/** A {@link StateBackend} and {@link CheckpointStore} over a Deno KV that the caller opens and closes. */
export class DenoKvStateBackend implements StateBackend, CheckpointStore {
  readonly #kv: Deno.Kv;
  readonly #fault?: FaultHook;
  readonly #fns: KvFunctions;

  /** Creates a backend over `kv`; it never closes `kv`. */
  constructor(kv: Deno.Kv, options: DenoKvStateBackendOptions = {}) {
    this.#kv = kv;
    this.#fault = options.faultInjection;
    this.#fns = new KvFunctions(kv, {
      fault: options.faultInjection,
      knownBytes: options.knownValuesBytes ?? 64 * 1024 * 1024,
    });
  }

  /** Reads one value, or null when the key is absent. */
  async get(
    fn: string,
    store: string,
    key: StateKey,
  ): Promise<Uint8Array | null> {
    checkKey(fn, store, key);
    return await this.#fns.read(fn, async (st) => {
      const entry = await this.#kv.get<unknown>(liveKey(fn, store, key));
      const value = await decodeValue(this.#kv, fn, entry.value);
      // What a keyed state reads it usually writes next: its undo image.
      st.known?.read(store, key, value);
      return value;
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
      ? await this.#fns.read(
        fn,
        () => listEntries(this.#kv, fn, { prefix, spec }),
      )
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
      ? await this.#fns.read(
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
    await this.#fns.write(
      fn,
      `commit state of function "${fn}"`,
      async (st) => {
        const fast = fastPath(fn, log, st.cache);
        if (fast) {
          const batcher = new AtomicBatcher(this.#kv);
          await batcher.group(fast);
          await batcher.flush();
        } else {
          await commitLogged(this.#kv, fn, {
            log,
            cache: st.cache,
            fault: this.#fault,
          });
        }
        st.known?.applied(log);
      },
    );
  }

  /** Reads the input positions stored by the last commit that carried positions. */
  async positions(fn: string): Promise<SourcePosition[]> {
    checkFn(fn);
    return await this.#fns.read(fn, async () => {
      const entry = await this.#kv.get<unknown>(positionsKey(fn));
      const bytes = await decodeValue(this.#kv, fn, entry.value);
      return bytes ? decodePositions(bytes) : [];
    });
  }

  /** Removes every key, chunk, staged log and position of a function, page by page. */
  async dropFunction(fn: string): Promise<void> {
    checkFn(fn);
    const st = this.#fns.state(fn);
    await st.cpLock.write(() =>
      st.lock.write(async () => {
        st.ready = false;
        this.#fns.reset(st);
        try {
          const marker: Marker = { kind: "drop" };
          await this.#kv.set(markerKey(fn), marker);
          await dropAll(this.#kv, fn, {
            batcher: new AtomicBatcher(this.#kv),
          });
        } catch (error) {
          throw unavailable(`drop the state of function "${fn}"`, error);
        }
        st.ready = true;
      })
    );
  }

  /** Reserves the next checkpoint id of a function (ids only grow, even across restores and prunes). */
  async nextCheckpointId(fn: string): Promise<number> {
    checkFn(fn);
    return await this.#fns.checkpoint(
      fn,
      { write: false, what: `reserve a checkpoint id of function "${fn}"` },
      (ctx) => reserveCheckpointId(ctx.kv, fn),
    );
  }

  /**
   * Makes a checkpoint durable but not yet visible: its redo log, the undo
   * images of the keys it changes, positions and operator bytes. The
   * backend keeps the value bytes of `data.mutations` by reference until
   * the checkpoint completes: do not modify them meanwhile.
   *
   * @throws {FsError} CONFLICT when another checkpoint is prepared.
   */
  async prepareCheckpoint(
    fn: string,
    data: CheckpointData,
  ): Promise<CheckpointInfo> {
    checkCheckpoint(fn, data);
    return await this.#fns.checkpoint(
      fn,
      {
        write: false,
        what: `prepare checkpoint ${data.id} of function "${fn}"`,
      },
      async (ctx, st) => {
        const { info, prepared } = await prepareKv(ctx, data);
        st.prepared = prepared;
        return info;
      },
    );
  }

  /**
   * Makes the prepared checkpoint the function's latest: applies its state
   * changes and positions to the live keys, crash-safely.
   *
   * @throws {FsError} NOT_FOUND when no checkpoint with this id is prepared.
   */
  async completeCheckpoint(fn: string, id: number): Promise<void> {
    checkFn(fn);
    checkCheckpointId(id, `complete a checkpoint of function "${fn}"`);
    await this.#fns.checkpoint(
      fn,
      { write: true, what: `complete checkpoint ${id} of function "${fn}"` },
      async (ctx, st) => {
        const prepared = st.prepared;
        st.prepared = null;
        await completeKv(ctx, { id, prepared });
      },
    );
  }

  /** Discards the prepared checkpoint with this id, if any; live state is untouched. */
  async abortCheckpoint(fn: string, id: number): Promise<void> {
    checkFn(fn);
    checkCheckpointId(id, `abort a checkpoint of function "${fn}"`);
    await this.#fns.checkpoint(
      fn,
      { write: false, what: `abort checkpoint ${id} of function "${fn}"` },
      async (ctx, st) => {
        if (st.prepared?.id === id) st.prepared = null;
        await abortKv(ctx, id);
      },
    );
  }

  /** The prepared (durable, undecided) checkpoint of a function, or null. */
  async preparedCheckpoint(fn: string): Promise<CheckpointInfo | null> {
    checkFn(fn);
    return await this.#fns.checkpoint(
      fn,
      {
        write: false,
        what: `read the prepared checkpoint of function "${fn}"`,
      },
      (ctx) => preparedKv(ctx.kv, fn),
    );
  }

  /** The complete checkpoints of a function, oldest first. */
  async listCheckpoints(fn: string): Promise<CheckpointInfo[]> {
    checkFn(fn);
    return await this.#fns.checkpoint(
      fn,
      { write: false, what: `list the checkpoints of function "${fn}"` },
      (ctx) => listKv(ctx.kv, fn),
    );
  }

  /** The latest complete checkpoint of a function with the operator's bytes, or null. */
  async latestCheckpoint(fn: string): Promise<RestoredCheckpoint | null> {
    checkFn(fn);
    return await this.#fns.checkpoint(
      fn,
      { write: false, what: `read the latest checkpoint of function "${fn}"` },
      (ctx) => latestKv(ctx.kv, fn),
    );
  }

  /**
   * Rewinds live state and positions to a complete checkpoint and deletes
   * the checkpoints after it. The function must not be running.
   *
   * @throws {FsError} NOT_FOUND when the function has no such checkpoint.
   */
  async restoreCheckpoint(fn: string, id: number): Promise<void> {
    checkFn(fn);
    checkCheckpointId(id, `restore a checkpoint of function "${fn}"`);
    await this.#fns.checkpoint(
      fn,
      { write: true, what: `restore checkpoint ${id} of function "${fn}"` },
      async (ctx, st) => {
        st.prepared = null;
        // Restored values are not recorded: the next checkpoint reads them.
        st.known?.clear();
        await restoreKv(ctx, id);
      },
    );
  }

  /** Deletes all but the newest `keep` complete checkpoints (keep >= 1). */
  async pruneCheckpoints(fn: string, keep: number): Promise<void> {
    checkFn(fn);
    checkKeep(keep);
    await this.#fns.checkpoint(
      fn,
      { write: false, what: `prune the checkpoints of function "${fn}"` },
      (ctx) => pruneKv(ctx, keep),
    );
  }

  /**
   * Finishes whatever a crash interrupted for a function: re-applies a
   * committed redo log, finishes a drop, removes uncommitted staging.
   * Every other method does this on its first call for a function.
   */
  async recover(fn: string): Promise<void> {
    checkFn(fn);
    const st = this.#fns.state(fn);
    await st.lock.write(() => this.#fns.recover(fn, st));
  }
}
