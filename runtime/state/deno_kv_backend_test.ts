import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import type { StateMutation } from "../core/mod.ts";
import { registerBackendSuite } from "./backend_suite.ts";
import { DenoKvStateBackend } from "./deno_kv_backend.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { STATE_ROOT } from "./key_codec.ts";
import { isChunkHeader } from "./_chunks.ts";
import { b, ck, pattern, sk, t, TempKv } from "./_test_util.ts";

registerBackendSuite("DenoKvStateBackend", {
  open: async () => {
    const temp = await TempKv.open();
    return {
      backend: new DenoKvStateBackend(temp.kv),
      close: () => temp.close(),
    };
  },
});

/** Opens a temp KV and a backend over it, runs the body, cleans up. */
async function withKv(
  body: (temp: TempKv, backend: DenoKvStateBackend) => Promise<void>,
) {
  const temp = await TempKv.open();
  try {
    await body(temp, new DenoKvStateBackend(temp.kv));
  } finally {
    await temp.close();
  }
}

function put(key: ReturnType<typeof sk>, value: Uint8Array): StateMutation {
  return { op: "put", store: "db", key, value };
}

async function keysOf(
  temp: TempKv,
  fn: string,
  space?: string,
): Promise<Deno.KvKey[]> {
  return (await temp.rawKeys()).filter((k) =>
    k[1] === fn && (space === undefined || k[2] === space)
  );
}

Deno.test("DenoKvStateBackend.dropFunction() leaves no raw key of the function", async () => {
  await withKv(async (temp, s) => {
    const mutations: StateMutation[] = [];
    for (let i = 0; i < 3000; i++) mutations.push(put(sk(t(`k${i}`)), t("v")));
    mutations.push(put(ck(b(1), b(2), b(3), b(4)), pattern(CHUNK_BYTES * 5)));
    await s.commit("f", {
      mutations,
      positions: [{ topic: "t", partition: 0, nextOffset: 1n }],
    });
    await s.commit("g", { mutations: [put(sk(t("k")), t("v"))] });
    await temp.kv.set([STATE_ROOT, "f", "g", "stale-commit", 0], b(1));
    assert.ok((await keysOf(temp, "f", "k")).length === 5);
    await s.dropFunction("f");
    assert.deepEqual(await keysOf(temp, "f"), []);
    assert.deepEqual((await keysOf(temp, "g")).length, 1);
  });
});

Deno.test("DenoKvStateBackend.commit() removes the old chunks when a chunked value is replaced or deleted", async () => {
  await withKv(async (temp, s) => {
    const k = sk(t("big"));
    await s.commit("f", { mutations: [put(k, pattern(CHUNK_BYTES * 3 + 1))] });
    assert.equal((await keysOf(temp, "f", "k")).length, 4);
    assert.equal((await keysOf(temp, "f", "b")).length, 1);
    await s.commit("f", { mutations: [put(k, pattern(CHUNK_BYTES + 1, 2))] });
    assert.equal((await keysOf(temp, "f", "k")).length, 2);
    await s.commit("f", { mutations: [put(k, t("small"))] });
    assert.equal((await keysOf(temp, "f", "k")).length, 0);
    assert.equal((await keysOf(temp, "f", "b")).length, 0);
    await s.commit("f", { mutations: [put(k, pattern(CHUNK_BYTES * 2))] });
    await s.commit("f", { mutations: [{ op: "delete", store: "db", key: k }] });
    await s.commit("f", {
      mutations: [put(ck(b(1), b(), b(), b(2)), pattern(CHUNK_BYTES * 2))],
    });
    await s.commit("f", {
      mutations: [{
        op: "deletePrefix",
        store: "db",
        prefix: { keyGroup: b(1), key: b(), namespace: b() },
      }],
    });
    assert.deepEqual(await keysOf(temp, "f", "k"), []);
    assert.deepEqual(await keysOf(temp, "f", "b"), []);
    assert.deepEqual(await keysOf(temp, "f", "g"), []);
    assert.deepEqual(await keysOf(temp, "f", "m"), []);
  });
});

Deno.test("DenoKvStateBackend.get() refuses a chunked value whose chunks are missing", async () => {
  await withKv(async (temp, s) => {
    await s.commit("f", {
      mutations: [put(sk(t("big")), pattern(CHUNK_BYTES * 3))],
    });
    const [chunk] = await keysOf(temp, "f", "k");
    await temp.kv.delete(chunk);
    const missing = (e: unknown) =>
      e instanceof FsError && e.code === "INTERNAL" &&
      /chunks are missing/.test(e.message);
    await assert.rejects(s.get("f", "db", sk(t("big"))), missing);
    await assert.rejects(s.listSimple("f", "db", {}), missing);
    // A chunk of the wrong size is refused too.
    await temp.kv.set(chunk, new Uint8Array(10));
    await assert.rejects(s.get("f", "db", sk(t("big"))), missing);
  });
});

Deno.test("DenoKvStateBackend reads issued during a large commit see it whole", async () => {
  await withKv(async (_temp, s) => {
    const version = (v: number) => {
      const mutations: StateMutation[] = [];
      for (let i = 0; i < 3000; i++) {
        mutations.push(
          put(sk(t(`k${String(i).padStart(4, "0")}`)), t(`v${v}`)),
        );
      }
      return mutations;
    };
    await s.commit("f", { mutations: version(1) });
    const commit = s.commit("f", { mutations: version(2) });
    const first = s.get("f", "db", sk(t("k0000")));
    const listing = s.listSimple("f", "db", {}, { limit: 5000 });
    await commit;
    assert.deepEqual(await first, t("v2"));
    const values = new Set(
      (await listing).map((e) => new TextDecoder().decode(e.value)),
    );
    assert.deepEqual([...values], ["v2"]);
  });
});

Deno.test("DenoKvStateBackend finishes an interrupted drop on first use", async () => {
  await withKv(async (temp, s) => {
    await s.commit("f", {
      mutations: [put(sk(t("k")), pattern(CHUNK_BYTES * 2))],
    });
    await temp.kv.set([STATE_ROOT, "f", "m"], { kind: "drop" });
    const fresh = new DenoKvStateBackend(await temp.reopen());
    assert.equal(await fresh.get("f", "db", sk(t("k"))), null);
    assert.deepEqual(await keysOf(temp, "f"), []);
  });
});

Deno.test("DenoKvStateBackend stores a positions record larger than one KV value in chunks", async () => {
  await withKv(async (temp, s) => {
    const many = Array.from(
      { length: 3000 },
      (_, i) => ({
        topic: `topic-${i}`,
        partition: i,
        nextOffset: BigInt(i) << 40n,
      }),
    );
    await s.commit("f", { mutations: [], positions: many });
    assert.ok((await keysOf(temp, "f", "k")).length >= 2);
    assert.deepEqual(
      await new DenoKvStateBackend(await temp.reopen()).positions("f"),
      many,
    );
    const fresh = new DenoKvStateBackend(temp.kv);
    await fresh.commit("f", { mutations: [], positions: many.slice(0, 2) });
    assert.deepEqual(await fresh.positions("f"), many.slice(0, 2));
    assert.deepEqual(await keysOf(temp, "f", "k"), []);
  });
});

Deno.test("DenoKvStateBackend keeps chunk headers and values apart: a stored object is never taken for bytes", async () => {
  await withKv(async (temp, s) => {
    await s.commit("f", { mutations: [put(sk(t("k")), t("v"))] });
    const [live] = await keysOf(temp, "f", "v");
    await temp.kv.set(live, { not: "bytes" });
    await assert.rejects(
      s.get("f", "db", sk(t("k"))),
      (e) => e instanceof FsError && e.code === "INTERNAL",
    );
    assert.equal(isChunkHeader({ not: "bytes" }), false);
  });
});

Deno.test("DenoKvStateBackend.dropFunction() leaves no checkpoint record, chunk or counter behind", async () => {
  await withKv(async (temp, s) => {
    for (let id = 1; id <= 3; id++) {
      assert.equal(await s.nextCheckpointId("f"), id);
      await s.prepareCheckpoint("f", {
        id,
        createdAtMs: id,
        token: `t${id}`,
        mutations: [put(sk(t(`k${id}`)), pattern(CHUNK_BYTES * 2, id))],
        positions: [{ topic: "t", partition: 0, nextOffset: BigInt(id) }],
        operatorData: pattern(100_000, id),
      });
      if (id < 3) await s.completeCheckpoint("f", id);
    }
    for (const space of ["n", "c", "d"]) {
      assert.ok((await keysOf(temp, "f", space)).length > 0, space);
    }
    await s.dropFunction("f");
    assert.deepEqual(await keysOf(temp, "f"), []);
    assert.equal(await s.nextCheckpointId("f"), 1);
  });
});
