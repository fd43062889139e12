import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import { deleteBlob, readBlob, writeBlob } from "./blob_store.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { pattern } from "./_test_util.ts";

async function withKv(body: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await body(kv);
  } finally {
    kv.close();
  }
}

async function rawKeys(kv: Deno.Kv, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const keys: Deno.KvKey[] = [];
  for await (const e of kv.list({ prefix })) keys.push(e.key);
  return keys;
}

const P: Deno.KvKey = ["registry", "fn", "module", 0];

Deno.test("readBlob() returns what writeBlob() stored, at every size boundary", async () => {
  await withKv(async (kv) => {
    assert.equal(await readBlob(kv, P), null);
    for (
      const size of [
        0,
        1,
        CHUNK_BYTES - 1,
        CHUNK_BYTES,
        CHUNK_BYTES + 1,
        5 * 1024 * 1024 + 3,
      ]
    ) {
      await writeBlob(kv, P, pattern(size, size));
      assert.deepEqual(
        await readBlob(kv, P),
        pattern(size, size),
        `size ${size}`,
      );
    }
    // Only the last blob's chunks remain: 81 chunks for 5 MiB + 3 bytes, one header.
    const keys = await rawKeys(kv, P);
    assert.equal(keys.filter((k) => k[4] === "k").length, 81);
    assert.equal(keys.length, 82);
  });
});

Deno.test("deleteBlob() removes every key of the blob and leaves neighbours alone", async () => {
  await withKv(async (kv) => {
    const other: Deno.KvKey = ["registry", "fn", "module", 1];
    await writeBlob(kv, P, pattern(CHUNK_BYTES * 3));
    await writeBlob(kv, other, pattern(10));
    await deleteBlob(kv, P);
    assert.equal(await readBlob(kv, P), null);
    assert.deepEqual(await rawKeys(kv, P), []);
    assert.deepEqual(await readBlob(kv, other), pattern(10));
    await deleteBlob(kv, P);
  });
});

Deno.test("writeBlob() over the limit fails with LIMIT_EXCEEDED and keeps the old blob", async () => {
  await withKv(async (kv) => {
    await writeBlob(kv, P, pattern(100));
    await assert.rejects(
      writeBlob(kv, P, pattern(CHUNK_BYTES * 2), { maxBytes: CHUNK_BYTES }),
      (e) =>
        e instanceof FsError && e.code === "LIMIT_EXCEEDED" &&
        e.message.includes(`${CHUNK_BYTES}-byte blob limit`),
    );
    assert.deepEqual(await readBlob(kv, P), pattern(100));
    assert.equal((await rawKeys(kv, P)).length, 2);
  });
});

Deno.test("readBlob() ignores a crashed write and the next write collects its chunks", async () => {
  await withKv(async (kv) => {
    await writeBlob(kv, P, pattern(CHUNK_BYTES + 5, 1));
    // A write that stored its chunks and crashed before flipping the header.
    await kv.set([...P, "w", "crashed"], Date.now());
    for (let i = 0; i < 3; i++) {
      await kv.set([...P, "k", "crashed", i], pattern(CHUNK_BYTES, 9));
    }
    assert.deepEqual(await readBlob(kv, P), pattern(CHUNK_BYTES + 5, 1));
    await writeBlob(kv, P, pattern(7, 2));
    assert.deepEqual(await readBlob(kv, P), pattern(7, 2));
    const keys = await rawKeys(kv, P);
    assert.ok(
      !keys.some((k) => k.includes("crashed")),
      "crashed chunks remain",
    );
    assert.equal(keys.length, 2);
  });
});

Deno.test("readBlob() during concurrent writes sees one whole blob, and the last write leaves no garbage", async () => {
  await withKv(async (kv) => {
    const blobs = [1, 2, 3, 4].map((seed) =>
      pattern(CHUNK_BYTES * 4 + seed, seed)
    );
    await writeBlob(kv, P, blobs[0]);
    let stop = false;
    const reader = (async () => {
      let reads = 0;
      while (!stop) {
        const got = await readBlob(kv, P);
        assert.ok(
          got &&
            blobs.some((blob) =>
              blob.length === got.length && blob.every((v, i) => v === got[i])
            ),
        );
        reads++;
      }
      return reads;
    })();
    for (let round = 0; round < 5; round++) {
      await Promise.all(blobs.map((blob) => writeBlob(kv, P, blob)));
    }
    stop = true;
    assert.ok(await reader > 0);
    const current = await readBlob(kv, P);
    assert.ok(current && blobs.some((blob) => blob.length === current.length));
    const keys = await rawKeys(kv, P);
    assert.equal(
      keys.length,
      1 + 5,
      `left: ${keys.map((k) => k.slice(4).join("/")).join(", ")}`,
    );
  });
});

Deno.test("readBlob() refuses a blob whose chunks are missing", async () => {
  await withKv(async (kv) => {
    await writeBlob(kv, P, pattern(CHUNK_BYTES * 2));
    const chunk = (await rawKeys(kv, P)).find((k) => k[4] === "k")!;
    await kv.delete(chunk);
    await assert.rejects(
      readBlob(kv, P),
      (e) => e instanceof FsError && e.code === "INTERNAL",
    );
  });
});
