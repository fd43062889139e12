import assert from "node:assert/strict";
import {
  DenoKvStateBackend,
  MAX_VALUE_BYTES,
  userKeyBudget,
} from "../state/mod.ts";
import { TempKv } from "../state/_test_util.ts";
import { FsError } from "../core/mod.ts";
import { pyModule, startIsolate, texts } from "./_test_util.ts";
import { stateLimitsOf } from "./_state_limits.ts";

const encoder = new TextEncoder();

/** Reports, per store name, the budgets Python derived for it. */
const BUDGET_OP = `import json
from fs_api import FSProcessorDriver
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        for name in json.loads(data):
            limits = ctx.getOrCreateKVStore(name)._limits
            ctx.emit(json.dumps([limits.simple, limits.complex, limits.max_value]).encode(), 0)
`;

const FUNCTION_NAMES = ["f", "etl", "émoji-🚀", "x".repeat(300), "nul\0fn"];
const STORE_NAMES = [
  "s",
  "stats_db",
  "é",
  "日本語",
  "🚀🚀",
  "a\0b",
  "\0",
  "x".repeat(500),
  "y".repeat(2100),
];

function record(value: Uint8Array, offset = 0) {
  return {
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: BigInt(offset),
    key: null,
    value,
    headers: [],
    timestamp: 0,
  };
}

Deno.test("stateLimitsOf() and Python's per-store budgets agree with userKeyBudget for any names", async () => {
  for (const fn of FUNCTION_NAMES) {
    const limits = stateLimitsOf(fn);
    assert.equal(limits.simpleBase, userKeyBudget(fn, "", "simple"));
    assert.equal(limits.maxValueBytes, MAX_VALUE_BYTES);
    const isolate = await startIsolate({
      functionName: fn,
      modules: [pyModule("budget_op", BUDGET_OP)],
    });
    try {
      const result = await isolate.process([
        record(encoder.encode(JSON.stringify(STORE_NAMES))),
      ]);
      const got = texts(result.outputs).map((t) => JSON.parse(t));
      const want = STORE_NAMES.map((store) => [
        userKeyBudget(fn, store, "simple"),
        userKeyBudget(fn, store, "complex"),
        MAX_VALUE_BYTES,
      ]);
      assert.deepEqual(got, want, `function ${JSON.stringify(fn)}`);
    } finally {
      await isolate.close();
    }
  }
});

/**
 * Writes keys of exactly the store's budget (0x00 bytes counting twice) and
 * one byte more; the first must commit on Deno KV, the second must raise.
 */
const EDGE_OP = `import json
from fs_api import FSProcessorDriver, ComplexKey, KvOtherError
class Op(FSProcessorDriver):
    def process(self, ctx, source_id, data):
        store = ctx.getOrCreateKVStore("db")
        simple, complex_ = store._limits.simple, store._limits.complex
        def exact(budget):
            return b"\\0" * (budget // 2) + b"a" * (budget % 2)
        out = {}
        def attempt(name, call):
            try:
                call()
                out[name] = "ok"
            except KvOtherError as e:
                out[name] = "KvOtherError: " + str(e)
        attempt("simple_fit", lambda: store.put_state(exact(simple), b"s"))
        attempt("simple_over", lambda: store.put_state(exact(simple) + b"a", b"s"))
        part = exact(complex_ - 3)
        attempt("complex_fit", lambda: store.put(ComplexKey(b"g", b"k", b"n", part), b"c"))
        attempt("complex_over", lambda: store.put(ComplexKey(b"g", b"k", b"n", part + b"b"), b"c"))
        attempt("merge_over", lambda: store.merge(ComplexKey(b"gb", b"k", b"n", part), b"c"))
        attempt("value_fit", lambda: store.put_state(b"v", b"x" * store._limits.max_value))
        attempt("value_over", lambda: store.put_state(b"w", b"x" * (store._limits.max_value + 1)))
        ctx.emit(json.dumps(out).encode(), 0)
`;

Deno.test("KvStore accepts keys and values up to the server's exact limits and refuses one byte more at the call", async () => {
  const temp = await TempKv.open();
  const backend = new DenoKvStateBackend(temp.kv);
  const fn = "edge-fn";
  const isolate = await startIsolate({
    functionName: fn,
    modules: [pyModule("edge_op", EDGE_OP)],
    state: backend,
  });
  try {
    const result = await isolate.process([record(new Uint8Array())]);
    const out = JSON.parse(texts(result.outputs)[0]);
    const simple = userKeyBudget(fn, "db", "simple");
    const complex = userKeyBudget(fn, "db", "complex");
    assert.equal(out.simple_fit, "ok");
    assert.equal(out.complex_fit, "ok");
    assert.equal(out.value_fit, "ok");
    assert.match(
      out.simple_over,
      new RegExp(
        `^KvOtherError: Cannot store a key in store 'db' as it exceeds the store's key limit of ${simple} bytes .*MAX_KEY_BYTES=2048.*current size is ${
          simple + 1
        } bytes`,
      ),
    );
    assert.match(
      out.complex_over,
      new RegExp(`key limit of ${complex} bytes.*size is ${complex + 1}`),
    );
    assert.match(out.merge_over, new RegExp(`size is ${complex + 1}`));
    assert.match(
      out.value_over,
      new RegExp(
        `MAX_VALUE_BYTES=${MAX_VALUE_BYTES} bytes \\(16 MiB\\): current size is ${
          MAX_VALUE_BYTES + 1
        }`,
      ),
    );
    // What fits in Python fits the backend: the whole batch commits.
    assert.equal(result.mutations.length, 3);
    await backend.commit(fn, { mutations: result.mutations });
    // And one byte more is what the backend itself refuses.
    const over = result.mutations[0];
    assert.equal(over.op, "put");
    if (over.op === "put" && over.key.kind === "simple") {
      const key = new Uint8Array([...over.key.key, 97]);
      await assert.rejects(
        backend.commit(fn, {
          mutations: [{ ...over, key: { kind: "simple", key } }],
        }),
        (e) => e instanceof FsError && e.code === "LIMIT_EXCEEDED",
      );
    }
  } finally {
    await isolate.close();
    await temp.close();
  }
});
