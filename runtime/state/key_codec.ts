/**
 * Deno KV key layout of operator state. Every key is a native Deno KV tuple
 * whose user-supplied parts are Uint8Array parts: Deno KV escapes them
 * (0x00 becomes 0x00 0xFF, then a 0x00 terminator), so different tuples never
 * encode alike, and tuples of byte parts sort part by part in byte order.
 *
 * ```
 * ["st", fn, "v", store, "s", key]                       simple value
 * ["st", fn, "v", store, "c", keyGroup, key, ns, user]   complex value
 * ["st", fn, "b", store, "s" | "c", ...same parts]       index of chunked values
 * ["st", fn, "k", valueId, i]                            value chunk i
 * ["st", fn, "p"]                                        input positions
 * ["st", fn, "m"]                                        commit or drop marker
 * ["st", fn, "g", commitId, i]                           staged redo log chunk i
 * ["st", fn, "n"]                                        last checkpoint id reserved
 * ["st", fn, "c", id]                                    checkpoint record (phase, headers)
 * ["st", fn, "d", id, part, i]                           checkpoint data chunk i
 * ```
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { ComplexKeyParts, ComplexPrefix, StateKey } from "../core/mod.ts";
import { MAX_KEY_BYTES } from "./limits.ts";

/** First part of every state key, so state shares one Deno KV with other data. */
export const STATE_ROOT = "st";

const encoder = new TextEncoder();

/** Every key of one function, for dropping it. */
export function functionPrefix(fn: string): Deno.KvKey {
  return [STATE_ROOT, fn];
}

/** The live key that holds a value (or the header of a chunked value). */
export function liveKey(fn: string, store: string, key: StateKey): Deno.KvKey {
  return stateKey(fn, "v", store, key);
}

/** The index entry that records a chunked value, so chunks are found without a scan. */
export function bigIndexKey(
  fn: string,
  store: string,
  key: StateKey,
): Deno.KvKey {
  return stateKey(fn, "b", store, key);
}

/** The prefix of every index entry of a function. */
export function bigIndexPrefix(fn: string): Deno.KvKey {
  return [STATE_ROOT, fn, "b"];
}

/** The prefix under which the simple keys of a store are listed. */
export function simplePrefixKey(fn: string, store: string): Deno.KvKey {
  return [STATE_ROOT, fn, "v", store, "s"];
}

/** The prefix under which the user keys of one (keyGroup, key, namespace) are listed. */
export function complexPrefixKey(
  fn: string,
  store: string,
  prefix: ComplexPrefix,
): Deno.KvKey {
  return [
    STATE_ROOT,
    fn,
    "v",
    store,
    "c",
    prefix.keyGroup,
    prefix.key,
    prefix.namespace,
  ];
}

/** The prefix of the chunks of one chunked value. */
export function chunkPrefix(fn: string, valueId: string): Deno.KvKey {
  return [STATE_ROOT, fn, "k", valueId];
}

/** The key of a function's input positions. */
export function positionsKey(fn: string): Deno.KvKey {
  return [STATE_ROOT, fn, "p"];
}

/** The key of a function's commit or drop marker. */
export function markerKey(fn: string): Deno.KvKey {
  return [STATE_ROOT, fn, "m"];
}

/** The prefix of a staged redo log (or of every staged log when commitId is absent). */
export function stagingPrefix(fn: string, commitId?: string): Deno.KvKey {
  return commitId === undefined
    ? [STATE_ROOT, fn, "g"]
    : [STATE_ROOT, fn, "g", commitId];
}

/** The key of the last checkpoint id a function reserved. */
export function checkpointCounterKey(fn: string): Deno.KvKey {
  return [STATE_ROOT, fn, "n"];
}

/** The key of one checkpoint record, or the prefix of all of them when id is absent. */
export function checkpointKey(fn: string, id?: number): Deno.KvKey {
  return id === undefined ? [STATE_ROOT, fn, "c"] : [STATE_ROOT, fn, "c", id];
}

/**
 * The prefix of a checkpoint's data: "r" redo log, "u" undo log, "p"
 * positions, "o" operator bytes; every part when part is absent.
 */
export function checkpointDataPrefix(
  fn: string,
  id: number,
  part?: "r" | "u" | "p" | "o",
): Deno.KvKey {
  return part === undefined
    ? [STATE_ROOT, fn, "d", id]
    : [STATE_ROOT, fn, "d", id, part];
}

function stateKey(
  fn: string,
  space: "v" | "b",
  store: string,
  key: StateKey,
): Deno.KvKey {
  if (key.kind === "simple") {
    return [STATE_ROOT, fn, space, store, "s", key.key];
  }
  return [
    STATE_ROOT,
    fn,
    space,
    store,
    "c",
    key.keyGroup,
    key.key,
    key.namespace,
    key.userKey,
  ];
}

/**
 * Reads the store and state key back from a live or index key.
 * Returns null when the key is not a state key.
 */
export function parseStateKey(
  kvKey: Deno.KvKey,
): { store: string; key: StateKey } | null {
  const store = kvKey[3];
  if (typeof store !== "string") return null;
  const parts = kvKey.slice(5);
  if (!parts.every((p) => p instanceof Uint8Array)) return null;
  const bytes = parts as Uint8Array[];
  if (kvKey[4] === "s" && bytes.length === 1) {
    return { store, key: { kind: "simple", key: bytes[0] } };
  }
  if (kvKey[4] === "c" && bytes.length === 4) {
    const [keyGroup, key, namespace, userKey] = bytes;
    return {
      store,
      key: { kind: "complex", keyGroup, key, namespace, userKey },
    };
  }
  return null;
}

/** Size in bytes of a key as Deno KV encodes it (strings, byte arrays, numbers, booleans). */
export function encodedKeySize(key: Deno.KvKey): number {
  let size = 0;
  for (const part of key) {
    if (part instanceof Uint8Array) size += bytesPartSize(part);
    else if (typeof part === "string") size += stringSize(part);
    else if (typeof part === "number") size += 9;
    else if (typeof part === "boolean") size += 1;
    else {
      throw new FsError(
        "INTERNAL",
        `Cannot size key part as its type is unsupported: current value is ${typeof part}`,
      );
    }
  }
  return size;
}

/** Encoded size of a string part; ASCII without NUL (the common case) needs no encoding. */
function stringSize(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c >= 0x80) {
      const utf8 = encoder.encode(s);
      return 2 + utf8.length + zeros(utf8);
    }
  }
  return 2 + s.length;
}

/** Encoded size of a byte-string key part: type byte, bytes (0x00 doubled), terminator. */
export function bytesPartSize(bytes: Uint8Array): number {
  return 2 + bytes.length + zeros(bytes);
}

function zeros(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) n++;
  return n;
}

/**
 * Throws FsError("LIMIT_EXCEEDED") when a key would exceed the Deno KV key
 * limit once encoded. `what` names the key in the message.
 */
export function checkKeySize(key: Deno.KvKey, what: string): void {
  const size = encodedKeySize(key);
  if (size > MAX_KEY_BYTES) {
    throw new FsError(
      "LIMIT_EXCEEDED",
      `Cannot use ${what} as its encoded size exceeds the ${MAX_KEY_BYTES}-byte ` +
        `key limit: current value is ${size} bytes`,
    );
  }
}

/**
 * The usable key budget of a store: the most bytes the user parts of a key
 * may have together (a simple key, or the four parts of a ComplexKey), where
 * every 0x00 byte counts twice. It is MAX_KEY_BYTES minus the layout's
 * overhead: 16 bytes for simple keys and 22 for complex keys, plus the
 * function and store names (UTF-8, 0x00 counted twice).
 */
export function userKeyBudget(
  fn: string,
  store: string,
  kind: StateKey["kind"],
): number {
  const empty = new Uint8Array();
  const key: StateKey = kind === "simple"
    ? { kind, key: empty }
    : { kind, keyGroup: empty, key: empty, namespace: empty, userKey: empty };
  return MAX_KEY_BYTES - encodedKeySize(liveKey(fn, store, key));
}

const HEX: string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** Lower-case hex of bytes; comparing two hex strings compares the bytes. */
export function hexOf(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/**
 * A string that identifies bytes (one char per byte; injective, not ordered).
 * Much cheaper than hex for map keys.
 */
export function bytesId(bytes: Uint8Array): string {
  let s = "";
  if (bytes.length <= 256) {
    // A plain loop beats spreading into fromCharCode for short keys.
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  for (let at = 0; at < bytes.length; at += 4096) {
    s += String.fromCharCode(...bytes.subarray(at, at + 4096));
  }
  return s;
}

/** A string that identifies a (keyGroup, key, namespace) prefix in one store. */
export function complexPrefixId(store: string, prefix: ComplexPrefix): string {
  const { keyGroup, key, namespace } = prefix;
  return `c${store.length}:${store}${keyGroup.length}:${
    bytesId(keyGroup)
  }${key.length}:${bytesId(key)}${namespace.length}:${bytesId(namespace)}`;
}

/** A string that identifies one key of one store (for in-memory maps). */
export function stateKeyId(store: string, key: StateKey): string {
  if (key.kind === "simple") {
    return `s${store.length}:${store}${bytesId(key.key)}`;
  }
  return `${complexPrefixId(store, key)}${bytesId(key.userKey)}`;
}

/** Compares bytes lexicographically (a prefix sorts first), as Deno KV orders byte parts. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** The prefix parts of a ComplexKey. */
export function prefixOf(parts: ComplexKeyParts): ComplexPrefix {
  return {
    keyGroup: parts.keyGroup,
    key: parts.key,
    namespace: parts.namespace,
  };
}
