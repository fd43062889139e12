/**
 * The checkpoint cases of the shared backend suite: two-phase commit,
 * history, restore and drop, the same for every {@link CheckpointStore}.
 * Registered by backend_suite.ts.
 * @module
 */
import assert from "node:assert/strict";
import type {
  CheckpointInfo,
  CheckpointStore,
  SourcePosition,
  StateBackend,
  StateMutation,
} from "../core/mod.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { b, isFsError, pattern, put, sk, t } from "./_test_util.ts";
import type { SuiteTest } from "./backend_suite.ts";

type Store = StateBackend & CheckpointStore;

const P = { keyGroup: b(1), key: b(2), namespace: b(3) };
const pos = (offset: bigint): SourcePosition[] => [
  { topic: "in", partition: 0, nextOffset: offset },
  { topic: "in", partition: 1, nextOffset: offset * 2n },
];

/** Reserves, prepares and completes one checkpoint. */
export async function takeCheckpoint(
  s: Store,
  fn: string,
  change: {
    mutations: StateMutation[];
    positions?: SourcePosition[];
    operatorData?: Uint8Array | null;
  },
): Promise<CheckpointInfo> {
  const id = await s.nextCheckpointId(fn);
  const info = await s.prepareCheckpoint(fn, {
    id,
    createdAtMs: 1_700_000_000_000 + id,
    token: `token-${id}`,
    mutations: change.mutations,
    positions: change.positions ?? [],
    operatorData: change.operatorData ?? null,
  });
  await s.completeCheckpoint(fn, id);
  return info;
}

/** Registers the checkpoint cases (restore ones: _suite_restore.ts) with the suite's `test`. */
export function registerCheckpointCases(test: SuiteTest): void {
  test(".prepareCheckpoint() stays invisible until completeCheckpoint()", async (s) => {
    await takeCheckpoint(s, "f", {
      mutations: [put("db", sk(t("a")), t("1"))],
      positions: pos(5n),
    });
    const id = await s.nextCheckpointId("f");
    const info = await s.prepareCheckpoint("f", {
      id,
      createdAtMs: 42,
      token: "tok",
      mutations: [
        put("db", sk(t("a")), t("2")),
        put("db", sk(t("b")), t("3")),
      ],
      positions: pos(9n),
      operatorData: t("op"),
    });
    assert.deepEqual(
      { id: info.id, token: info.token, positions: info.positions },
      { id, token: "tok", positions: pos(9n) },
    );
    assert.deepEqual(await s.get("f", "db", sk(t("a"))), t("1"));
    assert.equal(await s.get("f", "db", sk(t("b"))), null);
    assert.deepEqual(await s.positions("f"), pos(5n));
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [1]);
    assert.deepEqual(await s.preparedCheckpoint("f"), info);
    assert.equal((await s.latestCheckpoint("f"))?.info.id, 1);
    await s.completeCheckpoint("f", id);
    assert.deepEqual(await s.get("f", "db", sk(t("a"))), t("2"));
    assert.deepEqual(await s.get("f", "db", sk(t("b"))), t("3"));
    assert.deepEqual(await s.positions("f"), pos(9n));
    assert.equal(await s.preparedCheckpoint("f"), null);
    const latest = await s.latestCheckpoint("f");
    assert.deepEqual(latest, { info, operatorData: t("op") });
  });

  test(".abortCheckpoint() discards the prepared checkpoint and leaves live state", async (s) => {
    await takeCheckpoint(s, "f", {
      mutations: [put("db", sk(t("a")), t("1"))],
      positions: pos(1n),
    });
    const id = await s.nextCheckpointId("f");
    await s.prepareCheckpoint("f", {
      id,
      createdAtMs: 1,
      token: "x",
      mutations: [
        put("db", sk(t("a")), t("2")),
        { op: "deletePrefix", store: "db", prefix: P },
      ],
      positions: pos(2n),
      operatorData: null,
    });
    await s.abortCheckpoint("f", id);
    await s.abortCheckpoint("f", id);
    await s.abortCheckpoint("f", 1); // complete: not prepared, left alone
    assert.equal(await s.preparedCheckpoint("f"), null);
    assert.deepEqual(await s.get("f", "db", sk(t("a"))), t("1"));
    assert.deepEqual(await s.positions("f"), pos(1n));
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [1]);
    await assert.rejects(
      s.completeCheckpoint("f", id),
      isFsError("NOT_FOUND", /Cannot complete checkpoint 2 of function "f"/),
    );
    const next = await takeCheckpoint(s, "f", {
      mutations: [put("db", sk(t("a")), t("3"))],
    });
    assert.equal(next.id, 3);
    assert.deepEqual(await s.get("f", "db", sk(t("a"))), t("3"));
  });

  test(".prepareCheckpoint() refuses a second prepared checkpoint and unreserved ids", async (s) => {
    const first = await s.nextCheckpointId("f");
    const second = await s.nextCheckpointId("f");
    const data = (id: number) => ({
      id,
      createdAtMs: 1,
      token: `t${id}`,
      mutations: [put("db", sk(t("k")), t(`${id}`))],
      positions: [],
      operatorData: null,
    });
    await s.prepareCheckpoint("f", data(first));
    await assert.rejects(
      s.prepareCheckpoint("f", data(second)),
      isFsError("CONFLICT", /as checkpoint 1 is prepared/),
    );
    await s.completeCheckpoint("f", first);
    await assert.rejects(
      s.prepareCheckpoint("f", data(second + 1)),
      isFsError("BAD_REQUEST", /did not reserve/),
    );
    await assert.rejects(
      s.prepareCheckpoint("f", data(first)),
      isFsError("BAD_REQUEST"),
    );
    await assert.rejects(
      s.prepareCheckpoint("f", data(0)),
      isFsError("BAD_REQUEST", /positive integer/),
    );
    await s.prepareCheckpoint("f", data(second));
    await s.completeCheckpoint("f", second);
    assert.deepEqual(await s.get("f", "db", sk(t("k"))), t("2"));
    await assert.rejects(
      s.completeCheckpoint("f", second),
      isFsError("NOT_FOUND"),
    );
  });

  test(".listCheckpoints() lists complete checkpoints oldest first with sizes and positions", async (s) => {
    assert.deepEqual(await s.listCheckpoints("f"), []);
    assert.equal(await s.latestCheckpoint("f"), null);
    const infos: CheckpointInfo[] = [];
    for (let i = 1; i <= 3; i++) {
      infos.push(
        await takeCheckpoint(s, "f", {
          mutations: [put("db", sk(t(`k${i}`)), pattern(1000 * i, i))],
          positions: pos(BigInt(i * 10)),
          operatorData: i === 2 ? pattern(200_000) : i === 3 ? b() : null,
        }),
      );
    }
    const listed = await s.listCheckpoints("f");
    assert.deepEqual(listed, infos);
    assert.deepEqual(listed.map((c) => c.id), [1, 2, 3]);
    assert.deepEqual(listed.map((c) => c.positions), [
      pos(10n),
      pos(20n),
      pos(30n),
    ]);
    assert.deepEqual(listed.map((c) => c.token), [
      "token-1",
      "token-2",
      "token-3",
    ]);
    assert.ok(listed[0].sizeBytes >= 1000 && listed[0].sizeBytes < 2000);
    assert.ok(listed[1].sizeBytes >= 202_000);
    assert.ok(listed[2].sizeBytes >= 3000);
    assert.deepEqual((await s.latestCheckpoint("f"))?.operatorData, b());
    await s.restoreCheckpoint("f", 2);
    assert.deepEqual(
      (await s.latestCheckpoint("f"))?.operatorData,
      pattern(200_000),
    );
    await s.restoreCheckpoint("f", 1);
    assert.equal((await s.latestCheckpoint("f"))?.operatorData, null);
    assert.deepEqual(await s.listCheckpoints("g"), []);
  });

  test(".pruneCheckpoints() keeps the newest N and ids keep growing", async (s) => {
    for (let i = 1; i <= 5; i++) {
      await takeCheckpoint(s, "f", {
        mutations: [put("db", sk(t("k")), t(`${i}`))],
      });
    }
    await s.pruneCheckpoints("f", 2);
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [4, 5]);
    await s.pruneCheckpoints("f", 10);
    assert.deepEqual((await s.listCheckpoints("f")).map((c) => c.id), [4, 5]);
    await assert.rejects(
      s.pruneCheckpoints("f", 0),
      isFsError("BAD_REQUEST", /keep/),
    );
    await assert.rejects(
      s.restoreCheckpoint("f", 3),
      isFsError(
        "NOT_FOUND",
        /^Cannot restore checkpoint 3 of function "f" as it does not exist: current value is checkpoints 4, 5$/,
      ),
    );
    await s.pruneCheckpoints("f", 1);
    assert.equal(await s.nextCheckpointId("f"), 6);
    assert.deepEqual(await s.get("f", "db", sk(t("k"))), t("5"));
  });

  test(".dropFunction() removes every checkpoint and resets the id counter", async (s) => {
    for (let i = 0; i < 3; i++) {
      await takeCheckpoint(s, "f", {
        mutations: [put("db", sk(t("k")), pattern(CHUNK_BYTES + i, i))],
        positions: pos(BigInt(i)),
        operatorData: t("x"),
      });
    }
    const id = await s.nextCheckpointId("f");
    await s.prepareCheckpoint("f", {
      id,
      createdAtMs: 1,
      token: "p",
      mutations: [],
      positions: [],
      operatorData: null,
    });
    await takeCheckpoint(s, "g", {
      mutations: [put("db", sk(t("k")), t("g"))],
    });
    await s.dropFunction("f");
    assert.deepEqual(await s.listCheckpoints("f"), []);
    assert.equal(await s.preparedCheckpoint("f"), null);
    assert.equal(await s.latestCheckpoint("f"), null);
    assert.equal(await s.get("f", "db", sk(t("k"))), null);
    assert.deepEqual(await s.positions("f"), []);
    assert.equal(await s.nextCheckpointId("f"), 1);
    assert.deepEqual((await s.listCheckpoints("g")).map((c) => c.id), [1]);
  });
}
