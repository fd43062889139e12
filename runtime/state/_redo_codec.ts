/**
 * The byte encoding of a redo log (staged commits, checkpoint redo and undo
 * logs). Version 2 writes the ops of one key space after one space header,
 * so an op is its tag, user key and value: a third smaller than version 1
 * (store and key kind on every op) and faster to write and read. Version 1
 * is still read, for logs a crash left behind.
 * @module
 */
import { FsError } from "../core/mod.ts";
import type { ComplexPrefix, StateKey } from "../core/mod.ts";
import { decodePositions, encodePositions } from "./_positions.ts";
import { ByteReader, ByteWriter } from "./_byte_codec.ts";
import { logIndex } from "./_log_index.ts";
import type { RedoLog } from "./_redo_log.ts";

const VERSION_1 = 1, VERSION = 2;
const TAG_PREFIX_DELETE = 1, TAG_PUT = 2, TAG_DELETE = 3, TAG_POSITIONS = 4;
const TAG_SIMPLE_SPACE = 5, TAG_COMPLEX_SPACE = 6;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a redo log as bytes (version 2). */
export function encodeRedoLog(log: RedoLog): Uint8Array {
  const w = new ByteWriter(1024 + log.ops.length * 24);
  w.byte(VERSION);
  for (const d of log.prefixDeletes) {
    w.byte(TAG_PREFIX_DELETE);
    w.bytes(encoder.encode(d.store));
    w.bytes(d.prefix.keyGroup);
    w.bytes(d.prefix.key);
    w.bytes(d.prefix.namespace);
  }
  for (const space of logIndex(log).spaces) {
    const first = log.ops[space.start];
    const key = first.key;
    if (key.kind === "simple") {
      w.byte(TAG_SIMPLE_SPACE);
      w.bytes(encoder.encode(first.store));
    } else {
      w.byte(TAG_COMPLEX_SPACE);
      w.bytes(encoder.encode(first.store));
      w.bytes(key.keyGroup);
      w.bytes(key.key);
      w.bytes(key.namespace);
    }
    for (let i = space.start; i < space.end; i++) {
      const op = log.ops[i];
      const k = op.key;
      w.byte(op.value === null ? TAG_DELETE : TAG_PUT);
      w.bytes(k.kind === "simple" ? k.key : k.userKey);
      if (op.value !== null) w.bytes(op.value);
    }
  }
  if (log.positions !== null) {
    w.byte(TAG_POSITIONS);
    w.bytes(encodePositions(log.positions));
  }
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
