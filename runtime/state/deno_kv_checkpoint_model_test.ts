/**
 * Model-based test of checkpoints: a seeded random sequence of checkpoints
 * (prepared, completed, aborted, left prepared), commits, reads, restores,
 * prunes, drops and restarts runs against DenoKvStateBackend and the
 * in-memory reference model; every answer and the whole state must agree.
 * Reads and completes fill the Deno KV backend's known values, so a stale
 * one would show here as a wrong restore.
 */
import assert from "node:assert/strict";
import type {
  CheckpointStore,
  ComplexPrefix,
  StateBackend,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import { DenoKvStateBackend } from "./deno_kv_backend.ts";
import { MemoryStateBackend } from "./memory_backend.ts";
import { CHUNK_BYTES } from "./limits.ts";
import {
  b,
  pattern,
  prng,
  snapshot,
  type SnapshotScope,
  TempKv,
} from "./_test_util.ts";

type Store = StateBackend & CheckpointStore;

const FNS = ["f", "g"];
const PARTS = [b(), b(1), b(0xff)];
const USER = [b(), b(0), b(1), b(1, 0), b(0xff), b(7, 7)];

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  prefix(): ComplexPrefix {
    return {
      keyGroup: this.pick(PARTS),
      key: b(),
      namespace: this.pick(PARTS),
    };
  }
  key(): StateKey {
    if (this.next() < 0.5) return { kind: "simple", key: this.pick(USER) };
    return { kind: "complex", ...this.prefix(), userKey: this.pick(USER) };
  }
  value(): Uint8Array {
    if (this.next() < 0.03) {
      return pattern(CHUNK_BYTES + 1 + this.int(CHUNK_BYTES), this.int(99));
    }
    return b(this.int(256), this.int(256));
  }
  mutations(): StateMutation[] {
    const n = this.next() < 0.05 ? 1200 : 1 + this.int(8);
    return Array.from({ length: n }, (): StateMutation => {
      const r = this.next();
      if (r < 0.65) {
        return { op: "put", store: "db", key: this.key(), value: this.value() };
      }
      if (r < 0.92) return { op: "delete", store: "db", key: this.key() };
      return { op: "deletePrefix", store: "db", prefix: this.prefix() };
    });
  }
}

const SCOPE: SnapshotScope = {
  fns: FNS,
  stores: ["db"],
  prefixes: PARTS.flatMap((keyGroup) =>
    PARTS.map((namespace) => ({
      store: "db",
      prefix: { keyGroup, key: b(), namespace },
    }))
  ),
};

async function same<T>(
  what: string,
  kv: Promise<T>,
  model: Promise<T>,
): Promise<void> {
  const [x, y] = await Promise.allSettled([kv, model]);
  if (x.status === "fulfilled" && y.status === "fulfilled") {
    assert.deepEqual(x.value, y.value, what);
    return;
  }
  const reason = (r: PromiseSettledResult<T>) =>
    r.status === "rejected" ? String(r.reason) : "fulfilled";
  assert.equal(reason(x), reason(y), what);
}

Deno.test("DenoKvStateBackend checkpoints answer like MemoryStateBackend over 800 random operations", async () => {
  const temp = await TempKv.open();
  try {
    const gen = new Gen(prng(5150));
    const model: Store = new MemoryStateBackend();
    let kv: Store = new DenoKvStateBackend(temp.kv);
    for (let step = 0; step < 800; step++) {
      const fn = gen.pick(FNS);
      const at = `step ${step}`;
      const r = gen.next();
      if (r < 0.3) {
        const id = await kv.nextCheckpointId(fn);
        assert.equal(await model.nextCheckpointId(fn), id, `${at} id`);
        const data = {
          id,
          createdAtMs: step,
          token: `t${step}`,
          mutations: gen.mutations(),
          positions: [{ topic: "in", partition: 0, nextOffset: BigInt(step) }],
          operatorData: gen.next() < 0.5 ? b(step % 256) : null,
        };
        await same(
          `${at} prepare`,
          kv.prepareCheckpoint(fn, data),
          model.prepareCheckpoint(fn, data),
        );
        const decide = gen.next();
        if (decide < 0.75) {
          await same(
            `${at} complete`,
            kv.completeCheckpoint(fn, id),
            model.completeCheckpoint(fn, id),
          );
        } else if (decide < 0.9) {
          await same(
            `${at} abort`,
            kv.abortCheckpoint(fn, id),
            model.abortCheckpoint(fn, id),
          );
        } // else: left prepared; the next prepare is a CONFLICT on both
      } else if (r < 0.38) {
        const prepared = await kv.preparedCheckpoint(fn);
        assert.deepEqual(prepared, await model.preparedCheckpoint(fn), at);
        if (prepared) {
          await same(
            `${at} complete prepared`,
            kv.completeCheckpoint(fn, prepared.id),
            model.completeCheckpoint(fn, prepared.id),
          );
        }
      } else if (r < 0.58) {
        const key = gen.key();
        await same(
          `${at} get`,
          kv.get(fn, "db", key),
          model.get(fn, "db", key),
        );
      } else if (r < 0.66) {
        const mutations = gen.mutations();
        await same(
          `${at} commit`,
          kv.commit(fn, { mutations }),
          model.commit(fn, { mutations }),
        );
      } else if (r < 0.78) {
        const listed = await kv.listCheckpoints(fn);
        assert.deepEqual(listed, await model.listCheckpoints(fn), `${at} list`);
        const id = listed.length > 0 && gen.next() < 0.9
          ? gen.pick(listed).id
          : 1 + gen.int(40);
        await same(
          `${at} restore ${id}`,
          kv.restoreCheckpoint(fn, id),
          model.restoreCheckpoint(fn, id),
        );
        assert.deepEqual(
          await snapshot(kv, SCOPE),
          await snapshot(model, SCOPE),
          `${at} state after restore ${id}`,
        );
      } else if (r < 0.84) {
        const keep = 1 + gen.int(4);
        await same(
          `${at} prune`,
          kv.pruneCheckpoints(fn, keep),
          model.pruneCheckpoints(fn, keep),
        );
      } else if (r < 0.9) {
        await same(
          `${at} latest`,
          kv.latestCheckpoint(fn),
          model.latestCheckpoint(fn),
        );
        await same(`${at} positions`, kv.positions(fn), model.positions(fn));
      } else if (r < 0.92) {
        await same(
          `${at} drop`,
          kv.dropFunction(fn),
          model.dropFunction(fn),
        );
      } else {
        kv = new DenoKvStateBackend(await temp.reopen());
      }
    }
    assert.deepEqual(await snapshot(kv, SCOPE), await snapshot(model, SCOPE));
    for (const fn of FNS) {
      assert.deepEqual(
        await kv.listCheckpoints(fn),
        await model.listCheckpoints(fn),
      );
    }
  } finally {
    await temp.close();
  }
});
