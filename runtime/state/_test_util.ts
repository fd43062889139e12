/**
 * Helpers shared by the state tests: byte builders, whole-state snapshots
 * and temporary Deno KV files.
 * @module
 */
import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { STATE_ROOT } from "./key_codec.ts";
import { type ChunkHeader, isChunkHeader } from "./_chunks.ts";
import { isCheckpointRecord } from "./_checkpoint_record.ts";
import type {
  ComplexPrefix,
  StateBackend,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";

/** Bytes from numbers. */
export function b(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function t(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A simple state key. */
export function sk(key: Uint8Array): StateKey {
  return { kind: "simple", key };
}

/** A complex state key. */
export function ck(
  keyGroup: Uint8Array,
  key: Uint8Array,
  namespace: Uint8Array,
  userKey: Uint8Array,
): StateKey {
  return { kind: "complex", keyGroup, key, namespace, userKey };
}

/** Bytes of `size` filled with a pattern that depends on `seed`, so swapped chunks show. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every entry of a listing, fetched page by page with `after`. */
export async function listAll(
  list: (after?: Uint8Array) => Promise<StateEntry[]>,
): Promise<StateEntry[]> {
  const all: StateEntry[] = [];
  let after: Uint8Array | undefined;
  for (;;) {
    const page = await list(after);
    all.push(...page);
    if (page.length === 0) return all;
    after = page[page.length - 1].key;
  }
}

/** Where a snapshot looks: stores with simple keys, and complex prefixes by store. */
export interface SnapshotScope {
  /** Function names. */
  fns: string[];
  /** Store names (simple keys). */
  stores: string[];
  /** Complex prefixes to list, with their store. */
  prefixes: { store: string; prefix: ComplexPrefix }[];
}

/** A comparable text dump of everything a scope can see, positions included. */
export async function snapshot(
  backend: StateBackend,
  scope: SnapshotScope,
): Promise<string[]> {
  const hex = (x: Uint8Array) =>
    Array.from(x, (v) => v.toString(16).padStart(2, "0")).join("");
  const digest = async (v: Uint8Array) =>
    v.length <= 16 ? hex(v) : `${v.length}:${
      hex(
        new Uint8Array(
          await crypto.subtle.digest("SHA-256", v as Uint8Array<ArrayBuffer>),
        ),
      )
    }`;
  const lines: string[] = [];
  for (const fn of scope.fns) {
    for (const store of scope.stores) {
      const entries = await listAll((after) =>
        backend.listSimple(fn, store, {}, { after, limit: 700 })
      );
      for (const e of entries) {
        lines.push(`${fn}/${store}/s/${hex(e.key)}=${await digest(e.value)}`);
      }
    }
    for (const { store, prefix } of scope.prefixes) {
      const entries = await listAll((after) =>
        backend.listComplex(fn, store, prefix, {}, { after, limit: 700 })
      );
      const p = `${hex(prefix.keyGroup)}.${hex(prefix.key)}.${
        hex(prefix.namespace)
      }`;
      for (const e of entries) {
        lines.push(
          `${fn}/${store}/c/${p}/${hex(e.key)}=${await digest(e.value)}`,
        );
      }
    }
    for (const pos of await backend.positions(fn)) {
      lines.push(`${fn}/pos/${pos.topic}/${pos.partition}=${pos.nextOffset}`);
    }
  }
  return lines;
}

/** A Deno KV on a temporary file that can be closed and reopened (a simulated restart). */
export class TempKv {
  /** The open KV. */
  kv!: Deno.Kv;
  #dir = "";
  #path = "";

  /** Creates the file and opens it. */
  static async open(): Promise<TempKv> {
    const temp = new TempKv();
    temp.#dir = await Deno.makeTempDir({ prefix: "fs_state_" });
    temp.#path = `${temp.#dir}/state.db`;
    temp.kv = await Deno.openKv(temp.#path);
    return temp;
  }

  /** Closes and reopens the same file. */
  async reopen(): Promise<Deno.Kv> {
    this.kv.close();
    this.kv = await Deno.openKv(this.#path);
    return this.kv;
  }

  /** Every key in the KV. */
  async rawKeys(): Promise<Deno.KvKey[]> {
    const keys: Deno.KvKey[] = [];
    for await (const e of this.kv.list({ prefix: [] })) keys.push(e.key);
    return keys;
  }

  /** Closes the KV and removes the files. */
  async close(): Promise<void> {
    try {
      this.kv.close();
    } catch {
      // Already closed by a test.
    }
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/** An assert.rejects/throws validator for an FsError with a code (and message pattern). */
export function isFsError(
  code: string,
  pattern?: RegExp,
): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof FsError, `expected FsError, got ${e}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/** A put mutation. */
export function put(
  store: string,
  key: StateKey,
  value: Uint8Array,
): StateMutation {
  return { op: "put", store, key, value };
}

/**
 * Checks a function's raw layout after recovery: no marker or staging left,
 * every value chunk referenced by a live header, every index entry equal to
 * its live header, and every checkpoint record prepared or complete with
 * exactly the data chunks its headers name.
 */
export async function assertTidy(kv: Deno.Kv, fn: string): Promise<void> {
  const headers = new Map<string, ChunkHeader>();
  const chunks: Deno.KvKey[] = [];
  const index = new Map<string, unknown>();
  const expectedData = new Map<string, number>();
  const data = new Map<string, number>();
  for await (const e of kv.list<unknown>({ prefix: [STATE_ROOT, fn] })) {
    const space = e.key[2];
    assert.ok(space !== "m" && space !== "g", `left over ${String(space)} key`);
    if ((space === "v" || space === "p") && isChunkHeader(e.value)) {
      headers.set(JSON.stringify(e.key.slice(3).map(String)), e.value);
      headers.set(`id:${e.value.id}`, e.value);
    }
    if (space === "b") {
      index.set(JSON.stringify(e.key.slice(3).map(String)), e.value);
    }
    if (space === "k") chunks.push(e.key);
    if (space === "c") {
      const r = e.value;
      assert.ok(isCheckpointRecord(r), "malformed checkpoint record");
      assert.ok(
        r.phase === "prepared" || r.phase === "complete",
        `checkpoint ${r.id} left ${r.phase}`,
      );
      const p = r.parts!;
      for (
        const [part, h] of [["r", p.redo], ["u", p.undo], ["p", p.positions], [
          "o",
          p.operatorData,
        ]] as const
      ) {
        if (h) expectedData.set(`${r.id}/${part}`, h.count);
      }
    }
    if (space === "d") {
      const id = `${String(e.key[3])}/${String(e.key[4])}`;
      data.set(id, (data.get(id) ?? 0) + 1);
    }
  }
  for (const [k, v] of index) {
    assert.deepEqual(
      headers.get(k),
      v,
      "index entry disagrees with its live header",
    );
  }
  for (const key of chunks) {
    const header = headers.get(`id:${String(key[3])}`);
    assert.ok(
      header && (key[4] as number) < header.count,
      `orphan chunk ${String(key[3])}/${String(key[4])}`,
    );
  }
  const expected = [...headers.entries()].filter(([k]) => k.startsWith("id:"))
    .reduce((n, [, h]) => n + h.count, 0);
  assert.equal(chunks.length, expected);
  for (const [k, n] of expectedData) {
    if (n > 0 || data.has(k)) assert.equal(data.get(k), n, `data of ${k}`);
  }
  for (const k of data.keys()) {
    assert.ok(expectedData.has(k), `orphan checkpoint data ${k}`);
  }
}
