import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import type { StateKey } from "../core/mod.ts";
import {
  checkKeySize,
  compareBytes,
  complexPrefixKey,
  encodedKeySize,
  hexOf,
  liveKey,
  parseStateKey,
  stateKeyId,
  userKeyBudget,
} from "./key_codec.ts";
import { MAX_KEY_BYTES } from "./limits.ts";
import { b, prng } from "./_test_util.ts";

const PARTS = [
  b(),
  b(0),
  b(0, 0),
  b(0xff),
  b(0, 0xff),
  b(0xff, 0),
  b(1),
  b(1, 0),
];

function allComplexKeys(): (StateKey & { kind: "complex" })[] {
  const keys: (StateKey & { kind: "complex" })[] = [];
  for (const keyGroup of PARTS) {
    for (const key of PARTS) {
      for (const namespace of PARTS) {
        for (const userKey of PARTS) {
          keys.push({ kind: "complex", keyGroup, key, namespace, userKey });
        }
      }
    }
  }
  return keys;
}

function compareTuples(a: Uint8Array[], z: Uint8Array[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareBytes(a[i], z[i]);
    if (c !== 0) return c;
  }
  return 0;
}

Deno.test("liveKey() never maps two different ComplexKeys to the same Deno KV key", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const keys = allComplexKeys();
    for (let i = 0; i < keys.length; i += 500) {
      const op = kv.atomic();
      keys.slice(i, i + 500).forEach((k, j) =>
        op.set(liveKey("f", "db", k), i + j)
      );
      assert.ok((await op.commit()).ok);
    }
    let n = 0;
    for await (const e of kv.list<number>({ prefix: [] })) {
      const parsed = parseStateKey(e.key);
      assert.ok(parsed);
      assert.deepEqual(parsed.key, keys[e.value]);
      n++;
    }
    assert.equal(n, keys.length);
    assert.equal(
      new Set(keys.map((k) => stateKeyId("db", k))).size,
      keys.length,
    );
  } finally {
    kv.close();
  }
});

Deno.test("liveKey() orders ComplexKeys part by part in byte order, and user keys in byte order", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const keys = allComplexKeys();
    const next = prng(7);
    const shuffled = [...keys].sort(() => next() - 0.5);
    for (let i = 0; i < shuffled.length; i += 500) {
      const op = kv.atomic();
      for (const k of shuffled.slice(i, i + 500)) {
        op.set(liveKey("f", "db", k), 0);
      }
      await op.commit();
    }
    const listed: Uint8Array[][] = [];
    for await (const e of kv.list({ prefix: ["st", "f", "v", "db", "c"] })) {
      listed.push(e.key.slice(5) as Uint8Array[]);
    }
    const parts = (
      k: typeof keys[number],
    ) => [k.keyGroup, k.key, k.namespace, k.userKey];
    assert.deepEqual(listed, keys.map(parts).sort(compareTuples));
    const prefix = { keyGroup: b(0), key: b(0xff), namespace: b() };
    const users: Uint8Array[] = [];
    for await (
      const e of kv.list({ prefix: complexPrefixKey("f", "db", prefix) })
    ) {
      users.push(e.key[e.key.length - 1] as Uint8Array);
    }
    assert.deepEqual(users, [...PARTS].sort(compareBytes));
  } finally {
    kv.close();
  }
});

Deno.test("encodedKeySize() matches the Deno KV key limit exactly", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (const [fn, store] of [["f", "db"], ["fünf\0", "a\0b"]]) {
      const budget = userKeyBudget(fn, store, "simple");
      // Half zeros: every 0x00 costs two encoded bytes.
      const zeros = Math.floor(budget / 4);
      const at = new Uint8Array(budget - zeros).fill(9);
      at.fill(0, 0, zeros);
      const key = liveKey(fn, store, { kind: "simple", key: at });
      assert.equal(encodedKeySize(key), MAX_KEY_BYTES);
      checkKeySize(key, "key");
      assert.ok((await kv.set(key, 1)).ok);
      const over = liveKey(fn, store, {
        kind: "simple",
        key: new Uint8Array([...at, 0]),
      });
      assert.throws(
        () => checkKeySize(over, "a test key"),
        (e) =>
          e instanceof FsError && e.code === "LIMIT_EXCEEDED" &&
          e.message.includes(`${MAX_KEY_BYTES}-byte key limit`) &&
          e.message.includes(`${MAX_KEY_BYTES + 2} bytes`),
      );
      await assert.rejects(kv.set(over, 1), /Key too large/);
    }
  } finally {
    kv.close();
  }
});

Deno.test("userKeyBudget() leaves 2032 or 2026 bytes minus the names", () => {
  assert.equal(userKeyBudget("", "", "simple"), MAX_KEY_BYTES - 16);
  assert.equal(userKeyBudget("", "", "complex"), MAX_KEY_BYTES - 22);
  assert.equal(
    userKeyBudget("fn", "stats_db", "simple"),
    MAX_KEY_BYTES - 16 - 2 - 8,
  );
});

Deno.test("hexOf() preserves byte order", () => {
  const next = prng(3);
  const rand = () =>
    new Uint8Array(
      Array.from({ length: Math.floor(next() * 4) }, () =>
        [0, 1, 0xff, 0x10][Math.floor(next() * 4)]),
    );
  for (let i = 0; i < 2000; i++) {
    const [x, y] = [rand(), rand()];
    const byHex = hexOf(x) < hexOf(y) ? -1 : hexOf(x) > hexOf(y) ? 1 : 0;
    assert.equal(byHex, Math.sign(compareBytes(x, y)));
  }
});
