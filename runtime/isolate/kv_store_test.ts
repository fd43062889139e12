import assert from "node:assert/strict";
import type { InputRecord, StateMutation } from "../core/mod.ts";
import { FsError } from "../core/mod.ts";
import type { FunctionIsolate } from "./isolate.ts";
import {
  FakeStateBackend,
  pyModule,
  startIsolate,
  texts,
} from "./_test_util.ts";

/** An operator that runs each record as Python code; `emit(x)` emits repr(x). */
const SCRIPT_OP = `from fs_api import FSProcessorDriver, ComplexKey
import fs_api
class Op(FSProcessorDriver):
    def init(self, ctx, config):
        # One namespace for every record, so a script sees earlier ones' names.
        self.env = {
            "store": ctx.getOrCreateKVStore("s"),
            "CK": ComplexKey,
            "fs_api": fs_api,
            "emit": lambda v: ctx.emit(repr(v).encode(), 0),
        }
    def process(self, ctx, source_id, data):
        exec(data.decode(), self.env)
`;

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

function scripts(...code: string[]): InputRecord[] {
  return code.map((text, i) => ({
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value: bytes(text),
    headers: [],
    timestamp: 0,
  }));
}

async function withStore(
  test: (isolate: FunctionIsolate, state: FakeStateBackend) => Promise<void>,
  options: {
    pageSize?: number;
    maxCachedEntries?: number;
    state?: FakeStateBackend;
  } = {},
): Promise<void> {
  const state = options.state ?? new FakeStateBackend();
  const isolate = await startIsolate({
    modules: [pyModule("script_op", SCRIPT_OP)],
    state,
    pageSize: options.pageSize,
    maxCachedEntries: options.maxCachedEntries,
  });
  try {
    await test(isolate, state);
  } finally {
    await isolate.close();
  }
}

/** Runs scripts in one call, applies its mutations, returns the emitted reprs. */
async function run(
  isolate: FunctionIsolate,
  state: FakeStateBackend,
  ...code: string[]
): Promise<{ out: string[]; mutations: StateMutation[] }> {
  const result = await isolate.process(scripts(...code));
  state.apply("test-fn", result.mutations);
  return { out: texts(result.outputs), mutations: result.mutations };
}

function seed(state: FakeStateBackend, mutations: StateMutation[]): void {
  state.apply("test-fn", mutations);
}

const complex = (userKey: string, value?: string): StateMutation =>
  value === undefined
    ? {
      op: "delete",
      store: "s",
      key: {
        kind: "complex",
        keyGroup: bytes("g"),
        key: bytes("k"),
        namespace: bytes("n"),
        userKey: bytes(userKey),
      },
    }
    : {
      op: "put",
      store: "s",
      key: {
        kind: "complex",
        keyGroup: bytes("g"),
        key: bytes("k"),
        namespace: bytes("n"),
        userKey: bytes(userKey),
      },
      value: bytes(value),
    };

const simple = (key: string, value: string): StateMutation => ({
  op: "put",
  store: "s",
  key: { kind: "simple", key: bytes(key) },
  value: bytes(value),
});

Deno.test("KvStore simple keys: reads see earlier writes, list_states merges unflushed writes and deletes", async () => {
  await withStore(async (isolate, state) => {
    seed(state, [simple("a", "1"), simple("b", "2"), simple("d", "4")]);
    const { out, mutations } = await run(
      isolate,
      state,
      "emit(store.get_state(b'a')); emit(store.get_state(b'zz'))",
      "store.put_state(b'c', b'3'); store.delete_state(b'b'); emit(store.get_state(b'c')); emit(store.get_state(b'b'))",
      "emit(store.list_states(b'a', b'z'))",
      "emit(store.list_states(b'b', b'd'))",
      "emit(store.list_states(b'z', b'a'))",
    );
    assert.deepEqual(out, [
      "b'1'",
      "None",
      "b'3'",
      "None",
      "[b'a', b'c', b'd']",
      "[b'c']",
      "[]",
    ]);
    assert.deepEqual(
      mutations.map((m) => m.op),
      ["put", "delete"],
    );
    // After the flush the host has them: a new call lists the same.
    const again = await run(
      isolate,
      state,
      "emit(store.list_states(b'', b'\\xff'))",
    );
    assert.deepEqual(again.out, ["[b'a', b'c', b'd']"]);
  });
});

Deno.test("KvStore serves repeated reads from its cache across calls", async () => {
  await withStore(async (isolate, state) => {
    seed(state, [simple("hot", "1")]);
    await run(
      isolate,
      state,
      "for i in range(1000):\n    store.put_state(b'hot', str(int(store.get_state(b'hot')) + 1).encode())",
    );
    const { out } = await run(isolate, state, "emit(store.get_state(b'hot'))");
    assert.deepEqual(out, ["b'1001'"]);
    assert.equal(state.calls.get, 1);
  });
});

Deno.test("KvStore.merge() appends to stored, cached and absent values", async () => {
  await withStore(async (isolate, state) => {
    seed(state, [complex("x", "ab")]);
    const { out, mutations } = await run(
      isolate,
      state,
      "store.merge(CK(b'g', b'k', b'n', b'x'), b'cd'); emit(store.get(CK(b'g', b'k', b'n', b'x')))",
      "store.merge(CK(b'g', b'k', b'n', b'x'), b'ef'); emit(store.get(CK(b'g', b'k', b'n', b'x')))",
      "store.merge(CK(b'g', b'k', b'n', b'new'), b'1'); emit(store.get(CK(b'g', b'k', b'n', b'new')))",
    );
    assert.deepEqual(out, ["b'abcd'", "b'abcdef'", "b'1'"]);
    assert.equal(mutations.length, 2);
    const fresh = await startIsolate({
      modules: [pyModule("script_op", SCRIPT_OP)],
      state,
    });
    const result = await fresh.process(
      scripts("emit(store.get(CK(b'g', b'k', b'n', b'x')))"),
    );
    assert.deepEqual(texts(result.outputs), ["b'abcdef'"]);
    await fresh.close();
  });
});

Deno.test("KvStore.delete_prefix() hides committed entries at once and hands out deletePrefix before later puts", async () => {
  await withStore(async (isolate, state) => {
    seed(state, [complex("a", "1"), complex("b", "2")]);
    const reads = state.calls.get;
    const { out, mutations } = await run(
      isolate,
      state,
      "store.delete_prefix(CK(b'g', b'k', b'n', b'ignored'))",
      "emit(store.get(CK(b'g', b'k', b'n', b'a')))",
      "emit(store.list_complex(b'g', b'k', b'n', b'', b'\\xff'))",
      "store.put(CK(b'g', b'k', b'n', b'c'), b'3')",
      "emit(list(store.scan_complex(b'g', b'k', b'n')))",
    );
    assert.deepEqual(out, ["None", "[]", "[(b'c', b'3')]"]);
    assert.equal(state.calls.get, reads, "no host read after delete_prefix");
    assert.deepEqual(mutations.map((m) => m.op), ["deletePrefix", "put"]);
    const listed = await run(
      isolate,
      state,
      "emit(store.list_complex(b'g', b'k', b'n', b'', b'\\xff'))",
    );
    assert.deepEqual(listed.out, ["[b'c']"]);
    const committed = await state.listComplex("test-fn", "s", {
      keyGroup: bytes("g"),
      key: bytes("k"),
      namespace: bytes("n"),
    }, {});
    assert.deepEqual(committed.map((e) => new TextDecoder().decode(e.key)), [
      "c",
    ]);
  });
});

Deno.test("KvStore.list_complex() keeps ranges and overlays unflushed puts and deletes", async () => {
  await withStore(async (isolate, state) => {
    seed(state, ["a", "b", "c", "d"].map((k) => complex(k, k)));
    const { out } = await run(
      isolate,
      state,
      "store.delete(CK(b'g', b'k', b'n', b'b'))\n" +
        "store.put(CK(b'g', b'k', b'n', b'bb'), b'x')\n" +
        "store.put(CK(b'other', b'k', b'n', b'b'), b'y')\n" +
        "emit(store.list_complex(b'g', b'k', b'n', b'b', b'd'))\n" +
        "emit(store.list_complex(b'g', b'k', b'n', b'', b'\\xff'))\n" +
        "emit(store.list_complex(b'g', b'k', b'n', b'd', b'a'))\n" +
        "emit(store.get(CK(b'g', b'k', b'n', b'b')))",
    );
    assert.deepEqual(out, [
      "[b'bb', b'c']",
      "[b'a', b'bb', b'c', b'd']",
      "[]",
      "None",
    ]);
  }, { pageSize: 2 });
});

Deno.test("KvStore.scan_complex() is lazy, reads pages smaller than the data and merges the overlay", async () => {
  await withStore(async (isolate, state) => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    seed(state, keys.map((k) => complex(k, `v${k}`)));
    const { out } = await run(
      isolate,
      state,
      "store.put(CK(b'g', b'k', b'n', b'k05'), b'new')\n" +
        "store.delete(CK(b'g', b'k', b'n', b'k7'))\n" +
        "store.put(CK(b'g', b'k', b'n', b'k1'), b'changed')\n" +
        "it = store.scan_complex(b'g', b'k', b'n')",
      "emit(it.has_next()); emit(it.next())",
      "emit(list(it)); emit(it.has_next()); emit(it.next())",
    );
    assert.equal(out[0], "True");
    assert.equal(out[1], "(b'k0', b'vk0')");
    assert.deepEqual(out.slice(3), ["False", "None"]);
    assert.equal(
      out[2],
      "[(b'k05', b'new'), (b'k1', b'changed'), (b'k2', b'vk2'), (b'k3', b'vk3'), " +
        "(b'k4', b'vk4'), (b'k5', b'vk5'), (b'k6', b'vk6'), (b'k8', b'vk8'), (b'k9', b'vk9')]",
    );
    // 10 entries in pages of 3: 4 pages, the last one short.
    assert.equal(state.calls.listComplex, 4);
  }, { pageSize: 3 });
});

Deno.test("KvStore.scan_complex() reads nothing until asked and one page per page consumed", async () => {
  await withStore(async (isolate, state) => {
    seed(
      state,
      Array.from({ length: 9 }, (_, i) => complex(`k${i}`, "v")),
    );
    await run(isolate, state, "it = store.scan_complex(b'g', b'k', b'n')");
    assert.equal(state.calls.listComplex, 0);
    const first = await run(isolate, state, "emit(it.next()); emit(it.next())");
    assert.deepEqual(first.out, ["(b'k0', b'v')", "(b'k1', b'v')"]);
    assert.equal(state.calls.listComplex, 1);
    const more = await run(
      isolate,
      state,
      "emit([next(it) for _ in range(3)])",
    );
    assert.deepEqual(more.out, [
      "[(b'k2', b'v'), (b'k3', b'v'), (b'k4', b'v')]",
    ]);
    assert.equal(state.calls.listComplex, 2);
  }, { pageSize: 4 });
});

Deno.test("KvStore raises KvError subclasses for host failures and KvOtherError or TypeError for bad writes", async () => {
  await withStore(async (isolate, state) => {
    const probe = (call: string) =>
      `try:\n    ${call}\n    emit('ok')\nexcept Exception as e:\n    emit(type(e).__name__ + ('/KvError' if isinstance(e, fs_api.KvError) else ''))`;
    state.failNext = new FsError("UNAVAILABLE", "down");
    let result = await run(isolate, state, probe("store.get_state(b'x')"));
    assert.deepEqual(result.out, ["'KvIOError/KvError'"]);
    state.failNext = new FsError("NOT_FOUND", "gone");
    result = await run(isolate, state, probe("store.list_states(b'a', b'b')"));
    assert.deepEqual(result.out, ["'KvNotFoundError/KvError'"]);
    state.failNext = new FsError("LIMIT_EXCEEDED", "too big");
    result = await run(
      isolate,
      state,
      probe("list(store.scan_complex(b'g', b'k', b'n'))"),
    );
    assert.deepEqual(result.out, ["'KvOtherError/KvError'"]);
    result = await run(
      isolate,
      state,
      probe("store.put_state(b'k' * 3000, b'v')"),
      probe(
        "store.put(CK(b'g', b'k', b'n', b'u'), b'v' * (16 * 1024 * 1024 + 1))",
      ),
      probe("store.put_state('text', b'v')"),
      probe("store.get(('g', 'k', 'n', 'u'))"),
    );
    assert.deepEqual(result.out, [
      "'KvOtherError/KvError'",
      "'KvOtherError/KvError'",
      "'TypeError'",
      "'TypeError'",
    ]);
    assert.deepEqual(result.mutations, []);
  });
});

Deno.test("KvStore forgets the writes of a failed call", async () => {
  await withStore(async (isolate, state) => {
    seed(state, [simple("a", "committed"), complex("x", "committed")]);
    await assert.rejects(
      isolate.process(scripts(
        "store.put_state(b'a', b'lost'); store.delete_prefix(CK(b'g', b'k', b'n', b''))",
        "raise RuntimeError('fail the batch')",
      )),
      FsError,
    );
    const { out, mutations } = await run(
      isolate,
      state,
      "emit(store.get_state(b'a')); emit(store.get(CK(b'g', b'k', b'n', b'x')))",
    );
    assert.deepEqual(out, ["b'committed'", "b'committed'"]);
    assert.deepEqual(mutations, []);
  });
});

Deno.test("KvStore drops the oldest clean entries past maxCachedEntries and reads them back from the host", async () => {
  await withStore(async (isolate, state) => {
    await run(
      isolate,
      state,
      "for i in range(10):\n" +
        "    store.put_state(b'k%d' % i, b'v%d' % i)\n" +
        "    store.put(CK(b'g%d' % i, b'k', b'n', b'u'), b'c%d' % i)",
    );
    assert.equal(state.calls.get, 0);
    const { out } = await run(
      isolate,
      state,
      "emit([store.get_state(b'k%d' % i) for i in range(10)])\n" +
        "emit([store.get(CK(b'g%d' % i, b'k', b'n', b'u')) for i in range(10)])",
    );
    assert.equal(
      out[0],
      "[" + Array.from({ length: 10 }, (_, i) => `b'v${i}'`).join(", ") + "]",
    );
    assert.equal(
      out[1],
      "[" + Array.from({ length: 10 }, (_, i) => `b'c${i}'`).join(", ") + "]",
    );
    // The oldest entries were dropped and read again; the newest were not.
    assert.ok(
      state.calls.get >= 12 && state.calls.get < 20,
      `${state.calls.get}`,
    );
  }, { maxCachedEntries: 4 });
});
