/**
 * The byte encoding of a redo log (staged commits, checkpoint redo and undo
 * logs). Version 2 writes the ops of one key space after one space header,
 * so an op is its tag, user key and value: a third smaller than version 1
 * (store and key kind on every op) and faster to write and read. Version 1
 * is still read, for logs a crash left behind.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { ComplexPrefix, SourcePosition, StateKey } from "../core/mod.ts";
import { decodePositions, encodePositions } from "./_positions.ts";
import { ByteReader, ByteWriter } from "./_byte_codec.ts";
import { logSpaces } from "./_log_index.ts";
import type { RedoLog } from "./_redo_log.ts";

const VERSION_1 = 1, VERSION = 2;
const TAG_PREFIX_DELETE = 1, TAG_PUT = 2, TAG_DELETE = 3, TAG_POSITIONS = 4;
const TAG_SIMPLE_SPACE = 5, TAG_COMPLEX_SPACE = 6;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes a redo log (version 2) op by op: a space header whenever the key
 * space changes, then each op's tag, user key and value. The undo images of
 * a checkpoint are written this way as they are found.
 */
export class RedoWriter {
  readonly #w: ByteWriter;
  #space: string | null = null;

  /** Starts a log; `capacity` is a size guess (the buffer grows past it). */
  constructor(capacity = 1024) {
    this.#w = new ByteWriter(capacity);
    this.#w.byte(VERSION);
  }

  /** Writes a prefix delete (applied before every op, wherever it is written). */
  prefixDelete(store: string, prefix: ComplexPrefix): void {
    const w = this.#w;
    w.byte(TAG_PREFIX_DELETE);
    w.bytes(encoder.encode(store));
    w.bytes(prefix.keyGroup);
    w.bytes(prefix.key);
    w.bytes(prefix.namespace);
  }

  /** Makes the following ops belong to a key space (see spaceIdOf); a no-op when they already do. */
  space(id: string, store: string, prefix: ComplexPrefix | null): void {
    if (id === this.#space) return;
    this.#space = id;
    const w = this.#w;
    w.byte(prefix === null ? TAG_SIMPLE_SPACE : TAG_COMPLEX_SPACE);
    w.bytes(encoder.encode(store));
    if (prefix !== null) {
      w.bytes(prefix.keyGroup);
      w.bytes(prefix.key);
      w.bytes(prefix.namespace);
    }
  }

  /** Writes a put (bytes, or a bytesId string) or a delete (null) of a user key of the current space. */
  op(userKey: Uint8Array, value: Uint8Array | string | null): void {
    const w = this.#w;
    w.byte(value === null ? TAG_DELETE : TAG_PUT);
    w.bytes(userKey);
    if (value === null) return;
    if (typeof value === "string") w.chars(value);
    else w.bytes(value);
  }

  /** Writes positions. */
  positions(positions: SourcePosition[]): void {
    this.#w.byte(TAG_POSITIONS);
    this.#w.bytes(encodePositions(positions));
  }

  /** The encoded log. */
  result(): Uint8Array {
    return this.#w.result();
  }
}

/** The ComplexKey prefix of a key, or null for a simple key. */
export function prefixOfKey(key: StateKey): ComplexPrefix | null {
  return key.kind === "simple"
    ? null
    : { keyGroup: key.keyGroup, key: key.key, namespace: key.namespace };
}

/** Encodes a redo log as bytes (version 2). */
export function encodeRedoLog(log: RedoLog): Uint8Array {
  const w = new RedoWriter(1024 + log.ops.length * 24);
  for (const d of log.prefixDeletes) w.prefixDelete(d.store, d.prefix);
  for (const space of logSpaces(log)) {
    const first = log.ops[space.start];
    w.space(space.id, first.store, prefixOfKey(first.key));
    for (let i = space.start; i < space.end; i++) {
      const op = log.ops[i];
      const k = op.key;
      w.op(k.kind === "simple" ? k.key : k.userKey, op.value);
    }
  }
  if (log.positions !== null) w.positions(log.positions);
  return w.result();
}

function unknownTag(tag: number): FsError {
  return new FsError(
    "INTERNAL",
    `Cannot decode the redo log as an entry tag is unknown: current value is ${tag}`,
  );
}

/** Decodes what {@link encodeRedoLog} wrote (version 2, or version 1 of older logs). */
export function decodeRedoLog(bytes: Uint8Array): RedoLog {
  const r = new ByteReader(bytes, "the redo log");
  const version = r.byte();
  if (version !== VERSION && version !== VERSION_1) {
    throw new FsError(
      "INTERNAL",
      `Cannot decode the redo log as its version is unknown: current value is ${version}`,
    );
  }
  const log: RedoLog = { prefixDeletes: [], ops: [], positions: null };
  let store = "";
  let prefix: ComplexPrefix | null = null;
  let inSpace = false;
  while (!r.done) {
    const tag = r.byte();
    if (tag === TAG_POSITIONS) {
      log.positions = decodePositions(r.bytes());
    } else if (tag === TAG_PREFIX_DELETE) {
      const s = decoder.decode(r.bytes());
      const [keyGroup, key, namespace] = [r.bytes(), r.bytes(), r.bytes()];
      log.prefixDeletes.push({
        store: s,
        prefix: { keyGroup, key, namespace },
      });
    } else if (
      version === VERSION_1 && (tag === TAG_PUT || tag === TAG_DELETE)
    ) {
      const s = decoder.decode(r.bytes());
      const key = readKeyV1(r);
      log.ops.push({
        store: s,
        key,
        value: tag === TAG_PUT ? r.bytes() : null,
      });
    } else if (tag === TAG_SIMPLE_SPACE || tag === TAG_COMPLEX_SPACE) {
      store = decoder.decode(r.bytes());
      prefix = tag === TAG_SIMPLE_SPACE
        ? null
        : { keyGroup: r.bytes(), key: r.bytes(), namespace: r.bytes() };
      inSpace = true;
    } else if (inSpace && (tag === TAG_PUT || tag === TAG_DELETE)) {
      const user = r.bytes();
      const key: StateKey = prefix === null
        ? { kind: "simple", key: user }
        : { kind: "complex", ...prefix, userKey: user };
      log.ops.push({ store, key, value: tag === TAG_PUT ? r.bytes() : null });
    } else throw unknownTag(tag);
  }
  return log;
}

function readKeyV1(r: ByteReader): StateKey {
  if (r.byte() === 0) return { kind: "simple", key: r.bytes() };
  const [keyGroup, key, namespace, userKey] = [
    r.bytes(),
    r.bytes(),
    r.bytes(),
    r.bytes(),
  ];
  return { kind: "complex", keyGroup, key, namespace, userKey };
}
