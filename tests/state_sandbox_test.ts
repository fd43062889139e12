/**
 * State seen from operators in the sandbox over Deno KV: functions and stores
 * are isolated from each other, dropping a function removes only its state,
 * and fs_api.state's typed states round-trip through commits and a restart,
 * with TTL expiry.
 */
import assert from "node:assert/strict";
import type { InputRecord } from "../runtime/core/mod.ts";
import { DenoKvStateBackend } from "../runtime/state/mod.ts";
import { TempKv } from "../runtime/state/_test_util.ts";
import type { FunctionIsolate } from "../runtime/isolate/mod.ts";
import {
  pyModule,
  startIsolate,
  texts,
} from "../runtime/isolate/_test_util.ts";

const encoder = new TextEncoder();

/** Runs each record as Python code; `ctx`, `CK`, `emit` and `clock` are in scope. */
const SCRIPT_OP = `from fs_api import FSProcessorDriver, ComplexKey
import fs_api.state as st
class Op(FSProcessorDriver):
    def init(self, ctx, config):
        now = [1000.0]
        self.env = {
            "ctx": ctx,
            "CK": ComplexKey,
            "st": st,
            "now": now,
            "clock": lambda: now[0],
            "emit": lambda v: ctx.emit(repr(v).encode(), 0),
        }
    def process(self, ctx, source_id, data):
        exec(data.decode(), self.env)
`;

function scripts(...code: string[]): InputRecord[] {
  return code.map((text, i) => ({
    sourceId: 0,
    topic: "t",
    partition: 0,
    offset: BigInt(i),
    key: null,
    value: encoder.encode(text),
    headers: [],
    timestamp: 0,
  }));
}

async function withKv(
  test: (
    backend: DenoKvStateBackend,
    start: (fn: string) => Promise<FunctionIsolate>,
  ) => Promise<void>,
): Promise<void> {
  const temp = await TempKv.open();
  const backend = new DenoKvStateBackend(temp.kv);
  const isolates: FunctionIsolate[] = [];
  const start = async (fn: string) => {
    const isolate = await startIsolate({
      functionName: fn,
      modules: [pyModule("script_op", SCRIPT_OP)],
      state: backend,
    });
    isolates.push(isolate);
    return isolate;
  };
  try {
    await test(backend, start);
  } finally {
    for (const isolate of isolates) await isolate.close();
    await temp.close();
  }
}

/** Runs one batch of `fn` and commits it. */
async function run(
  isolate: FunctionIsolate,
  backend: DenoKvStateBackend,
  ...code: string[]
): Promise<string[]> {
  const result = await isolate.process(scripts(...code));
  await backend.commit(isolate.functionName, { mutations: result.mutations });
  return texts(result.outputs);
}

const WRITE =
  "s = ctx.getOrCreateKVStore('s'); t = ctx.getOrCreateKVStore('t')\n" +
  "s.put_state(b'k', NAME + b'-s'); t.put_state(b'k', NAME + b'-t')\n" +
  "s.put(CK(b'g', b'k', b'n', b'u'), NAME + b'-cs'); t.merge(CK(b'g', b'k', b'n', b'u'), NAME + b'-ct')";
const READ =
  "s = ctx.getOrCreateKVStore('s'); t = ctx.getOrCreateKVStore('t')\n" +
  "emit([s.get_state(b'k'), t.get_state(b'k'), s.get(CK(b'g', b'k', b'n', b'u')), t.get(CK(b'g', b'k', b'n', b'u'))])\n" +
  "emit([s.list_states(b'', b'\\xff'), list(t.scan_complex(b'g', b'k', b'n'))])";

Deno.test("functions and stores never see each other's state, and dropping a function removes only its own", async () => {
  await withKv(async (backend, start) => {
    const a = await start("fn-a");
    const b = await start("fn-b");
    await run(a, backend, `NAME = b'a'\n${WRITE}`);
    await run(b, backend, `NAME = b'b'\n${WRITE}`);
    // Fresh isolates read from Deno KV only.
    const a2 = await start("fn-a");
    const b2 = await start("fn-b");
    assert.deepEqual(await run(a2, backend, READ), [
      "[b'a-s', b'a-t', b'a-cs', b'a-ct']",
      "[[b'k'], [(b'u', b'a-ct')]]",
    ]);
    assert.deepEqual(await run(b2, backend, READ), [
      "[b'b-s', b'b-t', b'b-cs', b'b-ct']",
      "[[b'k'], [(b'u', b'b-ct')]]",
    ]);
    await backend.dropFunction("fn-a");
    const a3 = await start("fn-a");
    const b3 = await start("fn-b");
    assert.deepEqual(await run(a3, backend, READ), [
      "[None, None, None, None]",
      "[[], []]",
    ]);
    assert.deepEqual(await run(b3, backend, READ), [
      "[b'b-s', b'b-t', b'b-cs', b'b-ct']",
      "[[b'k'], [(b'u', b'b-ct')]]",
    ]);
  });
});

const TYPED = "store = ctx.getOrCreateKVStore('typed')\n" +
  "value = st.ValueState(store, 'v', st.JsonCodec())\n" +
  "items = st.ListState(store, 'l', st.StrCodec())\n" +
  "mapping = st.MapState(store, 'm', st.StrCodec(), st.FloatCodec())\n" +
  "total = st.ReducingState(store, 'r', st.IntCodec(), lambda a, b: a + b)\n" +
  "per_user = st.KeyedValueState(store, 'kv', st.StrCodec(), st.PickleCodec())\n" +
  "session = st.ValueState(store, 'ttl', st.BoolCodec(), ttl=60, clock=clock)";

Deno.test("typed states round-trip through Deno KV and a restart inside the sandbox, and TTL entries expire", async () => {
  await withKv(async (backend, start) => {
    const first = await start("typed-fn");
    await run(
      first,
      backend,
      TYPED,
      "value.update({'a': [1, 2]}); items.add('x'); items.add('y')",
      "mapping.put('pi', 3.5); total.add(40); total.add(2)",
      "per_user.for_key('alice').update({'n': (1, 2)}); session.update(True)",
    );
    const second = await start("typed-fn");
    const out = await run(
      second,
      backend,
      TYPED,
      "emit(value.value()); emit(list(items.get())); emit(mapping.get('pi'))",
      "emit(total.get()); emit(per_user.for_key('alice').value()); emit(per_user.for_key('bob').value())",
      // The clock starts at 1000 in each isolate: the entry was written at 1000.
      "emit(session.value()); now[0] = 1059.0; emit(session.value()); now[0] = 1060.0; emit(session.value())",
    );
    assert.deepEqual(out, [
      "{'a': [1, 2]}",
      "['x', 'y']",
      "3.5",
      "42",
      "{'n': (1, 2)}",
      "None",
      "True",
      "True",
      "None",
    ]);
  });
});
