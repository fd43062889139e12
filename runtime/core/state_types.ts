/**
 * The vocabulary of operator state, shared by the isolate (which produces
 * mutations and asks for reads) and the state backends (which store them).
 * @module
 */
import type { SourcePosition } from "./records.ts";

/** The four parts of a ComplexKey (SPEC section 2), as raw bytes. */
export interface ComplexKeyParts {
  /** Key group. */
  keyGroup: Uint8Array;
  /** Primary key. */
  key: Uint8Array;
  /** Namespace. */
  namespace: Uint8Array;
  /** User key: the part that is listed and range-scanned. */
  userKey: Uint8Array;
}

/** The parts of a ComplexKey that name a prefix (everything but the user key). */
export type ComplexPrefix = Omit<ComplexKeyParts, "userKey">;

/** A key in one KvStore: a simple byte key or a ComplexKey. */
export type StateKey =
  | { kind: "simple"; key: Uint8Array }
  | ({ kind: "complex" } & ComplexKeyParts);

/** One change to one KvStore of one function. */
export type StateMutation =
  | { op: "put"; store: string; key: StateKey; value: Uint8Array }
  | { op: "delete"; store: string; key: StateKey }
  | { op: "deletePrefix"; store: string; prefix: ComplexPrefix };

/** A key with its value, as listed by a scan. */
export interface StateEntry {
  /** The simple key, or the user key of a ComplexKey. */
  key: Uint8Array;
  /** The stored value. */
  value: Uint8Array;
}

/** A range of keys: start inclusive, end exclusive; an absent bound is open. */
export interface KeyRange {
  /** First key of the range (inclusive). */
  start?: Uint8Array;
  /** End of the range (exclusive). */
  end?: Uint8Array;
}

/** Options for listing entries page by page. */
export interface ListPageOptions {
  /**
   * Largest number of entries to return.
   * @default 1000
   */
  limit?: number;
  /** Return only keys strictly after this one (the last key of the previous page). */
  after?: Uint8Array;
}

/** What one commit makes durable, all or nothing. */
export interface StateCommit {
  /** State changes, applied in order. */
  mutations: StateMutation[];
  /** Input positions reached together with these changes. */
  positions?: SourcePosition[];
}

/**
 * Where operator state lives. Every method is scoped by function name, so
 * one function can never see another's state.
 */
export interface StateBackend {
  /** Reads one value, or null when the key is absent. */
  get(fn: string, store: string, key: StateKey): Promise<Uint8Array | null>;
  /** Lists simple keys of a store in byte order, one page at a time. */
  listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]>;
  /** Lists user keys under a ComplexKey prefix in byte order, one page at a time. */
  listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]>;
  /** Makes mutations and positions durable together: all of them or none, whatever their size. */
  commit(fn: string, commit: StateCommit): Promise<void>;
  /** Reads the input positions stored by the last commit of a function. */
  positions(fn: string): Promise<SourcePosition[]>;
  /** Removes every key, value and position of a function. */
  dropFunction(fn: string): Promise<void>;
}
