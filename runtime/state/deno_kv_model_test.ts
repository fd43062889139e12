/**
 * Model-based test: a long seeded random sequence of commits, reads, listings,
 * drops and restarts runs against DenoKvStateBackend and the in-memory
 * reference model; every answer must be equal.
 */
import assert from "node:assert/strict";
import type {
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

const ALPHABET = [0, 1, 0x7f, 0xff];
const FNS = ["f", "g"];
const STORES = ["a", "b"];
const PARTS = [b(), b(0), b(0xff), b(0, 0), b(1)];

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(max: number): Uint8Array {
    return new Uint8Array(
      Array.from({ length: this.int(max + 1) }, () => this.pick(ALPHABET)),
    );
  }
  prefix(): ComplexPrefix {
    return {
      keyGroup: this.pick(PARTS),
      key: this.pick(PARTS),
      namespace: this.pick(PARTS),
    };
  }
  key(): StateKey {
    if (this.next() < 0.5) return { kind: "simple", key: this.bytes(3) };
    return { kind: "complex", ...this.prefix(), userKey: this.bytes(2) };
  }
  value(): Uint8Array {
    const r = this.next();
    if (r < 0.01) {
      return pattern(
        CHUNK_BYTES + 1 + this.int(3 * CHUNK_BYTES),
        this.int(1000),
      );
    }
    if (r < 0.1) return b();
    return this.bytes(8);
  }
  mutation(): StateMutation {
    const store = this.pick(STORES);
    const r = this.next();
    if (r < 0.6) {
      return { op: "put", store, key: this.key(), value: this.value() };
    }
    if (r < 0.9) return { op: "delete", store, key: this.key() };
    return { op: "deletePrefix", store, prefix: this.prefix() };
  }
}

const SCOPE: SnapshotScope = {
  fns: FNS,
  stores: STORES,
  prefixes: STORES.flatMap((store) =>
    PARTS.flatMap((keyGroup) =>
      PARTS.flatMap((key) =>
        PARTS.map((namespace) => ({
          store,
          prefix: { keyGroup, key, namespace },
        }))
      )
    )
  ),
};

async function same<T>(
  what: string,
  kv: Promise<T>,
  model: Promise<T>,
): Promise<void> {
  const [x, y] = await Promise.allSettled([kv, model]);
  if (x.status === "rejected" || y.status === "rejected") {
    assert.equal(
      x.status,
      y.status,
      `${what}: ${
        x.status === "rejected"
          ? x.reason
          : y.status === "rejected"
          ? y.reason
          : ""
      }`,
    );
    return;
  }
  assert.deepEqual(x.value, y.value, what);
}

Deno.test("DenoKvStateBackend answers like MemoryStateBackend over 3,000 random operations", async () => {
  const temp = await TempKv.open();
  try {
    const gen = new Gen(prng(20240611));
    const model = new MemoryStateBackend();
    let kv: StateBackend = new DenoKvStateBackend(temp.kv);
    for (let step = 0; step < 3000; step++) {
      const fn = gen.pick(FNS);
      const store = gen.pick(STORES);
      const r = gen.next();
      const at = `step ${step}`;
      if (r < 0.4) {
        // Mostly small commits (fast path), sometimes one too big for one atomic operation.
        const n = gen.next() < 0.03 ? 1000 + gen.int(600) : 1 + gen.int(12);
        const mutations = Array.from({ length: n }, () => gen.mutation());
        const positions = gen.next() < 0.3
          ? [{
            topic: "t",
            partition: gen.int(4),
            nextOffset: BigInt(step) * 2n ** 40n,
          }]
          : undefined;
        await same(
          `${at} commit`,
          kv.commit(fn, { mutations, positions }),
          model.commit(fn, { mutations, positions }),
        );
      } else if (r < 0.6) {
        const key = gen.key();
        await same(
          `${at} get`,
          kv.get(fn, store, key),
          model.get(fn, store, key),
        );
      } else if (r < 0.75) {
        const range = {
          start: gen.next() < 0.5 ? gen.bytes(3) : undefined,
          end: gen.next() < 0.5 ? gen.bytes(3) : undefined,
        };
        const options = {
          limit: 1 + gen.int(6),
          after: gen.next() < 0.3 ? gen.bytes(3) : undefined,
        };
        await same(
          `${at} listSimple`,
          kv.listSimple(fn, store, range, options),
          model.listSimple(fn, store, range, options),
        );
      } else if (r < 0.9) {
        const prefix = gen.prefix();
        const range = {
          start: gen.next() < 0.5 ? gen.bytes(2) : undefined,
          end: gen.next() < 0.5 ? gen.bytes(2) : undefined,
        };
        const options = {
          limit: 1 + gen.int(6),
          after: gen.next() < 0.3 ? gen.bytes(2) : undefined,
        };
        await same(
          `${at} listComplex`,
          kv.listComplex(fn, store, prefix, range, options),
          model.listComplex(fn, store, prefix, range, options),
        );
      } else if (r < 0.96) {
        await same(`${at} positions`, kv.positions(fn), model.positions(fn));
      } else if (r < 0.98) {
        await same(
          `${at} dropFunction`,
          kv.dropFunction(fn),
          model.dropFunction(fn),
        );
      } else {
        kv = new DenoKvStateBackend(await temp.reopen());
      }
    }
    assert.deepEqual(await snapshot(kv, SCOPE), await snapshot(model, SCOPE));
  } finally {
    await temp.close();
  }
});
