import assert from "node:assert/strict";
import type { StateMutation } from "../core/mod.ts";
import { DenoKvStateBackend } from "./deno_kv_backend.ts";
import { checkpointLogs } from "./_preimages.ts";
import { netEffect, type RedoOp } from "./_redo_log.ts";
import { decodeRedoLog, encodeRedoLog } from "./_redo_codec.ts";
import { KnownValues } from "./_known_values.ts";
import { spaceIdOf } from "./_log_index.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { hexOf } from "./key_codec.ts";
import { b, ck, pattern, put, sk, t, TempKv } from "./_test_util.ts";

const name = (i: number) => t(`k${String(i).padStart(5, "0")}`);

function byKey(ops: RedoOp[]): Map<string, Uint8Array | null> {
  const out = new Map<string, Uint8Array | null>();
  for (const op of ops) {
    const k = op.key;
    const id = k.kind === "simple"
      ? `${op.store}/s/${hexOf(k.key)}`
      : `${op.store}/c/${hexOf(k.keyGroup)}.${hexOf(k.key)}.${
        hexOf(k.namespace)
      }/${hexOf(k.userKey)}`;
    assert.ok(!out.has(id), `undo names ${id} twice`);
    out.set(id, op.value);
  }
  return out;
}

async function withLiveState(
  body: (kv: Deno.Kv) => Promise<void>,
): Promise<void> {
  const temp = await TempKv.open();
  try {
    const s = new DenoKvStateBackend(temp.kv);
    const mutations: StateMutation[] = [];
    for (let i = 0; i < 5000; i++) {
      mutations.push(put("db", sk(name(i)), t(`v${i}`)));
    }
    mutations.push(put("db", sk(name(2500)), pattern(CHUNK_BYTES * 2, 1)));
    for (const u of [0, 1, 2]) {
      mutations.push(put("db", ck(b(1), b(), b(), b(u)), t(`p${u}`)));
    }
    await s.commit("f", { mutations });
    await body(temp.kv);
  } finally {
    await temp.close();
  }
}

Deno.test("checkpointLogs() reads the live value of sparse keys, dense keys, absent keys and chunked values", async () => {
  await withLiveState(async (kv) => {
    const mutations: StateMutation[] = [];
    // Sparse: one changed key per 100 live ones, so scans give up and getMany answers.
    for (let i = 0; i < 5000; i += 100) {
      mutations.push(put("db", sk(name(i)), t("new")));
    }
    // Dense: a run of consecutive keys, read by one scan; and keys never stored.
    for (let i = 3000; i < 3050; i++) {
      mutations.push({ op: "delete", store: "db", key: sk(name(i)) });
    }
    for (let i = 9000; i < 9010; i++) {
      mutations.push(put("db", sk(name(i)), t("fresh")));
    }
    mutations.push(put("db", sk(name(2500)), t("small now")));
    const logs = await checkpointLogs(kv, "f", {
      log: netEffect(mutations, undefined),
    });
    const undo = byKey(decodeRedoLog(logs.undo).ops);
    // name(2500) is both a sparse key and the chunked one: named once.
    assert.equal(undo.size, 50 + 50 + 10 - 1);
    assert.deepEqual(undo.get(`db/s/${hexOf(name(100))}`), t("v100"));
    assert.deepEqual(undo.get(`db/s/${hexOf(name(4900))}`), t("v4900"));
    assert.deepEqual(undo.get(`db/s/${hexOf(name(3049))}`), t("v3049"));
    assert.equal(undo.get(`db/s/${hexOf(name(9005))}`), null);
    assert.deepEqual(
      undo.get(`db/s/${hexOf(name(2500))}`),
      pattern(CHUNK_BYTES * 2, 1),
    );
  });
});

Deno.test("checkpointLogs() keeps every entry a prefix delete removes, once, and absent keys put under it", async () => {
  await withLiveState(async (kv) => {
    const prefix = { keyGroup: b(1), key: b(), namespace: b() };
    const log = netEffect([
      { op: "deletePrefix", store: "db", prefix },
      put("db", ck(b(1), b(), b(), b(1)), t("again")),
      put("db", ck(b(1), b(), b(), b(7)), t("new")),
    ], undefined);
    const undo = byKey(
      decodeRedoLog((await checkpointLogs(kv, "f", { log })).undo).ops,
    );
    assert.deepEqual([...undo.entries()], [
      ["db/c/01../00", t("p0")],
      ["db/c/01../01", t("p1")],
      ["db/c/01../02", t("p2")],
      ["db/c/01../07", null],
    ]);
  });
});

Deno.test("checkpointLogs() writes the redo log exactly as encodeRedoLog() does", async () => {
  await withLiveState(async (kv) => {
    const log = netEffect([
      put("db", sk(name(3)), t("x")),
      {
        op: "deletePrefix",
        store: "db",
        prefix: { keyGroup: b(1), key: b(), namespace: b() },
      },
      put("db", ck(b(1), b(), b(), b(9)), t("y")),
      { op: "delete", store: "other", key: sk(name(4)) },
    ], [{ topic: "t", partition: 0, nextOffset: 5n }]);
    const { redo } = await checkpointLogs(kv, "f", { log });
    assert.deepEqual(redo, encodeRedoLog(log));
  });
});

Deno.test("checkpointLogs() takes known values without reading them", async () => {
  await withLiveState(async (kv) => {
    const known = new KnownValues({ limit: 1 << 20, used: 0 });
    // Deliberately not the live value: proves the known one is used.
    known.read("db", sk(name(7)), t("known"));
    known.read("db", sk(name(8)), null);
    const log = netEffect([
      put("db", sk(name(7)), t("x")),
      put("db", sk(name(8)), t("x")),
      put("db", sk(name(9)), t("x")),
    ], undefined);
    const undo = byKey(
      decodeRedoLog((await checkpointLogs(kv, "f", { log, known })).undo).ops,
    );
    assert.deepEqual(undo.get(`db/s/${hexOf(name(7))}`), t("known"));
    assert.equal(undo.get(`db/s/${hexOf(name(8))}`), null);
    assert.deepEqual(undo.get(`db/s/${hexOf(name(9))}`), t("v9"));
  });
});

Deno.test("KnownValues stays within its budget, updates known keys and forgets large values and deleted prefixes", () => {
  const budget = { limit: 250, used: 0 };
  const known = new KnownValues(budget);
  for (const i of [1, 2, 3, 4]) known.read("db", sk(b(i)), b(i));
  const space = () => [...(known.space("s2:db")?.keys() ?? [])];
  assert.ok(budget.used <= 250 && space().length === 2, `${budget.used}`);
  const [first, second] = space().map((id) => b(id.charCodeAt(0)));
  known.read("db", sk(first), pattern(5000));
  assert.deepEqual(space().length, 1, "a large value replaces a known one");
  known.read("db", sk(second), null);
  assert.equal(
    known.space("s2:db")?.get(String.fromCharCode(second[0])),
    null,
  );
  const prefix = { keyGroup: b(1), key: b(), namespace: b() };
  known.clear();
  const under = ck(b(1), b(), b(), b(5));
  known.read("db", under, b(5));
  assert.ok(known.space(spaceIdOf("db", under))?.has("\u0005"));
  known.deletePrefix("db", prefix);
  assert.equal(known.space(spaceIdOf("db", under)), undefined);
  known.clear();
  assert.equal(budget.used, 0);
  assert.equal(known.usedBytes, 0);
});
