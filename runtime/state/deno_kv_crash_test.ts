/**
 * Crash atomicity of DenoKvStateBackend.commit(): a crash is simulated at
 * each point of the commit protocol, the KV file is reopened by a fresh
 * backend, and the state must be exactly the old or exactly the new one.
 */
import assert from "node:assert/strict";
import type { StateCommit, StateMutation } from "../core/mod.ts";
import { DenoKvStateBackend, type FaultPoint } from "./deno_kv_backend.ts";
import { MemoryStateBackend } from "./memory_backend.ts";
import { CHUNK_BYTES } from "./limits.ts";
import {
  assertTidy,
  b,
  ck,
  pattern,
  sk,
  snapshot,
  type SnapshotScope,
  t,
  TempKv,
} from "./_test_util.ts";

const P1 = { keyGroup: b(1), key: b(0), namespace: b(0xff) };
const P2 = { keyGroup: b(1), key: b(0), namespace: b(0xff, 0) };
const SCOPE: SnapshotScope = {
  fns: ["f"],
  stores: ["db", "other"],
  prefixes: [{ store: "db", prefix: P1 }, { store: "db", prefix: P2 }],
};

function put(
  store: string,
  key: ReturnType<typeof sk>,
  value: Uint8Array,
): StateMutation {
  return { op: "put", store, key, value };
}

const name = (i: number) => t(`key-${String(i).padStart(5, "0")}`);

/** The old state: 2,000 small keys, chunked values under two prefixes, positions. */
function oldCommit(): StateCommit {
  const mutations: StateMutation[] = [];
  for (let i = 0; i < 2000; i++) {
    mutations.push(put("db", sk(name(i)), pattern(100, i)));
  }
  for (let i = 0; i < 4; i++) {
    mutations.push(
      put(
        "db",
        ck(P1.keyGroup, P1.key, P1.namespace, b(i)),
        pattern(CHUNK_BYTES + 10 * i, i),
      ),
    );
    mutations.push(
      put(
        "db",
        ck(P2.keyGroup, P2.key, P2.namespace, b(i)),
        pattern(CHUNK_BYTES * 2, i),
      ),
    );
  }
  mutations.push(put("db", sk(t("big-old")), pattern(300_000, 5)));
  return {
    mutations,
    positions: [{ topic: "in", partition: 0, nextOffset: 10n }],
  };
}

/** The new state: 5,000 mutations, more than 5 MiB, overwrites, deletes and a prefix delete. */
function newCommit(): StateCommit {
  const mutations: StateMutation[] = [];
  for (let i = 1000; i < 5000; i++) {
    mutations.push(put("db", sk(name(i)), pattern(1100, i + 7)));
  }
  for (let i = 0; i < 990; i += 2) {
    mutations.push({ op: "delete", store: "db", key: sk(name(i)) });
  }
  mutations.push({ op: "deletePrefix", store: "db", prefix: P1 });
  mutations.push(
    put(
      "db",
      ck(P1.keyGroup, P1.key, P1.namespace, b(9)),
      pattern(CHUNK_BYTES * 3, 9),
    ),
  );
  mutations.push(
    put("db", ck(P2.keyGroup, P2.key, P2.namespace, b(1)), t("now small")),
  );
  mutations.push({
    op: "delete",
    store: "db",
    key: ck(P2.keyGroup, P2.key, P2.namespace, b(2)),
  });
  mutations.push(put("db", sk(t("big-old")), pattern(400_000, 6)));
  for (let i = 0; mutations.length < 5000; i++) {
    mutations.push(put("other", sk(b(i % 256, i >> 8)), b(i)));
  }
  return {
    mutations,
    positions: [{ topic: "in", partition: 0, nextOffset: 2n ** 62n }],
  };
}

async function expectedState(commits: StateCommit[]): Promise<string[]> {
  const model = new MemoryStateBackend();
  for (const c of commits) await model.commit("f", c);
  return await snapshot(model, SCOPE);
}

async function crashAt(
  point: FaultPoint,
  applyOpsBeforeCrash = 0,
): Promise<{ temp: TempKv; fresh: DenoKvStateBackend }> {
  const temp = await TempKv.open();
  let armed = false;
  let applied = 0;
  const backend = new DenoKvStateBackend(temp.kv, {
    faultInjection: (p) => {
      if (!armed || p !== point) return;
      if (p === "applying" && applied++ < applyOpsBeforeCrash) return;
      throw new Error(`simulated crash at ${p}`);
    },
  });
  await backend.commit("f", oldCommit());
  armed = true;
  await assert.rejects(backend.commit("f", newCommit()), /simulated crash/);
  const fresh = new DenoKvStateBackend(await temp.reopen());
  return { temp, fresh };
}

Deno.test("DenoKvStateBackend.commit() crashed after its marker is fully applied by a fresh backend", async () => {
  const { temp, fresh } = await crashAt("marked");
  try {
    assert.deepEqual(
      await snapshot(fresh, SCOPE),
      await expectedState([oldCommit(), newCommit()]),
    );
    await assertTidy(temp.kv, "f");
  } finally {
    await temp.close();
  }
});

Deno.test("DenoKvStateBackend.commit() crashed in the middle of applying is finished by a fresh backend", async () => {
  for (const opsBeforeCrash of [1, 4]) {
    const { temp, fresh } = await crashAt("applying", opsBeforeCrash);
    try {
      await fresh.recover("f");
      await assertTidy(temp.kv, "f");
      assert.deepEqual(
        await snapshot(fresh, SCOPE),
        await expectedState([oldCommit(), newCommit()]),
      );
    } finally {
      await temp.close();
    }
  }
});

Deno.test("DenoKvStateBackend.commit() crashed before its marker leaves exactly the old state", async () => {
  const { temp, fresh } = await crashAt("staged");
  try {
    const staged = (await temp.rawKeys()).filter((k) => k[2] === "g");
    assert.ok(staged.length > 0, "the crash left staged chunks behind");
    assert.deepEqual(
      await snapshot(fresh, SCOPE),
      await expectedState([oldCommit()]),
    );
    await assertTidy(temp.kv, "f");
  } finally {
    await temp.close();
  }
});

Deno.test("DenoKvStateBackend.recover() re-applies a marked commit before any other call", async () => {
  const { temp, fresh } = await crashAt("marked");
  try {
    assert.ok((await temp.rawKeys()).some((k) => k[2] === "m"));
    await fresh.recover("f");
    await assertTidy(temp.kv, "f");
    const reader = new DenoKvStateBackend(temp.kv);
    assert.deepEqual(
      await snapshot(reader, SCOPE),
      await expectedState([oldCommit(), newCommit()]),
    );
  } finally {
    await temp.close();
  }
});
