import assert from "node:assert/strict";
import type { StateMutation } from "../core/mod.ts";
import { netEffect } from "./_redo_log.ts";
import { decodeRedoLog, encodeRedoLog } from "./_redo_codec.ts";
import { liveKey } from "./key_codec.ts";
import { b, ck, pattern, prng, sk } from "./_test_util.ts";

const P = { keyGroup: b(1), key: b(), namespace: b(0) };

Deno.test("netEffect() keeps the last write per key and drops writes a later deletePrefix covers", () => {
  const mutations: StateMutation[] = [
    { op: "put", store: "s", key: sk(b(1)), value: b(1) },
    { op: "put", store: "s", key: ck(b(1), b(), b(0), b(5)), value: b(5) },
    { op: "put", store: "s", key: ck(b(1), b(), b(0, 0), b(6)), value: b(6) },
    { op: "deletePrefix", store: "s", prefix: P },
    { op: "put", store: "s", key: ck(b(1), b(), b(0), b(7)), value: b(7) },
    { op: "delete", store: "s", key: sk(b(1)) },
    { op: "put", store: "t", key: sk(b(1)), value: b(9) },
  ];
  const log = netEffect(mutations, undefined);
  assert.deepEqual(log.prefixDeletes, [{ store: "s", prefix: P }]);
  // In Deno KV order: a store's complex keys ("c") before its simple ones ("s").
  assert.deepEqual(log.ops, [
    { store: "s", key: ck(b(1), b(), b(0), b(7)), value: b(7) },
    { store: "s", key: ck(b(1), b(), b(0, 0), b(6)), value: b(6) },
    { store: "s", key: sk(b(1)), value: null },
    { store: "t", key: sk(b(1)), value: b(9) },
  ]);
  assert.equal(log.positions, null);
});

Deno.test("decodeRedoLog() reads back what encodeRedoLog() wrote, and refuses a truncated log", () => {
  const log = netEffect([
    { op: "deletePrefix", store: "ü", prefix: P },
    { op: "put", store: "s", key: sk(b()), value: b() },
    {
      op: "put",
      store: "s",
      key: ck(b(0), b(0xff), b(), b(0, 0)),
      value: pattern(300_000),
    },
    { op: "delete", store: "", key: sk(b(0xff)) },
  ], [{ topic: "t", partition: 3, nextOffset: 2n ** 64n }]);
  const bytes = encodeRedoLog(log);
  assert.deepEqual(decodeRedoLog(bytes), log);
  assert.throws(
    () => decodeRedoLog(bytes.subarray(0, bytes.length - 1)),
    /truncated/,
  );
  assert.throws(() => decodeRedoLog(b(9)), /version/);
});

Deno.test("netEffect() orders ops as Deno KV orders their live keys", async () => {
  const next = prng(7);
  const bytes = () =>
    new Uint8Array(
      Array.from(
        { length: Math.floor(next() * 4) },
        () => [0, 1, 0x7f, 0xfe, 0xff][Math.floor(next() * 5)],
      ),
    );
  const stores = ["a", "a\0", "ab", "", "ü"];
  const mutations: StateMutation[] = [];
  for (let i = 0; i < 600; i++) {
    const store = stores[Math.floor(next() * stores.length)];
    const key = next() < 0.5
      ? sk(bytes())
      : ck(bytes(), bytes(), bytes(), bytes());
    mutations.push({ op: "put", store, key, value: b(i % 256) });
  }
  const log = netEffect(mutations, undefined);
  const kv = await Deno.openKv(":memory:");
  try {
    for (const [i, op] of log.ops.entries()) {
      await kv.set(liveKey("f", op.store, op.key), i);
    }
    const listed: number[] = [];
    for await (const e of kv.list<number>({ prefix: ["st", "f"] })) {
      listed.push(e.value);
    }
    assert.deepEqual(listed, log.ops.map((_, i) => i));
  } finally {
    kv.close();
  }
});

Deno.test("decodeRedoLog() still reads a version 1 log (store and key kind on every op)", () => {
  const s = "s".charCodeAt(0);
  const v1 = b(
    1,
    ...[2, 1, s, 0, 1, 7, 1, 9], // put s/simple [7] = [9]
    ...[3, 1, s, 1, 1, 1, 0, 0, 1, 5], // delete s/complex [1],[],[],[5]
    ...[4, 2, 0x5b, 0x5d], // positions []
  );
  assert.deepEqual(decodeRedoLog(v1), {
    prefixDeletes: [],
    ops: [
      { store: "s", key: sk(b(7)), value: b(9) },
      { store: "s", key: ck(b(1), b(), b(), b(5)), value: null },
    ],
    positions: [],
  });
});

Deno.test("encodeRedoLog() writes a space header once per run of ops", () => {
  const mutations: StateMutation[] = [];
  for (let i = 0; i < 100; i++) {
    mutations.push({ op: "put", store: "store", key: sk(b(i)), value: b(i) });
  }
  const bytes = encodeRedoLog(netEffect(mutations, undefined));
  // version + header (tag, "store") + 100 x (tag, key, value)
  assert.equal(bytes.length, 1 + 1 + 6 + 100 * 5);
});
