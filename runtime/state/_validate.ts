/**
 * Argument checks shared by every backend, so that all of them accept and
 * reject exactly the same calls with the same errors.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type {
  CheckpointData,
  ComplexPrefix,
  KeyRange,
  ListPageOptions,
  StateCommit,
  StateKey,
} from "../core/mod.ts";
import {
  checkKeySize,
  compareBytes,
  complexPrefixKey,
  liveKey,
} from "./key_codec.ts";
import { MAX_VALUE_BYTES } from "./limits.ts";
import { encodePositions } from "./_positions.ts";

/** Default page size of listings. */
export const DEFAULT_LIST_LIMIT = 1000;

function bad(message: string): FsError {
  return new FsError("BAD_REQUEST", message);
}

function checkBytes(value: unknown, what: string): void {
  if (!(value instanceof Uint8Array)) {
    throw bad(
      `Cannot use ${what} as it is not a Uint8Array: current value is ${typeof value}`,
    );
  }
}

/** Checks a function name and a store name. */
export function checkNames(fn: string, store: string): void {
  if (typeof fn !== "string" || fn.length === 0) {
    throw bad(
      `Cannot use function name as it is empty or not a string: current value is ${
        JSON.stringify(fn)
      }`,
    );
  }
  if (typeof store !== "string") {
    throw bad(
      `Cannot use store name as it is not a string: current value is ${typeof store}`,
    );
  }
}

/** Checks a function name alone. */
export function checkFn(fn: string): void {
  checkNames(fn, "");
}

/** Checks a key's shape and that its encoded form fits the key limit. */
export function checkKey(fn: string, store: string, key: StateKey): void {
  checkNames(fn, store);
  if (key?.kind === "simple") checkBytes(key.key, "simple key");
  else if (key?.kind === "complex") {
    checkBytes(key.keyGroup, "key_group");
    checkBytes(key.key, "key");
    checkBytes(key.namespace, "namespace");
    checkBytes(key.userKey, "user_key");
  } else {
    throw bad(
      `Cannot use state key as its kind is unknown: current value is ${
        String((key as { kind?: unknown })?.kind)
      }`,
    );
  }
  checkKeySize(liveKey(fn, store, key), `a key of store "${store}"`);
}

/** Checks a ComplexKey prefix. */
export function checkPrefix(
  fn: string,
  store: string,
  prefix: ComplexPrefix,
): void {
  checkNames(fn, store);
  checkBytes(prefix?.keyGroup, "key_group");
  checkBytes(prefix.key, "key");
  checkBytes(prefix.namespace, "namespace");
  checkKeySize(
    complexPrefixKey(fn, store, prefix),
    `a key prefix of store "${store}"`,
  );
}

/** Checks a value's type and size. */
export function checkValue(value: Uint8Array, what = "value"): void {
  checkBytes(value, what);
  if (value.length > MAX_VALUE_BYTES) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot store ${what} as it exceeds the ${MAX_VALUE_BYTES}-byte (16 MiB) value limit: ` +
        `current value is ${value.length} bytes`,
    );
  }
}

/** Checks every mutation and the positions of a commit before anything is written. */
export function checkCommit(fn: string, commit: StateCommit): void {
  checkFn(fn);
  if (!Array.isArray(commit?.mutations)) {
    throw bad(
      `Cannot commit state as mutations is not a list: current value is ${typeof commit
        ?.mutations}`,
    );
  }
  for (const m of commit.mutations) {
    if (m?.op === "put") {
      checkKey(fn, m.store, m.key);
      checkValue(m.value);
    } else if (m?.op === "delete") checkKey(fn, m.store, m.key);
    else if (m?.op === "deletePrefix") checkPrefix(fn, m.store, m.prefix);
    else {throw bad(
        `Cannot commit state as a mutation is unknown: current value is ${
          String((m as { op?: unknown })?.op)
        }`,
      );}
  }
  if (commit.positions === undefined) return;
  if (!Array.isArray(commit.positions)) {
    throw bad(
      `Cannot commit positions as they are not a list: current value is ${typeof commit
        .positions}`,
    );
  }
  for (const p of commit.positions) {
    if (
      typeof p?.topic !== "string" || !Number.isInteger(p.partition) ||
      typeof p.nextOffset !== "bigint"
    ) {
      throw bad(
        `Cannot commit positions as one is malformed: current value is ${
          JSON.stringify(p, (_k, v) => typeof v === "bigint" ? v.toString() : v)
        }`,
      );
    }
  }
  checkValue(encodePositions(commit.positions), "positions");
}

/** Checks a checkpoint id (a positive safe integer). */
export function checkCheckpointId(
  id: number,
  what = "use a checkpoint id",
): void {
  if (!Number.isSafeInteger(id) || id < 1) {
    throw bad(
      `Cannot ${what} as it must be a positive integer: current value is ${id}`,
    );
  }
}

/** Checks everything a checkpoint carries before anything is written. */
export function checkCheckpoint(fn: string, data: CheckpointData): void {
  checkFn(fn);
  checkCheckpointId(data?.id, `prepare a checkpoint of function "${fn}"`);
  if (!Number.isFinite(data.createdAtMs)) {
    throw bad(
      `Cannot prepare checkpoint ${data.id} as createdAtMs is not a number: current value is ${data.createdAtMs}`,
    );
  }
  if (typeof data.token !== "string") {
    throw bad(
      `Cannot prepare checkpoint ${data.id} as its token is not a string: current value is ${typeof data
        .token}`,
    );
  }
  if (!Array.isArray(data.positions)) {
    throw bad(
      `Cannot prepare checkpoint ${data.id} as positions is not a list: current value is ${typeof data
        .positions}`,
    );
  }
  checkCommit(fn, { mutations: data.mutations, positions: data.positions });
  if (data.operatorData !== null) {
    checkValue(data.operatorData, "the operator's checkpoint bytes");
  }
}

/** Checks the number of checkpoints to keep (at least one). */
export function checkKeep(keep: number): void {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw bad(
      `Cannot prune checkpoints as keep must be a positive integer: current value is ${keep}`,
    );
  }
}

/** A listing resolved to bounds: keys in [lower, end), skipping `lower` itself when exclusive. */
export interface ResolvedList {
  /** Largest number of entries. */
  limit: number;
  /** Lower bound, or undefined for open. */
  lower?: Uint8Array;
  /** Whether the lower bound itself is excluded (it came from `after`). */
  lowerExclusive: boolean;
  /** Exclusive upper bound, or undefined for open. */
  end?: Uint8Array;
}

/**
 * Checks a range and page options and folds `after` into the lower bound.
 * Returns null when the range is empty. `prefixKey` is the listed prefix,
 * used to check that bounds fit the key limit.
 */
export function resolveList(
  prefixKey: Deno.KvKey,
  range: KeyRange,
  options: ListPageOptions = {},
): ResolvedList | null {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw bad(
      `Cannot list keys as limit must be a positive integer: current value is ${limit}`,
    );
  }
  const bounds: [string, Uint8Array | undefined][] = [
    ["range start", range?.start],
    ["range end", range?.end],
    ["after", options.after],
  ];
  for (const [what, bound] of bounds) {
    if (bound === undefined) continue;
    checkBytes(bound, what);
    checkKeySize([...prefixKey, bound], `the listing ${what}`);
  }
  let lower = range.start;
  let lowerExclusive = false;
  const after = options.after;
  if (
    after !== undefined &&
    (lower === undefined || compareBytes(after, lower) >= 0)
  ) {
    lower = after;
    lowerExclusive = true;
  }
  if (
    lower !== undefined && range.end !== undefined &&
    compareBytes(lower, range.end) >= 0
  ) {
    return null;
  }
  return { limit, lower, lowerExclusive, end: range.end };
}
