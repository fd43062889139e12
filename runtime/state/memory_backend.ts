/**
 * The reference model of a state backend: plain maps, mutations applied one
 * by one in order, the same argument checks and limits as Deno KV. Used in
 * tests and as the oracle of the model-based test.
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
  complexPrefixId,
  complexPrefixKey,
  hexOf,
  simplePrefixKey,
} from "./key_codec.ts";
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
import { copyPositions } from "./_positions.ts";
import { MemoryCheckpoints } from "./_memory_checkpoints.ts";

/** Entries of one listable key space, by hex of the key (hex order is byte order). */
type Space = Map<string, StateEntry>;

interface FnData {
  /** Simple keys by store, and complex keys by store + prefix. */
  spaces: Map<string, Space>;
  positions: SourcePosition[];
}

function spaceId(store: string, key: StateKey): string {
  return key.kind === "simple"
    ? `s${store.length}:${store}`
    : complexPrefixId(store, key);
}

/** Runs synchronous work as a promise, so argument errors reject like Deno KV's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A {@link StateBackend} and {@link CheckpointStore} that keep everything in memory. */
export class MemoryStateBackend implements StateBackend, CheckpointStore {
  readonly #fns = new Map<string, FnData>();
  readonly #checkpoints = new MemoryCheckpoints({
    get: (fn, store, key) => {
      const entry = this.#fns.get(fn)?.spaces.get(spaceId(store, key))
        ?.get(hexOf(key.kind === "simple" ? key.key : key.userKey));
      return entry ? entry.value.slice() : null;
    },
    entries: (fn, store, prefix) =>
      [
        ...(this.#fns.get(fn)?.spaces.get(complexPrefixId(store, prefix))
          ?.values() ?? []),
      ].map((e) => ({ key: e.key.slice(), value: e.value.slice() })),
    apply: (fn, commit) => this.#apply(fn, commit),
  });

  #data(fn: string): FnData {
    let d = this.#fns.get(fn);
    if (!d) this.#fns.set(fn, d = { spaces: new Map(), positions: [] });
    return d;
  }

  /** Reads one value, or null when the key is absent. */
  get(fn: string, store: string, key: StateKey): Promise<Uint8Array | null> {
    return settle(() => {
      checkKey(fn, store, key);
      const entry = this.#fns.get(fn)?.spaces.get(spaceId(store, key))
        ?.get(hexOf(key.kind === "simple" ? key.key : key.userKey));
      return entry ? entry.value.slice() : null;
    });
  }

  /** Lists simple keys of a store in byte order, one page at a time. */
  listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    return settle(() => {
      checkNames(fn, store);
      const spec = resolveList(simplePrefixKey(fn, store), range, options);
      const space = this.#fns.get(fn)?.spaces.get(`s${store.length}:${store}`);
      return spec && space ? this.#page(space, spec) : [];
    });
  }

  /** Lists user keys under a ComplexKey prefix in byte order, one page at a time. */
  listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    return settle(() => {
      checkPrefix(fn, store, prefix);
      const spec = resolveList(
        complexPrefixKey(fn, store, prefix),
        range,
        options,
      );
      const space = this.#fns.get(fn)?.spaces.get(
        complexPrefixId(store, prefix),
      );
      return spec && space ? this.#page(space, spec) : [];
    });
  }

  #page(
    space: Space,
    spec: NonNullable<ReturnType<typeof resolveList>>,
  ): StateEntry[] {
    const lower = spec.lower && hexOf(spec.lower);
    const end = spec.end && hexOf(spec.end);
    const ids = [...space.keys()].filter((id) =>
      (lower === undefined || id > lower ||
        (!spec.lowerExclusive && id === lower)) &&
      (end === undefined || id < end)
    ).sort();
    return ids.slice(0, spec.limit).map((id) => {
      const e = space.get(id)!;
      return { key: e.key.slice(), value: e.value.slice() };
    });
  }

  /** Applies every mutation in order, then stores positions; checks everything first. */
  commit(fn: string, commit: StateCommit): Promise<void> {
    return settle(() => this.#apply(fn, commit));
  }

  #apply(fn: string, commit: StateCommit): void {
    checkCommit(fn, commit);
    const data = this.#data(fn);
    for (const m of commit.mutations) {
      if (m.op === "deletePrefix") {
        data.spaces.delete(complexPrefixId(m.store, m.prefix));
        continue;
      }
      const id = spaceId(m.store, m.key);
      const userKey = m.key.kind === "simple" ? m.key.key : m.key.userKey;
      if (m.op === "delete") {
        const space = data.spaces.get(id);
        space?.delete(hexOf(userKey));
        if (space?.size === 0) data.spaces.delete(id);
        continue;
      }
      let space = data.spaces.get(id);
      if (!space) data.spaces.set(id, space = new Map());
      space.set(hexOf(userKey), {
        key: userKey.slice(),
        value: m.value.slice(),
      });
    }
    if (commit.positions) data.positions = copyPositions(commit.positions);
  }

  /** Reads the positions stored by the last commit that carried positions. */
  positions(fn: string): Promise<SourcePosition[]> {
    return settle(() => {
      checkFn(fn);
      return copyPositions(this.#fns.get(fn)?.positions ?? []);
    });
  }

  /** Removes every key, value, position and checkpoint of a function. */
  dropFunction(fn: string): Promise<void> {
    return settle(() => {
      checkFn(fn);
      this.#fns.delete(fn);
      this.#checkpoints.drop(fn);
    });
  }

  /** Reserves the next checkpoint id of a function (ids only grow, even across restores). */
  nextCheckpointId(fn: string): Promise<number> {
    return settle(() => {
      checkFn(fn);
      return this.#checkpoints.nextId(fn);
    });
  }

  /**
   * Stores a checkpoint with the undo images of the keys it changes; live
   * state is untouched until it completes.
   *
   * @throws {FsError} CONFLICT when another checkpoint is prepared.
   */
  prepareCheckpoint(
    fn: string,
    data: CheckpointData,
  ): Promise<CheckpointInfo> {
    return settle(() => {
      checkCheckpoint(fn, data);
      return this.#checkpoints.prepare(fn, data);
    });
  }

  /**
   * Applies the prepared checkpoint's changes and positions to live state.
   *
   * @throws {FsError} NOT_FOUND when no checkpoint with this id is prepared.
   */
  completeCheckpoint(fn: string, id: number): Promise<void> {
    return settle(() => {
      checkFn(fn);
      checkCheckpointId(id, `complete a checkpoint of function "${fn}"`);
      this.#checkpoints.complete(fn, id);
    });
  }

  /** Discards the prepared checkpoint with this id, if any; live state is untouched. */
  abortCheckpoint(fn: string, id: number): Promise<void> {
    return settle(() => {
      checkFn(fn);
      checkCheckpointId(id, `abort a checkpoint of function "${fn}"`);
      this.#checkpoints.abort(fn, id);
    });
  }

  /** The prepared (durable, undecided) checkpoint of a function, or null. */
  preparedCheckpoint(fn: string): Promise<CheckpointInfo | null> {
    return settle(() => {
      checkFn(fn);
      return this.#checkpoints.prepared(fn);
    });
  }

  /** The complete checkpoints of a function, oldest first. */
  listCheckpoints(fn: string): Promise<CheckpointInfo[]> {
    return settle(() => {
      checkFn(fn);
      return this.#checkpoints.list(fn);
    });
  }

  /** The latest complete checkpoint of a function with the operator's bytes, or null. */
  latestCheckpoint(fn: string): Promise<RestoredCheckpoint | null> {
    return settle(() => {
      checkFn(fn);
      return this.#checkpoints.latest(fn);
    });
  }

  /**
   * Rewinds live state and positions to a complete checkpoint and deletes
   * the checkpoints after it.
   *
   * @throws {FsError} NOT_FOUND when the function has no such checkpoint.
   */
  restoreCheckpoint(fn: string, id: number): Promise<void> {
    return settle(() => {
      checkFn(fn);
      checkCheckpointId(id, `restore a checkpoint of function "${fn}"`);
      this.#checkpoints.restore(fn, id);
    });
  }

  /** Deletes all but the newest `keep` complete checkpoints (keep >= 1). */
  pruneCheckpoints(fn: string, keep: number): Promise<void> {
    return settle(() => {
      checkFn(fn);
      checkKeep(keep);
      this.#checkpoints.prune(fn, keep);
    });
  }
}
