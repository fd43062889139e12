/**
 * The size cases of the shared backend suite: large values, limits, and a
 * commit of thousands of mutations. Registered by backend_suite.ts.
 * @module
 */
import assert from "node:assert/strict";
import type { StateMutation } from "../core/mod.ts";
import { userKeyBudget } from "./key_codec.ts";
import { CHUNK_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./limits.ts";
import {
  b,
  ck,
  isFsError,
  listAll,
  pattern,
  put,
  sk,
  t,
} from "./_test_util.ts";
import type { SuiteTest } from "./backend_suite.ts";

/** Registers the size and limit cases with the suite's `test`. */
export function registerSizeCases(test: SuiteTest): void {
  test(".get() returns large values at 64 KiB, 64 KiB + 1, 1 MiB and the maximum", async (s) => {
    const sizes = [
      CHUNK_BYTES - 1,
      CHUNK_BYTES,
      CHUNK_BYTES + 1,
      1024 * 1024,
      MAX_VALUE_BYTES,
    ];
    for (const [i, size] of sizes.entries()) {
      await s.commit("f", {
        mutations: [put("db", sk(t(`v${size}`)), pattern(size, i + 1))],
      });
    }
    for (const [i, size] of sizes.entries()) {
      assert.deepEqual(
        await s.get("f", "db", sk(t(`v${size}`))),
        pattern(size, i + 1),
      );
    }
    const listed = await s.listSimple("f", "db", {}, {
      limit: 2,
      after: t(`v${CHUNK_BYTES - 1}`),
    });
    assert.deepEqual(listed.map((e) => e.value.length), [
      CHUNK_BYTES,
      CHUNK_BYTES + 1,
    ]);
    // Overwrite large with small, small with large, then delete.
    const k = sk(t(`v${1024 * 1024}`));
    await s.commit("f", { mutations: [put("db", k, t("small"))] });
    assert.deepEqual(await s.get("f", "db", k), t("small"));
    await s.commit("f", {
      mutations: [
        put("db", k, pattern(200_000, 9)),
        put("db", k, pattern(300_000, 8)),
      ],
    });
    assert.deepEqual(await s.get("f", "db", k), pattern(300_000, 8));
    await s.commit("f", { mutations: [{ op: "delete", store: "db", key: k }] });
    assert.equal(await s.get("f", "db", k), null);
  });

  test(".commit() rejects a value over the limit and keeps earlier data", async (s) => {
    const k = sk(t("k"));
    await s.commit("f", {
      mutations: [put("db", k, pattern(CHUNK_BYTES * 2))],
    });
    await assert.rejects(
      s.commit("f", {
        mutations: [
          put("db", sk(t("other")), t("x")),
          put("db", k, new Uint8Array(MAX_VALUE_BYTES + 1)),
        ],
      }),
      isFsError("LIMIT_EXCEEDED", new RegExp(`${MAX_VALUE_BYTES}-byte`)),
    );
    assert.deepEqual(await s.get("f", "db", k), pattern(CHUNK_BYTES * 2));
    assert.equal(await s.get("f", "db", sk(t("other"))), null);
  });

  test(".commit() rejects keys over the key limit and accepts keys at the budget", async (s) => {
    const simple = userKeyBudget("f", "db", "simple");
    const complex = userKeyBudget("f", "db", "complex");
    assert.equal(simple, MAX_KEY_BYTES - 16 - 1 - 2);
    await s.commit("f", {
      mutations: [put("db", sk(new Uint8Array(simple).fill(7)), t("ok"))],
    });
    assert.deepEqual(
      await s.get("f", "db", sk(new Uint8Array(simple).fill(7))),
      t("ok"),
    );
    const q = Math.floor(complex / 4);
    const at = ck(
      new Uint8Array(q).fill(1),
      new Uint8Array(q),
      b(),
      new Uint8Array(complex - 2 * q).fill(2),
    );
    await assert.rejects(
      s.commit("f", { mutations: [put("db", at, t("zeros count twice"))] }),
      isFsError("LIMIT_EXCEEDED"),
    );
    const fits = ck(
      new Uint8Array(q).fill(1),
      new Uint8Array(q).fill(3),
      b(),
      new Uint8Array(complex - 2 * q).fill(2),
    );
    await s.commit("f", { mutations: [put("db", fits, t("ok"))] });
    assert.deepEqual(await s.get("f", "db", fits), t("ok"));
    const over = sk(new Uint8Array(simple + 1).fill(7));
    const limit = new RegExp(`${MAX_KEY_BYTES}-byte key limit`);
    await assert.rejects(
      s.commit("f", { mutations: [put("db", over, t("no"))] }),
      isFsError("LIMIT_EXCEEDED", limit),
    );
    await assert.rejects(
      s.get("f", "db", over),
      isFsError("LIMIT_EXCEEDED", limit),
    );
    await assert.rejects(
      s.listSimple("f", "db", { start: over.key }),
      isFsError("LIMIT_EXCEEDED", limit),
    );
  });

  test(".listSimple() rejects bad page options and names", async (s) => {
    await assert.rejects(
      s.listSimple("f", "db", {}, { limit: 0 }),
      isFsError("BAD_REQUEST", /limit/),
    );
    await assert.rejects(s.get("", "db", sk(b())), isFsError("BAD_REQUEST"));
  });

  test(".commit() applies 5,000 mutations with 5 MiB of values as one commit", async (s) => {
    const mutations: StateMutation[] = [];
    for (let i = 0; i < 5000; i++) {
      mutations.push(
        put("db", sk(t(`k${String(i).padStart(5, "0")}`)), pattern(1024, i)),
      );
    }
    mutations.push({
      op: "deletePrefix",
      store: "db",
      prefix: { keyGroup: b(), key: b(), namespace: b() },
    });
    mutations.push(
      put("db", ck(b(), b(), b(), t("u")), pattern(CHUNK_BYTES * 4, 3)),
    );
    await s.commit("f", {
      mutations,
      positions: [{ topic: "t", partition: 1, nextOffset: 99n }],
    });
    const all = await listAll((after) =>
      s.listSimple("f", "db", {}, { after })
    );
    assert.equal(all.length, 5000);
    assert.deepEqual(all[4321].value, pattern(1024, 4321));
    assert.deepEqual(
      await s.get("f", "db", ck(b(), b(), b(), t("u"))),
      pattern(CHUNK_BYTES * 4, 3),
    );
    assert.deepEqual(await s.positions("f"), [{
      topic: "t",
      partition: 1,
      nextOffset: 99n,
    }]);
  });
}
