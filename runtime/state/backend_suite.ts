/**
 * The behaviour every {@link StateBackend} (and {@link CheckpointStore}) must have, as Deno.test cases
 * registered for a backend factory. Each backend's `*_test.ts` calls
 * {@link registerBackendSuite}; this file registers nothing by itself.
 * @module
 */
import assert from "node:assert/strict";
import type {
  CheckpointStore,
  StateBackend,
  StateMutation,
} from "../core/mod.ts";
import { compareBytes } from "./key_codec.ts";
import { CHUNK_BYTES } from "./limits.ts";
import { b, ck, listAll, pattern, put, sk, t } from "./_test_util.ts";
import { registerSizeCases } from "./_suite_sizes.ts";
import { registerCheckpointCases } from "./_suite_checkpoints.ts";
import { registerRestoreCases } from "./_suite_restore.ts";

/** A backend under test: live state and checkpoints. */
export type SuiteBackend = StateBackend & CheckpointStore;

/** A backend under test and how to release it. */
export interface SuiteHandle {
  /** The backend. */
  backend: SuiteBackend;
  /** Releases the backend and whatever it stored. */
  close(): Promise<void>;
}

/** Options for {@link registerBackendSuite}. */
export interface BackendSuiteOptions {
  /** Opens a fresh, empty backend for one test. */
  open: () => Promise<SuiteHandle>;
}

/** Registers one test case that gets a fresh backend. */
export type SuiteTest = (
  title: string,
  body: (backend: SuiteBackend) => Promise<void>,
) => void;

/** Keys chosen to trip escaping and ordering bugs: empty, 0x00, 0xFF, prefixes of each other. */
export const TRICKY_KEYS: Uint8Array[] = [
  b(),
  b(0),
  b(0, 0),
  b(0, 1),
  b(0, 0xff),
  b(1),
  b(1, 0),
  b(0x7f),
  b(0x80),
  b(0xff),
  b(0xff, 0),
  b(0xff, 0xff),
  t("a"),
  t("ab"),
];

/** Registers the shared state backend tests under `name`. */
export function registerBackendSuite(
  name: string,
  options: BackendSuiteOptions,
): void {
  const test: SuiteTest = (title, body) =>
    Deno.test(`${name}${title}`, async () => {
      const handle = await options.open();
      try {
        await body(handle.backend);
      } finally {
        await handle.close();
      }
    });

  test(".get() returns what commit() put and null after delete", async (s) => {
    assert.equal(await s.get("f", "db", sk(t("k"))), null);
    await s.commit("f", { mutations: [put("db", sk(t("k")), t("v1"))] });
    assert.deepEqual(await s.get("f", "db", sk(t("k"))), t("v1"));
    await s.commit("f", { mutations: [put("db", sk(t("k")), b())] });
    assert.deepEqual(await s.get("f", "db", sk(t("k"))), b());
    await s.commit("f", {
      mutations: [{ op: "delete", store: "db", key: sk(t("k")) }],
    });
    assert.equal(await s.get("f", "db", sk(t("k"))), null);
  });

  test(".commit() applies mutations in order (last write wins)", async (s) => {
    const k = sk(t("k"));
    await s.commit("f", {
      mutations: [
        put("db", k, t("1")),
        { op: "delete", store: "db", key: k },
        put("db", k, t("3")),
      ],
    });
    assert.deepEqual(await s.get("f", "db", k), t("3"));
    await s.commit("f", {
      mutations: [put("db", k, t("4")), { op: "delete", store: "db", key: k }],
    });
    assert.equal(await s.get("f", "db", k), null);
  });

  test(".get() keeps complex keys apart even when concatenated parts are equal", async (s) => {
    // Each of these concatenates to "abc"; a length-less encoding would collide.
    const keys = [
      ck(t("abc"), b(), b(), b()),
      ck(t("a"), t("bc"), b(), b()),
      ck(t("ab"), t("c"), b(), b()),
      ck(b(), b(), t("abc"), b()),
      ck(b(), b(), b(), t("abc")),
      ck(t("a"), t("b"), t("c"), b()),
      ck(b(0), b(), b(), b()),
      ck(b(), b(0), b(), b()),
      ck(b(0, 0xff), b(), b(), b()),
      ck(b(0), b(0xff), b(), b()),
    ];
    await s.commit("f", {
      mutations: keys.map((k, i) => put("db", k, t(`v${i}`))),
    });
    for (const [i, k] of keys.entries()) {
      assert.deepEqual(await s.get("f", "db", k), t(`v${i}`));
    }
    await s.commit("f", { mutations: [put("db", sk(t("abc")), t("simple"))] });
    assert.deepEqual(await s.get("f", "db", keys[0]), t("v0"));
  });

  test(".get() isolates functions and stores", async (s) => {
    const k = sk(t("k"));
    await s.commit("f", {
      mutations: [put("db", k, t("f/db")), put("db2", k, t("f/db2"))],
    });
    await s.commit("ff", { mutations: [put("db", k, t("ff/db"))] });
    await s.commit("f\0", { mutations: [put("d", k, t("f0/d"))] });
    assert.deepEqual(await s.get("f", "db", k), t("f/db"));
    assert.deepEqual(await s.get("f", "db2", k), t("f/db2"));
    assert.deepEqual(await s.get("ff", "db", k), t("ff/db"));
    assert.deepEqual(await s.get("f\0", "d", k), t("f0/d"));
    assert.equal(await s.get("f", "d", k), null);
    assert.equal(await s.get("g", "db", k), null);
    assert.deepEqual((await s.listSimple("f", "db", {})).length, 1);
  });

  test(".listSimple() returns keys in byte order with empty values and pages with after", async (s) => {
    await s.commit("f", {
      mutations: TRICKY_KEYS.map((k, i) =>
        put("db", sk(k), i % 3 ? t(`${i}`) : b())
      ),
    });
    const sorted = [...TRICKY_KEYS].sort(compareBytes);
    const all = await s.listSimple("f", "db", {});
    assert.deepEqual(all.map((e) => e.key), sorted);
    assert.deepEqual(
      all.map((e) => e.value),
      sorted.map((k) => {
        const i = TRICKY_KEYS.indexOf(k);
        return i % 3 ? t(`${i}`) : b();
      }),
    );
    for (const limit of [1, 2, 5]) {
      const paged = await listAll((after) =>
        s.listSimple("f", "db", {}, { limit, after })
      );
      assert.deepEqual(paged.map((e) => e.key), sorted);
    }
    const after = await s.listSimple("f", "db", {}, {
      after: b(0, 0xff),
      limit: 2,
    });
    assert.deepEqual(after.map((e) => e.key), [b(1), b(1, 0)]);
    const missingAfter = await s.listSimple("f", "db", {}, {
      after: b(0, 2),
      limit: 1,
    });
    assert.deepEqual(missingAfter.map((e) => e.key), [b(0, 0xff)]);
  });

  test(".listSimple() ranges are start inclusive, end exclusive, open when absent", async (s) => {
    await s.commit("f", {
      mutations: TRICKY_KEYS.map((k) => put("db", sk(k), t("v"))),
    });
    const sorted = [...TRICKY_KEYS].sort(compareBytes);
    const keys = async (
      start?: Uint8Array,
      end?: Uint8Array,
      after?: Uint8Array,
    ) =>
      (await s.listSimple("f", "db", { start, end }, { after })).map((e) =>
        e.key
      );
    const expect = (lo?: Uint8Array, hi?: Uint8Array) =>
      sorted.filter((k) =>
        (!lo || compareBytes(k, lo) >= 0) && (!hi || compareBytes(k, hi) < 0)
      );
    for (
      const [lo, hi] of [
        [b(0), b(1)],
        [b(), b(0)],
        [b(0, 0), b(0xff)],
        [b(1), undefined],
        [
          undefined,
          b(0xff, 0),
        ],
        [b(0xff), b(0xff, 0xff, 0)],
        [b(0x80), b(0x7f)],
        [b(1), b(1)],
      ] as const
    ) {
      assert.deepEqual(
        await keys(lo, hi),
        expect(lo, hi),
        `range ${lo} .. ${hi}`,
      );
    }
    assert.deepEqual(await keys(b(0), b(1), b(0, 1)), [b(0, 0xff)]);
    assert.deepEqual(await keys(b(1), undefined, b(0)), expect(b(1)));
    assert.deepEqual(await keys(undefined, b(1), b(1)), []);
  });

  test(".listComplex() lists one prefix in byte order, never a neighbouring prefix", async (s) => {
    const prefixes = [
      [b(1), b(2), b(3)],
      [b(1, 2), b(), b(3)],
      [b(1), b(2, 3), b()],
      [b(1), b(2), b(3, 0)],
      [b(1), b(2), b()],
    ];
    const mutations = prefixes.flatMap(([g, k, n], p) =>
      TRICKY_KEYS.map((u) => put("db", ck(g, k, n, u), t(`${p}`)))
    );
    await s.commit("f", { mutations });
    const sorted = [...TRICKY_KEYS].sort(compareBytes);
    for (const [p, [keyGroup, key, namespace]] of prefixes.entries()) {
      const entries = await listAll((after) =>
        s.listComplex("f", "db", { keyGroup, key, namespace }, {}, {
          after,
          limit: 3,
        })
      );
      assert.deepEqual(entries.map((e) => e.key), sorted);
      assert.ok(entries.every((e) => compareBytes(e.value, t(`${p}`)) === 0));
    }
    const ranged = await s.listComplex("f", "db", {
      keyGroup: b(1),
      key: b(2),
      namespace: b(3),
    }, {
      start: b(0, 0),
      end: b(0xff),
    });
    assert.deepEqual(
      ranged.map((e) => e.key),
      sorted.filter((k) =>
        compareBytes(k, b(0, 0)) >= 0 && compareBytes(k, b(0xff)) < 0
      ),
    );
    assert.deepEqual(
      await s.listComplex("f", "db", {
        keyGroup: b(9),
        key: b(),
        namespace: b(),
      }, {}),
      [],
    );
  });

  test(".commit() deletePrefix removes one prefix and keeps later puts of the same commit", async (s) => {
    const p = { keyGroup: b(1), key: b(2), namespace: b(3) };
    const sibling = { keyGroup: b(1), key: b(2), namespace: b(3, 0) };
    await s.commit("f", {
      mutations: [
        ...TRICKY_KEYS.map((u) =>
          put("db", ck(p.keyGroup, p.key, p.namespace, u), t("old"))
        ),
        ...TRICKY_KEYS.map((u) =>
          put(
            "db",
            ck(sibling.keyGroup, sibling.key, sibling.namespace, u),
            t("keep"),
          )
        ),
        put("db", sk(b(1, 2, 3)), t("simple")),
      ],
    });
    await s.commit("f", {
      mutations: [
        put("db", ck(b(1), b(2), b(3), t("x")), t("dropped")),
        { op: "deletePrefix", store: "db", prefix: p },
        put("db", ck(b(1), b(2), b(3), t("y")), t("new")),
      ],
    });
    const left = await s.listComplex("f", "db", p, {});
    assert.deepEqual(left, [{ key: t("y"), value: t("new") }]);
    assert.equal(
      (await s.listComplex("f", "db", sibling, {})).length,
      TRICKY_KEYS.length,
    );
    assert.deepEqual(await s.get("f", "db", sk(b(1, 2, 3))), t("simple"));
    await s.commit("f", {
      mutations: [{ op: "deletePrefix", store: "other", prefix: sibling }],
    });
    assert.equal(
      (await s.listComplex("f", "db", sibling, {})).length,
      TRICKY_KEYS.length,
    );
  });

  test(".positions() round-trips large bigint offsets and survives commits without positions", async (s) => {
    assert.deepEqual(await s.positions("f"), []);
    const positions = [
      { topic: "raw-data", partition: 0, nextOffset: 2n ** 63n - 1n },
      { topic: "raw-data", partition: 7, nextOffset: 2n ** 80n + 3n },
      { topic: "ünïcode", partition: 1, nextOffset: 0n },
    ];
    await s.commit("f", { mutations: [], positions });
    assert.deepEqual(await s.positions("f"), positions);
    await s.commit("f", { mutations: [put("db", sk(t("k")), t("v"))] });
    assert.deepEqual(await s.positions("f"), positions);
    await s.commit("f", { mutations: [], positions: [] });
    assert.deepEqual(await s.positions("f"), []);
    assert.deepEqual(await s.positions("g"), []);
  });

  test(".dropFunction() removes keys, chunked values and positions of one function only", async (s) => {
    const mutations: StateMutation[] = [];
    for (let i = 0; i < 2500; i++) {
      mutations.push(put("db", sk(t(`k${i}`)), t(`v${i}`)));
    }
    mutations.push(
      put("db", ck(b(1), b(), b(), b(2)), pattern(CHUNK_BYTES * 3 + 5)),
    );
    mutations.push(put("db", sk(t("big")), pattern(CHUNK_BYTES + 1)));
    await s.commit("f", {
      mutations,
      positions: [{ topic: "t", partition: 0, nextOffset: 5n }],
    });
    await s.commit("g", { mutations: [put("db", sk(t("k1")), t("g"))] });
    await s.dropFunction("f");
    assert.deepEqual(await s.listSimple("f", "db", {}), []);
    assert.deepEqual(
      await s.listComplex("f", "db", {
        keyGroup: b(1),
        key: b(),
        namespace: b(),
      }, {}),
      [],
    );
    assert.equal(await s.get("f", "db", sk(t("big"))), null);
    assert.deepEqual(await s.positions("f"), []);
    assert.deepEqual(await s.get("g", "db", sk(t("k1"))), t("g"));
    await s.dropFunction("never-created");
    await s.commit("f", { mutations: [put("db", sk(t("k1")), t("again"))] });
    assert.deepEqual((await s.listSimple("f", "db", {})).map((e) => e.value), [
      t("again"),
    ]);
  });

  registerSizeCases(test);
  registerCheckpointCases(test);
  registerRestoreCases(test);
}
