import assert from "node:assert/strict";
import type {
  ComplexPrefix,
  KeyRange,
  ListPageOptions,
  SourcePosition,
  StateBackend,
  StateCommit,
  StateEntry,
  StateKey,
  StateMutation,
} from "../core/mod.ts";
import { DenoKvStateBackend } from "./deno_kv_backend.ts";
import { MemoryStateBackend } from "./memory_backend.ts";
import { OverlayState } from "./overlay_state.ts";
import {
  b,
  ck,
  isFsError,
  listAll,
  prng,
  put,
  sk,
  snapshot,
  type SnapshotScope,
  t,
  TempKv,
} from "./_test_util.ts";

/** A memory backend that counts what the overlay asks of it. */
class SpyBackend implements StateBackend {
  readonly inner = new MemoryStateBackend();
  gets = 0;
  lists = 0;
  listed = 0;
  commits = 0;

  get(fn: string, store: string, key: StateKey): Promise<Uint8Array | null> {
    this.gets++;
    return this.inner.get(fn, store, key);
  }
  async listSimple(
    fn: string,
    store: string,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.lists++;
    const page = await this.inner.listSimple(fn, store, range, options);
    this.listed += page.length;
    return page;
  }
  async listComplex(
    fn: string,
    store: string,
    prefix: ComplexPrefix,
    range: KeyRange,
    options?: ListPageOptions,
  ): Promise<StateEntry[]> {
    this.lists++;
    const page = await this.inner.listComplex(
      fn,
      store,
      prefix,
      range,
      options,
    );
    this.listed += page.length;
    return page;
  }
  commit(fn: string, commit: StateCommit): Promise<void> {
    this.commits++;
    return this.inner.commit(fn, commit);
  }
  positions(fn: string): Promise<SourcePosition[]> {
    return this.inner.positions(fn);
  }
  dropFunction(fn: string): Promise<void> {
    return this.inner.dropFunction(fn);
  }
}

const del = (store: string, key: StateKey): StateMutation => ({
  op: "delete",
  store,
  key,
});
const P: ComplexPrefix = { keyGroup: b(1), key: t("k"), namespace: t("ns") };
const Q: ComplexPrefix = { keyGroup: b(1), key: t("k"), namespace: t("n") };
const cp = (prefix: ComplexPrefix, user: Uint8Array) =>
  ck(prefix.keyGroup, prefix.key, prefix.namespace, user);
const keysOf = (entries: StateEntry[]) =>
  entries.map((e) => new TextDecoder().decode(e.key));

/** A spy base holding simple keys "k00".."k{n-1}" in store "db" of function "f". */
async function baseWith(n: number): Promise<SpyBackend> {
  const base = new SpyBackend();
  const mutations = Array.from(
    { length: n },
    (_, i) => put("db", sk(t(`k${String(i).padStart(2, "0")}`)), t(`v${i}`)),
  );
  await base.commit("f", { mutations });
  base.commits = 0;
  return base;
}

Deno.test("OverlayState.commit() buffers changes without writing the base", async () => {
  const base = await baseWith(3);
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [put("db", sk(t("k00")), t("new")), del("db", sk(t("k01")))],
  });
  assert.equal(base.commits, 0);
  assert.deepEqual(await base.inner.get("f", "db", sk(t("k00"))), t("v0"));
  assert.deepEqual(await base.inner.get("f", "db", sk(t("k01"))), t("v1"));
  assert.deepEqual(await o.get("f", "db", sk(t("k00"))), t("new"));
  assert.equal(await o.get("f", "db", sk(t("k01"))), null);
  assert.deepEqual(await o.get("f", "db", sk(t("k02"))), t("v2"));
});

Deno.test("OverlayState.get() answers buffered keys without asking the base", async () => {
  const base = await baseWith(2);
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [put("db", sk(t("x")), t("1")), del("db", sk(t("k00")))],
  });
  assert.deepEqual(await o.get("f", "db", sk(t("x"))), t("1"));
  assert.equal(await o.get("f", "db", sk(t("k00"))), null);
  assert.equal(base.gets, 0);
  assert.deepEqual(await o.get("f", "db", sk(t("k01"))), t("v1"));
  assert.equal(base.gets, 1);
});

Deno.test("OverlayState.commit() applies mutations in order (last write wins)", async () => {
  const o = new OverlayState(new MemoryStateBackend(), "f");
  await o.commit("f", {
    mutations: [
      put("db", sk(t("k")), t("1")),
      del("db", sk(t("k"))),
      put("db", sk(t("k")), t("2")),
      put("db", sk(t("j")), t("1")),
      del("db", sk(t("j"))),
    ],
  });
  assert.deepEqual(await o.get("f", "db", sk(t("k"))), t("2"));
  assert.equal(await o.get("f", "db", sk(t("j"))), null);
});

Deno.test("OverlayState deletePrefix hides base entries under the prefix and later puts show again", async () => {
  const base = new MemoryStateBackend();
  await base.commit("f", {
    mutations: [
      put("db", cp(P, t("a")), t("1")),
      put("db", cp(P, t("b")), t("2")),
      put("db", cp(Q, t("a")), t("3")),
    ],
  });
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [
      put("db", cp(P, t("c")), t("dropped")),
      { op: "deletePrefix", store: "db", prefix: P },
      put("db", cp(P, t("b")), t("back")),
    ],
  });
  assert.equal(await o.get("f", "db", cp(P, t("a"))), null);
  assert.equal(await o.get("f", "db", cp(P, t("c"))), null);
  assert.deepEqual(await o.get("f", "db", cp(P, t("b"))), t("back"));
  assert.deepEqual(await o.get("f", "db", cp(Q, t("a"))), t("3"));
  const listed = await o.listComplex("f", "db", P, {});
  assert.deepEqual(listed, [{ key: t("b"), value: t("back") }]);
  assert.deepEqual(keysOf(await o.listComplex("f", "db", Q, {})), ["a"]);
});

Deno.test("OverlayState.listSimple() merges buffered puts into base order", async () => {
  const base = await baseWith(4);
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [
      put("db", sk(t("k015")), t("n")),
      put("db", sk(t("a")), t("n")),
      put("db", sk(t("k02")), t("changed")),
      put("db", sk(t("z")), t("n")),
    ],
  });
  const all = await o.listSimple("f", "db", {});
  assert.deepEqual(keysOf(all), ["a", "k00", "k01", "k015", "k02", "k03", "z"]);
  assert.deepEqual(all[4].value, t("changed"));
  const ranged = await o.listSimple("f", "db", {
    start: t("k01"),
    end: t("k03"),
  });
  assert.deepEqual(keysOf(ranged), ["k01", "k015", "k02"]);
});

Deno.test("OverlayState.listSimple() fills every page exactly when buffered deletes hide base entries", async () => {
  const base = await baseWith(60);
  const o = new OverlayState(base, "f");
  // Delete 45 of 60 keys, keeping k00, k04, k08...
  const mutations = Array.from({ length: 60 }, (_, i) => i)
    .filter((i) => i % 4 !== 0)
    .map((i) => del("db", sk(t(`k${String(i).padStart(2, "0")}`))));
  await o.commit("f", { mutations });
  const first = await o.listSimple("f", "db", {}, { limit: 4 });
  assert.deepEqual(keysOf(first), ["k00", "k04", "k08", "k12"]);
  const second = await o.listSimple("f", "db", {}, {
    limit: 4,
    after: t("k12"),
  });
  assert.deepEqual(keysOf(second), ["k16", "k20", "k24", "k28"]);
  const paged = await listAll((after) =>
    o.listSimple("f", "db", { end: t("k50") }, { after, limit: 3 })
  );
  assert.deepEqual(
    keysOf(paged),
    ["k00", "k04", "k08", "k12", "k16", "k20", "k24", "k28", "k32"].concat(
      ["k36", "k40", "k44", "k48"],
    ),
  );
});

Deno.test("OverlayState.listSimple() reads more base pages while buffered deletes hide a run of entries", async () => {
  const base = await baseWith(100);
  const o = new OverlayState(base, "f", { readAhead: 3 });
  const mutations = Array.from({ length: 90 }, (_, i) => i + 5)
    .map((i) => del("db", sk(t(`k${String(i).padStart(2, "0")}`))));
  await o.commit("f", { mutations });
  const page = await o.listSimple("f", "db", {}, {
    limit: 7,
    after: t("k01"),
  });
  assert.deepEqual(
    keysOf(page),
    ["k02", "k03", "k04", "k95", "k96", "k97", "k98"],
  );
  assert.ok(base.lists > 10, `${base.lists} base reads`);
  const tail = await o.listSimple("f", "db", { start: t("k10") }, {
    limit: 7,
  });
  assert.deepEqual(keysOf(tail), ["k95", "k96", "k97", "k98", "k99"]);
});

Deno.test("OverlayState.listSimple() reads only a page's worth of a big base", async () => {
  const base = await baseWith(100);
  for (let i = 0; i < 50; i++) {
    const keys = Array.from({ length: 200 }, (_, j) => `m${i}_${j}`);
    await base.commit("f", {
      mutations: keys.map((k) => put("db", sk(t(k)), t("v"))),
    });
  }
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [del("db", sk(t("k01"))), put("db", sk(t("k015")), t("n"))],
  });
  const page = await o.listSimple("f", "db", {}, { limit: 5 });
  assert.deepEqual(keysOf(page), ["k00", "k015", "k02", "k03", "k04"]);
  assert.equal(base.lists, 1);
  assert.ok(base.listed <= 7, `listed ${base.listed} base entries`);
});

Deno.test("OverlayState.listComplex() after a deletePrefix never reads the base", async () => {
  const base = new SpyBackend();
  await base.commit("f", { mutations: [put("db", cp(P, t("a")), t("1"))] });
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [
      { op: "deletePrefix", store: "db", prefix: P },
      put("db", cp(P, t("c")), t("3")),
      put("db", cp(P, t("b")), t("2")),
      del("db", cp(P, t("d"))),
    ],
  });
  const page = await o.listComplex("f", "db", P, { start: t("b") }, {
    limit: 1,
  });
  assert.deepEqual(page, [{ key: t("b"), value: t("2") }]);
  const rest = await o.listComplex("f", "db", P, {}, { after: t("b") });
  assert.deepEqual(rest, [{ key: t("c"), value: t("3") }]);
  assert.equal(base.lists, 0);
});

Deno.test("OverlayState returns copies, so callers cannot change the buffer", async () => {
  const o = new OverlayState(new MemoryStateBackend(), "f");
  const value = t("abc");
  await o.commit("f", { mutations: [put("db", sk(t("k")), value)] });
  value[0] = 0;
  const got = (await o.get("f", "db", sk(t("k"))))!;
  got[1] = 0;
  (await o.listSimple("f", "db", {}))[0].value[2] = 0;
  assert.deepEqual(await o.get("f", "db", sk(t("k"))), t("abc"));
});

Deno.test("OverlayState.positions() returns buffered positions, else the base's", async () => {
  const base = new MemoryStateBackend();
  const at = (n: bigint): SourcePosition[] => [
    { topic: "in", partition: 0, nextOffset: n },
  ];
  await base.commit("f", { mutations: [], positions: at(5n) });
  const o = new OverlayState(base, "f");
  assert.deepEqual(await o.positions("f"), at(5n));
  await o.commit("f", { mutations: [], positions: at(9n) });
  await o.commit("f", { mutations: [put("db", sk(t("k")), t("v"))] });
  assert.deepEqual(await o.positions("f"), at(9n));
  assert.deepEqual(await base.positions("f"), at(5n));
  assert.deepEqual(o.pending().positions, at(9n));
  o.clear();
  assert.deepEqual(await o.positions("f"), at(5n));
  assert.equal(o.pending().positions, undefined);
});

Deno.test("OverlayState.pending() committed to the base makes it read as the overlay, and clear() empties the buffer", async () => {
  const base = await baseWith(5);
  await base.commit("f", { mutations: [put("db", cp(P, t("a")), t("1"))] });
  const o = new OverlayState(base, "f");
  await o.commit("f", {
    mutations: [
      put("db", sk(t("k00")), t("x")),
      del("db", sk(t("k01"))),
      del("db", sk(t("nothing"))),
      put("db", cp(P, t("b")), t("gone")),
      { op: "deletePrefix", store: "db", prefix: P },
      del("db", cp(P, t("a"))),
      put("db", cp(P, t("c")), t("3")),
      put("other", sk(b()), b()),
    ],
  });
  assert.equal(o.changedKeyCount, 7);
  const scope: SnapshotScope = {
    fns: ["f"],
    stores: ["db", "other"],
    prefixes: [{ store: "db", prefix: P }],
  };
  const seen = await snapshot(o, scope);
  const pending = o.pending();
  assert.equal(pending.mutations.length, 6);
  await base.commit("f", pending);
  assert.deepEqual(await snapshot(base, scope), seen);
  o.clear();
  assert.equal(o.changedKeyCount, 0);
  assert.deepEqual(o.pending(), { mutations: [] });
  assert.deepEqual(await snapshot(o, scope), seen);
});

Deno.test("OverlayState.commit() rejects a bad batch and buffers none of it", async () => {
  const o = new OverlayState(new MemoryStateBackend(), "f");
  await assert.rejects(
    o.commit("f", {
      mutations: [
        put("db", sk(t("k")), t("v")),
        put("db", sk(t("k2")), "not bytes" as unknown as Uint8Array),
      ],
    }),
    isFsError("BAD_REQUEST"),
  );
  assert.equal(await o.get("f", "db", sk(t("k"))), null);
  assert.equal(o.changedKeyCount, 0);
});

Deno.test("OverlayState rejects calls for another function and dropFunction() with INTERNAL", async () => {
  const o = new OverlayState(new MemoryStateBackend(), "f");
  const internal = isFsError("INTERNAL", /current value is "g"/);
  await assert.rejects(o.get("g", "db", sk(t("k"))), internal);
  await assert.rejects(o.listSimple("g", "db", {}), internal);
  await assert.rejects(o.listComplex("g", "db", P, {}), internal);
  await assert.rejects(o.commit("g", { mutations: [] }), internal);
  await assert.rejects(o.positions("g"), internal);
  await assert.rejects(o.dropFunction("f"), isFsError("INTERNAL"));
  assert.throws(
    () => new OverlayState(new MemoryStateBackend(), ""),
    isFsError("BAD_REQUEST"),
  );
  assert.throws(
    () => new OverlayState(new MemoryStateBackend(), "f", { readAhead: -1 }),
    isFsError("BAD_REQUEST", /readAhead/),
  );
});

Deno.test("OverlayState checks keys and listing options like the backends", async () => {
  const o = new OverlayState(new MemoryStateBackend(), "f");
  await o.commit("f", {
    mutations: [{ op: "deletePrefix", store: "db", prefix: P }],
  });
  // A cleared prefix answers without the base, yet still checks the key.
  await assert.rejects(
    o.get("f", "db", cp(P, new Uint8Array(3000))),
    isFsError("LIMIT_EXCEEDED"),
  );
  await assert.rejects(
    o.listComplex("f", "db", P, {}, { limit: 0 }),
    isFsError("BAD_REQUEST"),
  );
  assert.deepEqual(
    await o.listComplex("f", "db", P, { start: t("b"), end: t("a") }),
    [],
  );
});

const ALPHABET = [0, 1, 0x7f, 0xff];
const STORES = ["a", "b"];
/** Few prefixes, so that random mutations meet; some differ only in which part holds a byte. */
const PREFIXES: ComplexPrefix[] = [
  { keyGroup: b(), key: b(), namespace: b() },
  { keyGroup: b(0), key: b(), namespace: b() },
  { keyGroup: b(), key: b(0), namespace: b() },
  { keyGroup: b(1), key: b(0xff), namespace: b(0) },
  { keyGroup: b(0, 0), key: b(1), namespace: b() },
];

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(max: number): Uint8Array {
    const n = this.int(max + 1);
    return new Uint8Array(Array.from({ length: n }, () => this.pick(ALPHABET)));
  }
  key(): StateKey {
    if (this.next() < 0.5) return sk(this.bytes(2));
    return { kind: "complex", ...this.pick(PREFIXES), userKey: this.bytes(2) };
  }
  mutation(): StateMutation {
    const r = this.next();
    const store = this.pick(STORES);
    if (r < 0.08) {
      return { op: "deletePrefix", store, prefix: this.pick(PREFIXES) };
    }
    if (r < 0.35) return del(store, this.key());
    return put(store, this.key(), this.bytes(3));
  }
  range(): KeyRange {
    const range: KeyRange = {};
    if (this.next() < 0.4) range.start = this.bytes(2);
    if (this.next() < 0.4) range.end = this.bytes(2);
    return range;
  }
  options(): ListPageOptions | undefined {
    if (this.next() < 0.15) return undefined;
    const options: ListPageOptions = {};
    if (this.next() < 0.8) options.limit = 1 + this.int(6);
    if (this.next() < 0.5) options.after = this.bytes(2);
    return options;
  }
}

const MODEL_SCOPE: SnapshotScope = {
  fns: ["f"],
  stores: STORES,
  prefixes: STORES.flatMap((store) =>
    PREFIXES.map((prefix) => ({ store, prefix }))
  ),
};

/** Compares random gets, single pages and whole paged listings of two views. */
async function compareViews(
  gen: Gen,
  got: StateBackend,
  want: StateBackend,
  where: string,
): Promise<void> {
  for (let q = 0; q < 4; q++) {
    const store = gen.pick(STORES);
    const key = gen.key();
    assert.deepEqual(
      await got.get("f", store, key),
      await want.get("f", store, key),
      `${where}: get ${store} ${JSON.stringify(key)}`,
    );
    const range = gen.range();
    const options = gen.options();
    const prefix = gen.pick(PREFIXES);
    const what = `${where}: list ${store} ${JSON.stringify([range, options])}`;
    assert.deepEqual(
      await got.listSimple("f", store, range, options),
      await want.listSimple("f", store, range, options),
      `${what} simple`,
    );
    assert.deepEqual(
      await got.listComplex("f", store, prefix, range, options),
      await want.listComplex("f", store, prefix, range, options),
      `${what} complex ${JSON.stringify(prefix)}`,
    );
    const limit = 1 + gen.int(4);
    const all = (view: StateBackend) =>
      listAll((after) =>
        view.listComplex("f", store, prefix, range, { after, limit })
      );
    assert.deepEqual(await all(got), await all(want), `${what} paged`);
  }
  assert.deepEqual(await got.positions("f"), await want.positions("f"));
}

/** Random commits through an overlay over `base` and straight into a model, compared after every step. */
async function runModel(
  seed: number,
  steps: number,
  base: StateBackend,
): Promise<void> {
  // readAhead 0 and 1 make listings read the base in many small pages.
  const readAhead = [0, 1, undefined][seed % 3];
  const gen = new Gen(prng(seed));
  const model = new MemoryStateBackend();
  const fill = Array.from({ length: 200 }, () => gen.mutation())
    .filter((m) => m.op === "put");
  for (const view of [base, model]) {
    await view.commit("f", { mutations: fill });
    await view.commit("g", { mutations: fill });
  }
  const overlay = new OverlayState(base, "f", { readAhead });
  let offset = 0n;
  for (let step = 0; step < steps; step++) {
    const mutations = Array.from(
      { length: 1 + gen.int(5) },
      () => gen.mutation(),
    );
    const commit: StateCommit = { mutations };
    if (gen.next() < 0.3) {
      commit.positions = [{ topic: "in", partition: 0, nextOffset: ++offset }];
    }
    await overlay.commit("f", commit);
    await model.commit("f", commit);
    const where = `seed ${seed} step ${step}`;
    await compareViews(gen, overlay, model, where);
    if (gen.next() < 0.06 || step === steps - 1) {
      const seen = await snapshot(overlay, MODEL_SCOPE);
      assert.deepEqual(seen, await snapshot(model, MODEL_SCOPE), where);
      await base.commit("f", overlay.pending());
      overlay.clear();
      assert.deepEqual(await snapshot(base, MODEL_SCOPE), seen, where);
      await compareViews(gen, overlay, model, `${where} after checkpoint`);
    }
  }
  const other = { ...MODEL_SCOPE, fns: ["g"] };
  assert.deepEqual(await snapshot(base, other), await snapshot(model, other));
}

Deno.test("OverlayState reads like a backend that applied every commit (model test over memory)", async () => {
  for (let seed = 1; seed <= 30; seed++) {
    await runModel(seed, 120, new MemoryStateBackend());
  }
});

Deno.test("OverlayState.pending() checkpoints into DenoKvStateBackend as the model says (model test over Deno KV)", async () => {
  const temp = await TempKv.open();
  try {
    for (let seed = 101; seed <= 104; seed++) {
      const backend = new DenoKvStateBackend(temp.kv);
      await backend.dropFunction("f");
      await backend.dropFunction("g");
      await runModel(seed, 60, backend);
    }
  } finally {
    await temp.close();
  }
});
