import assert from "node:assert/strict";
import { FsError } from "../core/mod.ts";
import {
  AtomicBatcher,
  fitsOneAtomic,
  type KvMutation,
} from "./_atomic_batcher.ts";
import { CHUNK_BYTES, KV_ATOMIC_LIMITS } from "./limits.ts";

async function count(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("AtomicBatcher stays within Deno KV limits for long keys, full values and many deletes", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const batcher = new AtomicBatcher(kv);
    const longKey = (i: number) => ["long", i, new Uint8Array(2020).fill(7)];
    for (let i = 0; i < 300; i++) {
      await batcher.add({
        type: "set",
        key: longKey(i),
        value: new Uint8Array(10),
      });
    }
    for (let i = 0; i < 40; i++) {
      await batcher.add({
        type: "set",
        key: ["full", i],
        value: new Uint8Array(CHUNK_BYTES),
      });
    }
    for (let i = 0; i < 2500; i++) {
      await batcher.add({ type: "set", key: ["small", i], value: i });
    }
    await batcher.flush();
    assert.equal(await count(kv, ["long"]), 300);
    assert.equal(await count(kv, ["full"]), 40);
    assert.equal(await count(kv, ["small"]), 2500);
    for (let i = 0; i < 300; i++) {
      await batcher.add({ type: "delete", key: longKey(i) });
    }
    for (let i = 0; i < 2500; i++) {
      await batcher.add({ type: "delete", key: ["small", i] });
    }
    await batcher.flush();
    assert.equal(await count(kv, ["long"]), 0);
    assert.equal(await count(kv, ["small"]), 0);
    assert.ok(batcher.commits > 10);
  } finally {
    kv.close();
  }
});

Deno.test("AtomicBatcher.group() lands a group in one atomic operation and refuses one that cannot fit", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const seen: number[] = [];
    let pending = 0;
    const batcher = new AtomicBatcher(kv, {
      beforeCommit: () => void seen.push(pending),
    });
    for (let i = 0; i < 10; i++) {
      const group: KvMutation[] = Array.from(
        { length: 300 },
        (_, j) => ({ type: "set", key: ["g", i, j], value: j }),
      );
      await batcher.group(group);
      pending = i + 1;
    }
    await batcher.flush();
    // Each commit holds whole groups: 3 groups of 300 fit 1000 mutations.
    assert.deepEqual(seen, [3, 6, 9, 10]);
    const tooBig: KvMutation[] = Array.from(
      { length: 1001 },
      (_, j) => ({ type: "delete", key: ["x", j] }),
    );
    await assert.rejects(
      batcher.group(tooBig),
      (e) => e instanceof FsError && e.code === "INTERNAL",
    );
    assert.equal(fitsOneAtomic(tooBig), false);
    assert.equal(
      fitsOneAtomic(tooBig.slice(0, KV_ATOMIC_LIMITS.maxMutations)),
      true,
    );
  } finally {
    kv.close();
  }
});

Deno.test("AtomicBatcher with two operations in flight lands everything, and drain() orders what follows", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let started = 0;
    const batcher = new AtomicBatcher(kv, {
      inFlight: 2,
      beforeCommit: () => {
        started++;
      },
    });
    for (let i = 0; i < 5500; i++) {
      await batcher.add({ type: "set", key: ["k", i], value: i });
    }
    await batcher.drain();
    // Everything sent so far has landed; the pending tail has not been sent.
    assert.equal(started, 5);
    assert.equal(await count(kv, ["k"]), 5000);
    await batcher.add({ type: "delete", key: ["k", 0] });
    await batcher.flush();
    assert.equal(await count(kv, ["k"]), 5499);
    assert.equal(batcher.commits, 6);
  } finally {
    kv.close();
  }
});

Deno.test("AtomicBatcher reports a crash in beforeCommit after letting in-flight operations land", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let calls = 0;
    const batcher = new AtomicBatcher(kv, {
      inFlight: 2,
      beforeCommit: () => {
        if (++calls === 3) throw new Error("simulated crash");
      },
    });
    const fill = async () => {
      for (let i = 0; i < 5000; i++) {
        await batcher.add({ type: "set", key: ["k", i], value: i });
      }
      await batcher.flush();
    };
    await assert.rejects(fill(), /simulated crash/);
    // The two operations before the crash landed whole; nothing after it.
    assert.equal(await count(kv, ["k"]), 2000);
    await assert.rejects(batcher.flush(), /simulated crash/);
  } finally {
    kv.close();
  }
});
