/**
 * Crash atomicity of checkpoints in DenoKvStateBackend: a crash is injected
 * at each point of prepare, complete, restore and prune; a fresh backend
 * on the reopened KV file must then show exactly the old or exactly the new
 * checkpoint (state, positions, history), with nothing left over.
 */
import assert from "node:assert/strict";
import type {
  CheckpointData,
  CheckpointStore,
  StateBackend,
  StateMutation,
} from "../core/mod.ts";
import { DenoKvStateBackend, type FaultPoint } from "./deno_kv_backend.ts";
import { MemoryStateBackend } from "./memory_backend.ts";
import { CHUNK_BYTES } from "./limits.ts";
import {
  assertTidy,
  b,
  ck,
  pattern,
  put,
  sk,
  snapshot,
  type SnapshotScope,
  t,
  TempKv,
} from "./_test_util.ts";

type Store = StateBackend & CheckpointStore;

const P = { keyGroup: b(1), key: b(0), namespace: b(0xff) };
const SCOPE: SnapshotScope = {
  fns: ["f"],
  stores: ["db"],
  prefixes: [{ store: "db", prefix: P }],
};
const name = (i: number) => t(`key-${String(i).padStart(5, "0")}`);

/** Checkpoint 1: 2,000 keys, chunked values under a prefix. */
function first(): CheckpointData {
  const mutations: StateMutation[] = [];
  for (let i = 0; i < 2000; i++) {
    mutations.push(put("db", sk(name(i)), pattern(100, i)));
  }
  for (let i = 0; i < 3; i++) {
    mutations.push(
      put(
        "db",
        ck(P.keyGroup, P.key, P.namespace, b(i)),
        pattern(CHUNK_BYTES + i, i),
      ),
    );
  }
  return {
    id: 1,
    createdAtMs: 1,
    token: "one",
    mutations,
    positions: [{ topic: "in", partition: 0, nextOffset: 10n }],
    operatorData: t("op-1"),
  };
}

/** Checkpoint 2: 4,000 mutations, about 4 MiB: overwrites, deletes, a prefix delete, a chunked value. */
function second(): CheckpointData {
  const mutations: StateMutation[] = [];
  for (let i = 1000; i < 4000; i++) {
    mutations.push(put("db", sk(name(i)), pattern(1200, i + 7)));
  }
  for (let i = 0; i < 990; i += 2) {
    mutations.push({ op: "delete", store: "db", key: sk(name(i)) });
  }
  mutations.push({ op: "deletePrefix", store: "db", prefix: P });
  mutations.push(
    put(
      "db",
      ck(P.keyGroup, P.key, P.namespace, b(9)),
      pattern(CHUNK_BYTES * 3, 9),
    ),
  );
  mutations.push(put("db", sk(name(1)), pattern(300_000, 3)));
  return {
    id: 2,
    createdAtMs: 2,
    token: "two",
    mutations,
    positions: [{ topic: "in", partition: 0, nextOffset: 2n ** 62n }],
    operatorData: pattern(100_000, 2),
  };
}

/**
 * What a store shows (live state, positions, history, prepared and latest
 * checkpoint) as text lines, so a mismatch reports its first line instead
 * of diffing thousands.
 */
async function view(s: Store): Promise<string[]> {
  const text = (x: unknown) =>
    JSON.stringify(
      x,
      (_k, v) =>
        typeof v === "bigint"
          ? `${v}n`
          : v instanceof Uint8Array
          ? `${v.length}:${v.slice(0, 8).join(",")}:${v.at(-1)}`
          : v,
    );
  return [
    ...await snapshot(s, SCOPE),
    text(await s.listCheckpoints("f")),
    text(await s.preparedCheckpoint("f")),
    text(await s.latestCheckpoint("f")),
  ];
}

function assertSameView(actual: string[], wanted: string[], what = ""): void {
  const at = actual.findIndex((line, i) => line !== wanted[i]);
  if (at === -1 && actual.length === wanted.length) return;
  assert.fail(
    `${what}: views differ at line ${at} of ${actual.length}/${wanted.length}: ` +
      `${actual[at] ?? "(none)"} != ${wanted[at] ?? "(none)"}`,
  );
}

/** The model's view after checkpoint 1, or 1 and 2. */
async function expected(upTo: 1 | 2): Promise<string[]> {
  const model = new MemoryStateBackend();
  for (const data of upTo === 1 ? [first()] : [first(), second()]) {
    await model.nextCheckpointId("f");
    await model.prepareCheckpoint("f", data);
    await model.completeCheckpoint("f", data.id);
  }
  return await view(model);
}

/** A backend whose fault hook throws at the `skip`+1-th call of `point` once armed. */
function crashing(kv: Deno.Kv, point: FaultPoint, skip = 0) {
  const control = { armed: false };
  let calls = 0;
  const backend = new DenoKvStateBackend(kv, {
    faultInjection: (p) => {
      if (!control.armed || p !== point) return;
      if (calls++ < skip) return;
      throw new Error(`simulated crash at ${p}`);
    },
  });
  return { backend, control };
}

async function checkpoint(s: Store, data: CheckpointData): Promise<void> {
  assert.equal(await s.nextCheckpointId("f"), data.id);
  await s.prepareCheckpoint("f", data);
  await s.completeCheckpoint("f", data.id);
}

/**
 * Runs checkpoint 1 (and `setup`), arms the crash, runs `crash`, and
 * returns a fresh backend on the reopened file.
 */
async function afterCrash(
  temp: TempKv,
  fault: { point: FaultPoint; skip?: number },
  steps: {
    setup?: (s: Store) => Promise<unknown>;
    crash: (s: Store) => Promise<unknown>;
  },
): Promise<DenoKvStateBackend> {
  const { backend, control } = crashing(temp.kv, fault.point, fault.skip);
  const { setup, crash } = steps;
  await checkpoint(backend, first());
  await setup?.(backend);
  control.armed = true;
  await assert.rejects(crash(backend), /simulated crash/);
  return new DenoKvStateBackend(await temp.reopen());
}

async function withTemp(body: (temp: TempKv) => Promise<void>) {
  const temp = await TempKv.open();
  try {
    await body(temp);
  } finally {
    await temp.close();
  }
}

const prepareSecond = async (s: Store) => {
  await s.nextCheckpointId("f");
  await s.prepareCheckpoint("f", second());
};

Deno.test("DenoKvStateBackend.prepareCheckpoint() crashed while staging leaves exactly the old checkpoint", async () => {
  for (const skip of [0, 2]) {
    await withTemp(async (temp) => {
      const fresh = await afterCrash(
        temp,
        { point: "staging", skip },
        { crash: prepareSecond },
      );
      assertSameView(await view(fresh), await expected(1));
      await assertTidy(temp.kv, "f");
      // The id counter survived: the next checkpoint gets 3 and prepares without conflict.
      const next = { ...second(), id: 3 };
      assert.equal(await fresh.nextCheckpointId("f"), 3);
      await fresh.prepareCheckpoint("f", next);
      await fresh.completeCheckpoint("f", 3);
      assert.deepEqual(
        (await fresh.listCheckpoints("f")).map((c) => c.id),
        [1, 3],
      );
    });
  }
});

Deno.test("DenoKvStateBackend.prepareCheckpoint() crashed after preparing leaves it prepared for recovery to decide", async () => {
  for (const decision of ["complete", "abort"] as const) {
    await withTemp(async (temp) => {
      const fresh = await afterCrash(
        temp,
        { point: "prepared" },
        { crash: prepareSecond },
      );
      const prepared = await fresh.preparedCheckpoint("f");
      assert.equal(prepared?.id, 2);
      assert.equal(prepared?.token, "two");
      assert.deepEqual(prepared?.positions, second().positions);
      // Still invisible: live state and history are checkpoint 1's.
      const old = await expected(1);
      const now = await view(fresh);
      // All but the prepared line (the view's last but one) are checkpoint 1's.
      assertSameView(
        [...now.slice(0, -2), now.at(-1)!],
        [...old.slice(0, -2), old.at(-1)!],
      );
      if (decision === "complete") {
        await fresh.completeCheckpoint("f", 2);
        assertSameView(await view(fresh), await expected(2));
      } else {
        await fresh.abortCheckpoint("f", 2);
        assertSameView(await view(fresh), await expected(1));
      }
      await assertTidy(temp.kv, "f");
    });
  }
});

Deno.test("DenoKvStateBackend.completeCheckpoint() crashed after its commit point or while applying is finished by a fresh backend", async () => {
  const cases: { point: FaultPoint; skip?: number }[] = [
    { point: "marked" },
    { point: "applying", skip: 0 },
    { point: "applying", skip: 3 },
  ];
  for (const fault of cases) {
    await withTemp(async (temp) => {
      const fresh = await afterCrash(temp, fault, {
        setup: prepareSecond,
        crash: (s) => s.completeCheckpoint("f", 2),
      });
      assert.ok((await temp.rawKeys()).some((k) => k[2] === "m"));
      assertSameView(
        await view(fresh),
        await expected(2),
        `${fault.point}/${fault.skip}`,
      );
      await assertTidy(temp.kv, "f");
    });
  }
});

Deno.test("DenoKvStateBackend.restoreCheckpoint() crashed at any point leaves the history before or after it", async () => {
  const cases: { point: FaultPoint; skip?: number; restored: boolean }[] = [
    { point: "staged", restored: false },
    { point: "marked", restored: true },
    { point: "applying", skip: 2, restored: true },
  ];
  for (const fault of cases) {
    await withTemp(async (temp) => {
      const fresh = await afterCrash(temp, fault, {
        setup: (s) => checkpoint(s, second()),
        crash: (s) => s.restoreCheckpoint("f", 1),
      });
      assertSameView(
        await view(fresh),
        await expected(fault.restored ? 1 : 2),
        `${fault.point}/${fault.skip}`,
      );
      await assertTidy(temp.kv, "f");
      assert.equal(await fresh.nextCheckpointId("f"), 3);
    });
  }
});

Deno.test("DenoKvStateBackend.pruneCheckpoints() crashed while deleting leaves no half-deleted checkpoint", async () => {
  for (const skip of [0, 1]) {
    await withTemp(async (temp) => {
      const fresh = await afterCrash(
        temp,
        { point: "deleting", skip },
        {
          setup: (s) => checkpoint(s, second()),
          crash: (s) => s.pruneCheckpoints("f", 1),
        },
      );
      const ids = (await fresh.listCheckpoints("f")).map((c) => c.id);
      // The flip to "deleting" is one atomic write: before it both stay, after it only 2.
      assert.deepEqual(ids, skip === 0 ? [1, 2] : [2]);
      assertSameView(
        await snapshot(fresh, SCOPE),
        (await expected(2)).slice(0, -3),
      );
      await assertTidy(temp.kv, "f");
    });
  }
});

Deno.test("DenoKvStateBackend.recover() finishes a completed checkpoint before any other call", async () => {
  await withTemp(async (temp) => {
    const fresh = await afterCrash(temp, { point: "marked" }, {
      setup: prepareSecond,
      crash: (s) => s.completeCheckpoint("f", 2),
    });
    await fresh.recover("f");
    await assertTidy(temp.kv, "f");
    assert.deepEqual(
      await view(new DenoKvStateBackend(temp.kv)),
      await expected(2),
    );
  });
});
