/**
 * The restore cases of the shared backend suite: rewinding live state and
 * positions exactly, the history after a restore, and a checkpoint larger
 * than one Deno KV atomic operation. Registered by backend_suite.ts.
 * @module
 */
import assert from "node:assert/strict";
import type { SourcePosition, StateMutation } from "../core/mod.ts";
import { CHUNK_BYTES } from "./limits.ts";
import {
  b,
  ck,
  isFsError,
  pattern,
  put,
  sk,
  snapshot,
  type SnapshotScope,
  t,
} from "./_test_util.ts";
import { takeCheckpoint } from "./_suite_checkpoints.ts";
import type { SuiteTest } from "./backend_suite.ts";

const P = { keyGroup: b(1), key: b(2), namespace: b(3) };
const Q = { keyGroup: b(1), key: b(2), namespace: b(4) };
const SCOPE: SnapshotScope = {
  fns: ["f"],
  stores: ["db", "other"],
  prefixes: [{ store: "db", prefix: P }, { store: "db", prefix: Q }],
};

const pos = (offset: bigint): SourcePosition[] => [
  { topic: "in", partition: 0, nextOffset: offset },
];

const del = (key: ReturnType<typeof sk>): StateMutation => ({
  op: "delete",
  store: "db",
  key,
});

/** Registers the restore cases with the suite's `test`. */
export function registerRestoreCases(test: SuiteTest): void {
  test(".restoreCheckpoint() rewinds state, deletes, prefix deletes and positions exactly", async (s) => {
    await takeCheckpoint(s, "f", {
      mutations: [
        put("db", sk(t("keep")), t("k1")),
        put("db", sk(t("gone")), t("g1")),
        put("db", sk(t("big")), pattern(CHUNK_BYTES * 2 + 3, 1)),
        ...[0, 1, 2].map((i) => put("db", ck(b(1), b(2), b(3), b(i)), t("p"))),
        put("db", ck(b(1), b(2), b(4), b(0)), t("q")),
        put("other", sk(t("x")), t("o")),
      ],
      positions: pos(100n),
      operatorData: t("one"),
    });
    const at1 = await snapshot(s, SCOPE);
    await takeCheckpoint(s, "f", {
      mutations: [
        put("db", sk(t("keep")), t("k2")),
        del(sk(t("gone"))),
        put("db", sk(t("big")), t("small now")),
        put("db", ck(b(1), b(2), b(3), b(1)), t("changed")),
        { op: "deletePrefix", store: "db", prefix: P },
        put("db", ck(b(1), b(2), b(3), b(9)), pattern(CHUNK_BYTES + 1, 2)),
        put("db", sk(t("new")), t("n")),
      ],
      positions: pos(200n),
    });
    const at2 = await snapshot(s, SCOPE);
    await takeCheckpoint(s, "f", {
      mutations: [
        put("db", sk(t("new")), t("n3")),
        put("db", sk(t("gone")), t("back")),
        { op: "deletePrefix", store: "db", prefix: Q },
        put("db", sk(t("big")), pattern(CHUNK_BYTES * 3, 3)),
      ],
      positions: pos(300n),
    });
    assert.notDeepEqual(await snapshot(s, SCOPE), at2);
    await s.restoreCheckpoint("f", 2);
    assert.deepEqual(await snapshot(s, SCOPE), at2);
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [1, 2]);
    await s.restoreCheckpoint("f", 1);
    assert.deepEqual(await snapshot(s, SCOPE), at1);
    assert.deepEqual(await s.positions("f"), pos(100n));
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [1]);
    assert.deepEqual((await s.latestCheckpoint("f"))?.operatorData, t("one"));
    // Ids are never reused after a restore; new history builds on the restored state.
    const next = await takeCheckpoint(s, "f", {
      mutations: [put("db", sk(t("keep")), t("k4"))],
      positions: pos(400n),
    });
    assert.equal(next.id, 4);
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [1, 4]);
    await s.restoreCheckpoint("f", 1);
    assert.deepEqual(await snapshot(s, SCOPE), at1);
  });

  test(".restoreCheckpoint() refuses unknown ids and discards a prepared checkpoint", async (s) => {
    await assert.rejects(
      s.restoreCheckpoint("f", 7),
      isFsError(
        "NOT_FOUND",
        /^Cannot restore checkpoint 7 of function "f" as it does not exist: current value is no checkpoints$/,
      ),
    );
    await takeCheckpoint(s, "f", {
      mutations: [put("db", sk(t("a")), t("1"))],
      positions: pos(1n),
    });
    const id = await s.nextCheckpointId("f");
    await s.prepareCheckpoint("f", {
      id,
      createdAtMs: 1,
      token: "p",
      mutations: [put("db", sk(t("a")), t("2"))],
      positions: pos(2n),
      operatorData: null,
    });
    await assert.rejects(s.restoreCheckpoint("f", id), isFsError("NOT_FOUND"));
    await s.restoreCheckpoint("f", 1);
    assert.equal(await s.preparedCheckpoint("f"), null);
    await assert.rejects(s.completeCheckpoint("f", id), isFsError("NOT_FOUND"));
    assert.deepEqual(await s.get("f", "db", sk(t("a"))), t("1"));
    assert.deepEqual(await s.positions("f"), pos(1n));
    assert.equal(await s.nextCheckpointId("f"), 3);
  });

  test(".completeCheckpoint() applies and restore undoes a checkpoint of 3,000 keys and 3 MiB", async (s) => {
    const base: StateMutation[] = [];
    for (let i = 0; i < 3000; i += 2) {
      base.push(put("db", sk(t(`k${String(i).padStart(5, "0")}`)), t("v0")));
    }
    base.push(
      ...[0, 1].map((i) => put("db", ck(b(1), b(2), b(3), b(i)), t("p"))),
    );
    await takeCheckpoint(s, "f", { mutations: base, positions: pos(1n) });
    const before = await snapshot(s, SCOPE);
    const big: StateMutation[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = sk(t(`k${String(i).padStart(5, "0")}`));
      big.push(i % 7 === 0 ? del(key) : put("db", key, pattern(1200, i)));
    }
    big.push({ op: "deletePrefix", store: "db", prefix: P });
    big.push(put("db", ck(b(1), b(2), b(3), b(5)), pattern(CHUNK_BYTES * 3)));
    const info = await takeCheckpoint(s, "f", {
      mutations: big,
      positions: pos(2n),
    });
    assert.ok(info.sizeBytes > 3 * 1024 * 1024, `size ${info.sizeBytes}`);
    const live = await s.listSimple("f", "db", {}, { limit: 5000 });
    assert.equal(live.length, 3000 - Math.ceil(3000 / 7));
    assert.deepEqual(
      await s.get("f", "db", sk(t("k00001"))),
      pattern(1200, 1),
    );
    assert.deepEqual(
      (await s.listComplex("f", "db", P, {})).map((e) => e.key),
      [b(5)],
    );
    await s.restoreCheckpoint("f", 1);
    assert.deepEqual(await snapshot(s, SCOPE), before);
  });
}
